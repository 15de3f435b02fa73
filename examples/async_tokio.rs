//! Async with tokio: several local shells at once, commands started on all of them, the
//! results awaited together, an event in the background, and a timeout that leaves the shell
//! usable.
//!
//! `cargo run --example async_tokio [-- SHELLS]`

use std::time::{Duration, Instant};

use moler::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(4), |a| a.parse())?;
    let t = Instant::now();
    // Inside a tokio runtime `local_shell` picks the tokio runner: one task per shell, no
    // thread of its own.
    let shells = (0..n).map(|_| moler::local_shell()).collect::<Result<Vec<_>, _>>()?;
    println!("{n} shells on the {} runner", shells[0].runner());

    // An event on the first shell, watching while commands run.
    let hello =
        shells[0].start(Wait4::new([r"^hello from shell (?P<n>\d+)$"])?.till_occurs_times(1));

    // Start everything first, then await: the shells work at the same time.
    let jobs: Vec<_> = shells
        .iter()
        .enumerate()
        .map(|(i, sh)| {
            let who = sh.start(Command::lines(format!("echo hello from shell {i}"), LOCAL_PROMPT));
            let pid = sh.start(Command::lines("echo $$", LOCAL_PROMPT));
            tokio::spawn(async move { Ok::<_, moler::Error>((who.await?, pid.await?)) })
        })
        .collect();
    for (i, job) in jobs.into_iter().enumerate() {
        let (who, pid) = job.await??;
        println!("shell {i}: {:?}, bash pid {}", who[0], pid[0]);
    }
    let seen = hello.await?;
    println!("event on shell 0 saw {:?} (n = {:?})", seen[0].line, seen[0].named_groups["n"]);

    // A command that outlives its timeout is interrupted with Ctrl-C; the shell stays usable.
    let slow = Command::lines("sleep 5", LOCAL_PROMPT).timeout(Duration::from_millis(300));
    match shells[1 % n].start(slow).await {
        Err(e) if e.is_timeout() => println!("as expected: {e}"),
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }
    let after = shells[1 % n].start(Command::lines("echo still here", LOCAL_PROMPT)).await?;
    println!("after the timeout: {:?}; all done in {:?}", after[0], t.elapsed());
    Ok(())
}
