//! Layer 2, runners: the same observers on the thread, tokio and smol runners, chosen at run
//! time. Each runner drives connections (here a local bash in a pty and a child process over
//! pipes); every handle can be waited on from plain code or `.await`ed.
//!
//! `cargo run --example layer2`

use std::sync::Arc;
use std::time::Duration;

use moler::moler_io::process::{self, ProcessOptions};
use moler::moler_io::terminal::TerminalOptions;
use moler::prelude::*;
use moler::{SmolRunner, TokioRunner};

const T: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The thread runner: one thread per connection, blocked in poll(2). Blocking calls.
    let threads = Runner::new(RunnerKind::Thread)?;
    let shell = moler::local_shell_on(&threads, &TerminalOptions::default())?;
    let pid = shell.run(Command::lines("echo $$", LOCAL_PROMPT), T)?;
    println!("{} runner: bash pid {}", shell.runner(), pid[0]);
    // A child process over pipes (no pty, no prompt): `cat` echoes what it gets.
    let cat = threads.spawn("cat", process::spawn(&ProcessOptions::new("cat", ["-u"]))?)?;
    let echoed = cat.start(Wait4::new(["^ping$"])?.till_occurs_times(1));
    cat.start(Command::lines("ping", "^ping$").expect_echo(false));
    println!("{} runner: cat echoed {:?}", cat.runner(), echoed.wait(T)?[0].line);

    // 2. The tokio runner: one task per connection on your runtime. `.await` the handles.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let tokio_runner = Runner::from(TokioRunner::with_handle(runtime.handle().clone()));
    runtime.block_on(async {
        let shell = moler::local_shell_on(&tokio_runner, &TerminalOptions::default())?;
        // Two commands started at once run in order; both are awaited.
        let first = shell.start(Command::lines("echo one", LOCAL_PROMPT));
        let second = shell.start(Command::lines("echo two", LOCAL_PROMPT));
        println!("{} runner: {:?} {:?}", shell.runner(), first.await?, second.await?);
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    // Inside a runtime, `Runner::autodetect()` (what `moler::local_shell()` uses) picks tokio.
    runtime.block_on(async { println!("autodetected in tokio: {}", Runner::autodetect().kind()) });

    // 3. The smol runner: on smol's global executor, or on an executor of your own.
    let executor = Arc::new(async_executor::Executor::new());
    let smol_runner = Runner::from(SmolRunner::with_executor(Arc::clone(&executor)));
    smol::block_on(executor.run(async {
        let shell = moler::local_shell_on(&smol_runner, &TerminalOptions::default())?;
        let uname = shell.start(Command::lines("uname -s", LOCAL_PROMPT)).await?;
        println!("{} runner: {:?}", shell.runner(), uname);
        Ok::<_, Box<dyn std::error::Error>>(())
    }))?;

    // The same handle also works from plain code on any runner: a blocking wait with a timeout
    // (which times the observer out, as Moler's await_done does).
    let slow = shell.start(Command::lines("sleep 5", LOCAL_PROMPT));
    match slow.wait(Duration::from_millis(300)) {
        Err(e @ moler::Error::Timeout { .. }) => println!("as expected: {e}"),
        other => println!("unexpected: {other:?}"),
    }
    let after = shell.run(Command::lines("echo still usable", LOCAL_PROMPT), T)?;
    println!("after the timeout: {after:?}");
    Ok(())
}
