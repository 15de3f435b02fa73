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

/// Moler's `MolerTest` for one test function: `info`, `warning` and `error` go to `moler.log`
/// with the caller's file and line; an `error` (or a background failure nobody read) fails the
/// test at its end, and so does a test that never called [`MolerTest::steps_end`] (it stopped
/// half-way without a panic, say by an early `return`). Make it first thing in the test (its
/// drop is the check), in plain and `#[tokio::test]` tests alike; [`MolerTest::run`] wraps a
/// test body with it (the equivalent of Moler's `@MolerTest.raise_background_exceptions()`
/// decorator).
///
/// ```should_panic
/// use moler::testing::MolerTest;
///
/// let test = MolerTest::start();
/// test.info("checking the link");
/// test.error_dump("link down", &["eth0", "eth1"]); // logged with this file and line
/// test.steps_end();
/// // here the test fails: "1 error(s) reported during the test: link down: [\"eth0\", \"eth1\"] (src/…:6)"
/// ```
#[derive(Debug)]
#[must_use = "bind it to a variable (`let test = …`): its drop is the check"]
pub struct MolerTest {
    failures: BackgroundFailures,
    errors: std::sync::Mutex<Vec<String>>,
    ended: std::sync::atomic::AtomicBool,
    require_steps_end: bool,
}

impl MolerTest {
    /// Starts the checks for this test (on this thread), logging its start.
    #[track_caller]
    pub fn start() -> MolerTest {
        let at = std::panic::Location::caller();
        let name = std::thread::current().name().unwrap_or("?").to_owned();
        tracing::info!(target: crate::logging::MAIN, "test {name} started ({}:{})", at.file(), at.line());
        MolerTest {
            failures: BackgroundFailures::new(),
            errors: std::sync::Mutex::default(),
            ended: std::sync::atomic::AtomicBool::new(false),
            require_steps_end: true,
        }
    }

    /// Whether the test must call [`MolerTest::steps_end`] (default yes).
    pub fn require_steps_end(mut self, on: bool) -> MolerTest {
        self.require_steps_end = on;
        self
    }

    /// Runs `body` with a `MolerTest`, checked when it returns.
    ///
    /// ```
    /// moler::testing::MolerTest::run(|test| {
    ///     test.info("all good");
    ///     test.steps_end();
    /// });
    /// ```
    #[track_caller]
    pub fn run<R>(body: impl FnOnce(&MolerTest) -> R) -> R {
        let test = MolerTest::start();
        body(&test)
    }

    /// Logs `message` at INFO in `moler.log`, with the caller's place.
    #[track_caller]
    pub fn info(&self, message: impl std::fmt::Display) {
        let at = std::panic::Location::caller();
        tracing::info!(target: crate::logging::MAIN, "{message} ({}:{})", at.file(), at.line());
    }

    /// Logs `message` at WARNING in `moler.log`, with the caller's place.
    #[track_caller]
    pub fn warning(&self, message: impl std::fmt::Display) {
        let at = std::panic::Location::caller();
        tracing::warn!(target: crate::logging::MAIN, "{message} ({}:{})", at.file(), at.line());
    }

    /// Logs `message` at ERROR in `moler.log`, with the caller's place; the test fails at its
    /// end (it goes on meanwhile, as in Moler).
    #[track_caller]
    pub fn error(&self, message: impl std::fmt::Display) {
        let at = std::panic::Location::caller();
        let line = format!("{message} ({}:{})", at.file(), at.line());
        tracing::error!(target: crate::logging::MAIN, "{line}");
        self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
    }

    /// [`MolerTest::error`] with a value dumped after the message (`{:?}`).
    #[track_caller]
    pub fn error_dump(&self, message: impl std::fmt::Display, value: &impl std::fmt::Debug) {
        let at = std::panic::Location::caller();
        let line = format!("{message}: {value:?} ({}:{})", at.file(), at.line());
        tracing::error!(target: crate::logging::MAIN, "{line}");
        self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
    }

    /// Turns the debug log (`moler.debug.log`) on for the logs in force (Moler's
    /// `MolerTest.enable_debug_log`); see [`crate::logging::Logs::set_debug_log`]. Nothing
    /// without logs configured.
    pub fn enable_debug_log() {
        if let Some(logs) = crate::logging::active() {
            logs.set_debug_log(true);
        }
    }

    /// Turns the debug log off for the logs in force, saying so in `moler.log` (Moler's
    /// `MolerTest.disable_debug_log`): a noisy step keeps it small.
    pub fn disable_debug_log() {
        if let Some(logs) = crate::logging::active() {
            logs.set_debug_log(false);
        }
    }

    /// Marks the test as having reached its end (Moler's `steps_end`).
    pub fn steps_end(&self) {
        self.ended.store(true, std::sync::atomic::Ordering::Release);
    }

    /// What would fail the test now: errors reported, background failures nobody read, no
    /// `steps_end` (when required).
    pub fn check(&self) -> Result<(), String> {
        let mut report = Vec::new();
        let errors = self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if !errors.is_empty() {
            report.push(format!(
                "{} error(s) reported during the test: {}",
                errors.len(),
                errors.join("; ")
            ));
        }
        if let Err(e) = self.failures.check() {
            report.push(e);
        }
        if self.require_steps_end && !self.ended.load(std::sync::atomic::Ordering::Acquire) {
            report.push("the test did not reach its end: steps_end() was not called".into());
        }
        if report.is_empty() {
            Ok(())
        } else {
            Err(report.join("\n"))
        }
    }
}

impl Drop for MolerTest {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        match self.check() {
            Ok(()) => tracing::info!(target: crate::logging::MAIN, "test ended"),
            Err(report) => {
                tracing::error!(target: crate::logging::MAIN, "{report}");
                panic!("{report}");
            }
        }
    }
}
