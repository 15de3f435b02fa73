//! Quick start: a local bash in a pseudo-terminal, commands as blocking calls, a custom parser,
//! and an event watching in the background.
//!
//! `cargo run --example quickstart` (needs nothing but Rust and bash)

use std::time::Duration;

use moler::prelude::*;
use moler::Context;

/// Parses `df -P` style output into (mount point, use %) pairs: a small custom parser.
#[derive(Default)]
struct DiskUse(Vec<(String, u8)>);

impl Parser for DiskUse {
    type Output = Vec<(String, u8)>;

    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.starts_with("Filesystem") {
            return Ok(()); // whole lines only; skip the header
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [.., pct, mount] = cols[..] else {
            return Err(ParseError::at_line(line, "not a df line"));
        };
        let pct = pct
            .trim_end_matches('%')
            .parse()
            .map_err(|e| ParseError::at_line(line, "a use% that is not a number").with_source(e))?;
        self.0.push((mount.to_owned(), pct));
        Ok(())
    }

    fn has_result(&self) -> bool {
        !self.0.is_empty()
    }

    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.0))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shell = moler::local_shell()?;
    let timeout = Duration::from_secs(10);

    // An event in the background: lines that start with "Linux", or are exactly "done".
    // (Events see everything, echoes of commands included: anchor the patterns.)
    let mut watch = Wait4::new([r"^Linux (?P<host>\S+)", r"^(?P<word>done)$"])?;
    let seen = watch.occurrences();
    let watcher = shell.start(watch);

    // A blocking command with the generic line parser.
    let uname = shell.run(Command::lines("uname -a", LOCAL_PROMPT), timeout)?;
    println!("uname -a  -> {uname:?}");

    // A multi-line command through the custom parser.
    let disks =
        shell.run(Command::new("df -P /", DiskUse::default()).prompt(LOCAL_PROMPT), timeout)?;
    for (mount, pct) in &disks {
        println!("df        -> {mount} is {pct}% full");
    }

    // A command in the background while we do something else, then its result.
    let slow = shell.start(Command::lines("sleep 0.2; echo done", LOCAL_PROMPT));
    println!("meanwhile -> background command running: {}", !slow.is_done());
    println!("slow      -> {:?}", slow.wait(timeout)?);

    // Failures and timeouts are errors, and the shell stays usable.
    match shell.run(Command::lines("ls /no/such/dir", LOCAL_PROMPT), timeout) {
        Err(e) => println!("failure   -> {e}"),
        Ok(out) => println!("unexpected success: {out:?}"),
    }
    match shell
        .run(Command::lines("sleep 3", LOCAL_PROMPT).timeout(Duration::from_millis(300)), timeout)
    {
        Err(e) => println!("timeout   -> {e}"),
        Ok(out) => println!("unexpected success: {out:?}"),
    }

    watcher.cancel();
    for o in seen.blocking_iter() {
        println!("event     -> line {:?}, named groups {:?}", o.line, o.named_groups);
    }
    Ok(())
}
