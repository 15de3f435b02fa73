//! Async with smol: several local shells at once on the smol runner, commands started on all
//! of them, the results awaited together, and a cancelled command.
//!
//! `cargo run --example async_smol [-- SHELLS]`

use std::time::{Duration, Instant};

use moler::prelude::*;
use moler::SmolRunner;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(4), |a| a.parse())?;
    smol::block_on(async {
        let t = Instant::now();
        // smol cannot be detected from inside: choose it (here explicitly; a config can too).
        let runner: Runner = SmolRunner::new().into();
        let shells = (0..n)
            .map(|_| local_shell_on(&runner, &Default::default()))
            .collect::<Result<Vec<_>, _>>()?;
        println!("{n} shells on the {} runner", shells[0].runner());

        let started: Vec<_> = shells
            .iter()
            .enumerate()
            .map(|(i, sh)| {
                let cmd = format!("echo shell {i} sees $(( {i} * {i} ))");
                smol::spawn(sh.start(Command::lines(cmd, LOCAL_PROMPT)))
            })
            .collect();
        for (i, task) in started.into_iter().enumerate() {
            println!("shell {i}: {:?}", task.await?[0]);
        }

        // Cancel a command: Ctrl-C goes to the shell, the handle reports the cancellation.
        let sleeping = shells[0].start(Command::lines("sleep 30", LOCAL_PROMPT));
        smol::Timer::after(Duration::from_millis(200)).await;
        sleeping.cancel();
        match sleeping.await {
            Err(moler::Error::Cancelled { observer }) => println!("cancelled {observer}"),
            other => return Err(format!("expected a cancellation, got {other:?}").into()),
        }
        let out = shells[0].start(Command::lines("echo alive", LOCAL_PROMPT)).await?;
        println!("after the cancel: {:?}; all done in {:?}", out[0], t.elapsed());
        Ok(())
    })
}
