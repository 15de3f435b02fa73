//! Helpers for your own test suites.
//!
//! [`BackgroundFailures`] is Moler's `raise_background_exceptions`: a command or event started
//! in the background that failed, and whose result nobody read, fails the test at its end.
//!
//! ```should_panic
//! use moler::prelude::*;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let _failures = moler::testing::BackgroundFailures::new();
//! let shell = moler::local_shell()?;
//! let _ls = shell.start(Command::lines("ls /nonexistent", LOCAL_PROMPT)); // fails, never read
//! shell.run(Command::lines("echo done", LOCAL_PROMPT), Duration::from_secs(10))?;
//! # Ok(())
//! # }
//! // here the test fails: "1 observer(s) failed in the background and nobody read the result: …"
//! ```
//!
//! It works the same in `#[tokio::test]` (whose body runs on the test's thread). Observers
//! started on other threads are not watched: make another `BackgroundFailures` there.
//!
//! [`FeedTester`] checks a parser against the ways a device cuts its output: a captured output
//! fed whole, line by line and in chunks of every size from 1 to 64 bytes must give one result.
//! The library's commands pass it on all of Moler's reference outputs; give it yours.
//!
//! ```
//! use moler::prelude::*;
//! use moler::testing::FeedTester;
//! use moler::Context;
//!
//! // Your parser: the lines that start with "temp=", as numbers.
//! #[derive(Default)]
//! struct Temperatures(Vec<f64>);
//!
//! impl Parser for Temperatures {
//!     type Output = Vec<f64>;
//!     fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
//!         if let (false, Some(t)) = (partial, line.strip_prefix("temp=")) {
//!             self.0.push(t.trim().parse()?); // a ParseFloatError becomes a ParseError
//!         }
//!         Ok(())
//!     }
//!     fn finish(&mut self) -> ParseResult<Vec<f64>> {
//!         Ok(std::mem::take(&mut self.0))
//!     }
//! }
//!
//! let captured = "sensor:~ # sensors\ntemp=41.5\nfan=1200\ntemp=38.0\nsensor:~ # ";
//! let make = || Command::new("sensors", Temperatures::default()).prompt(r"^sensor:~ #\s*$");
//! let temperatures = FeedTester::new().assert_all_give(captured.as_bytes(), make);
//! assert_eq!(temperatures, [41.5, 38.0]);
//! ```

use moler_core::{FailureScope, Unread};

/// Feeds a captured output to a parser in 66 ways (whole, line by line, chunks of 1 to 64 bytes)
/// and checks they all give the same result (moler-commands').
pub use moler_commands::{Feed, FeedTester};

/// Fails the test (a panic when dropped) if an observer started on this thread since it was
/// made failed and its result was not read. Cancels and clean closes (a device removed at the
/// end) do not count.
#[derive(Debug)]
#[must_use = "bind it to a variable (`let _failures = …`): dropped at once it watches nothing"]
pub struct BackgroundFailures {
    scope: FailureScope,
}

impl BackgroundFailures {
    /// Starts watching the observers started on this thread.
    pub fn new() -> BackgroundFailures {
        BackgroundFailures { scope: FailureScope::enter() }
    }

    /// The failures nobody read so far.
    pub fn unread(&self) -> Vec<Unread> {
        self.scope.unread()
    }

    /// Fails now (an `Err` listing them) if there are failures nobody read; they are forgotten.
    pub fn check(&self) -> Result<(), String> {
        let unread = self.scope.take_unread();
        if unread.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = unread.iter().map(|u| format!("  {u}")).collect();
        Err(format!(
            "{} observer(s) failed in the background and nobody read the result:\n{}",
            unread.len(),
            list.join("\n")
        ))
    }
}

impl Default for BackgroundFailures {
    fn default() -> Self {
        BackgroundFailures::new()
    }
}

impl Drop for BackgroundFailures {
    fn drop(&mut self) {
        if let Err(report) = self.check() {
            if std::thread::panicking() {
                // The test fails already: say it, without a second panic (which would abort).
                eprintln!("{report}");
            } else {
                panic!("{report}");
            }
        }
    }
}
