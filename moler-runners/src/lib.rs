//! # moler-runners: drive a connection over a transport
//!
//! A runner owns the I/O of one [`moler_core::Connection`]: it feeds what the transport reads
//! into the connection, writes what the connection's observers send, and wakes the connection at
//! its deadlines. What you get back is a [`ConnectionHandle`], the same type on every runner:
//! start commands and events on it from any thread or task, then `.await` their
//! [`Completion`]s or `wait` on them.
//!
//! The blocking waits live here, not in the sans-IO core: [`CompletionExt::wait`] (and
//! [`OccurrencesExt`] for an event's occurrences) parks the calling thread and polls the
//! core's future with a waker that unparks it, as reqwest's blocking client does; each wait
//! first asks [`blocking_allowed`], so it is refused, not deadlocked, inside an async runtime.
//!
//! | runner | where the loop runs | threads | feature |
//! |---|---|---|---|
//! | [`ThreadRunner`] | one OS thread per connection, blocked in `poll(2)` | 1 per connection | always |
//! | [`TokioRunner`] | one task per connection on a tokio runtime | the runtime's | `tokio` |
//! | [`SmolRunner`] | one task per connection on a smol executor | the executor's | `smol` |
//!
//! All three run the same driver loop (`driver.rs`): read → `handle_input` → write the outbox →
//! wait for the next read, deadline or request. The runners differ only in how they wait.
//!
//! Which runner, at run time: [`Runner::choose`] takes an explicit choice, else a configured
//! default, else autodetects (inside a tokio runtime → tokio, otherwise the thread runner).
//!
//! ```
//! use moler_runners::{Runner, RunnerKind};
//! use moler_core::Command;
//! use std::time::Duration;
//!
//! let (transport, device) = moler_io::memory::pair("demo");
//! let runner = Runner::choose(None, None).unwrap(); // no runtime here: the thread runner
//! assert_eq!(runner.kind(), RunnerKind::Thread);
//! let conn = runner.spawn("demo", transport).unwrap();
//! device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
//! let lines = conn.run(Command::lines("pwd", "^moler_bash# "), Duration::from_secs(5)).unwrap();
//! assert_eq!(lines, ["/root"]);
//! ```
//!
//! ## What dropping does
//! - A [`Completion`]: nothing; the observer runs on (call `cancel` to stop it).
//! - The last clone of a [`ConnectionHandle`]: closes the connection. Unfinished observers fail
//!   with `ConnectionClosed`, the transport is closed (a local shell is hung up), and the
//!   driver's thread or task ends.
//! - A runner value: nothing; connections it started live on while their handles do.
//! - A tokio runtime or a smol executor of your own: its connection tasks are dropped, which
//!   fails their unfinished observers with `ConnectionClosed` ("the runner driving this
//!   connection stopped") and closes their transports; later `start`s fail at once.

// The runner table links the runners of every feature; a build without one has no page to link to
// (docs.rs builds with every feature: Cargo.toml's `package.metadata.docs.rs`).
#![cfg_attr(not(all(feature = "tokio", feature = "smol")), allow(rustdoc::broken_intra_doc_links))]

use std::fmt;
use std::io;
use std::str::FromStr;

use moler_io::Transport;

// (used by the smol and tokio runners only)
#[cfg_attr(not(any(feature = "smol", feature = "tokio")), allow(dead_code))]
mod assist;
mod driver;
mod handle;
mod periodic;
#[cfg(feature = "smol")]
mod smol;
mod tasks;
mod thread;
#[cfg(feature = "tokio")]
mod tokio;
mod wait;

pub use handle::{blocking_allowed, ConnectionHandle};
pub use moler_core::Completion;
pub use periodic::{Every, Job};
#[cfg(feature = "smol")]
pub use smol::SmolRunner;
pub use tasks::{block_on, block_on_until, Sleep, Unblocked};
pub use thread::ThreadRunner;
#[cfg(feature = "tokio")]
pub use tokio::TokioRunner;
pub use wait::{wait_for_all, wait_for_any, BlockingOccurrences, CompletionExt, OccurrencesExt};

/// The runners by name: what a config file or a command line chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunnerKind {
    /// [`ThreadRunner`] (Moler's `threaded` variant).
    Thread,
    /// [`TokioRunner`].
    Tokio,
    /// [`SmolRunner`].
    Smol,
}

impl RunnerKind {
    /// Every runner, compiled in or not.
    pub const ALL: [RunnerKind; 3] = [RunnerKind::Thread, RunnerKind::Tokio, RunnerKind::Smol];

    /// The name used in configs (`threaded` is Moler's name for the thread runner).
    pub fn name(self) -> &'static str {
        match self {
            RunnerKind::Thread => "threaded",
            RunnerKind::Tokio => "tokio",
            RunnerKind::Smol => "smol",
        }
    }

    /// True when this build has the runner (the `tokio` and `smol` features).
    pub fn is_compiled(self) -> bool {
        match self {
            RunnerKind::Thread => true,
            RunnerKind::Tokio => cfg!(feature = "tokio"),
            RunnerKind::Smol => cfg!(feature = "smol"),
        }
    }
}

impl fmt::Display for RunnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RunnerKind {
    type Err = Error;

    /// `threaded` (or `thread`), `tokio`, `smol`; case-insensitive.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "threaded" | "thread" => Ok(RunnerKind::Thread),
            "tokio" => Ok(RunnerKind::Tokio),
            "smol" => Ok(RunnerKind::Smol),
            _ => Err(Error::Unknown { name: s.to_owned() }),
        }
    }
}

/// Why a runner could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The name is none of the runners.
    #[error("unknown runner {name:?}: expected one of threaded, tokio, smol")]
    Unknown {
        /// What was asked for.
        name: String,
    },
    /// The runner exists but this build left it out.
    #[error(
        "runner {runner} is not compiled in: enable the `{feature}` feature of moler \
         (or moler-runners)",
        feature = runner.name()
    )]
    NotCompiled {
        /// What was asked for.
        runner: RunnerKind,
    },
    /// The runner needs a runtime to run on and none is there.
    #[error(
        "runner {runner} needs a running runtime: call it from inside one, or pass a handle \
         (TokioRunner::with_handle)"
    )]
    NoRuntime {
        /// What was asked for.
        runner: RunnerKind,
    },
}

/// One of the compiled-in runners, chosen at run time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Runner {
    /// The thread runner.
    Thread(ThreadRunner),
    /// The tokio runner.
    #[cfg(feature = "tokio")]
    Tokio(TokioRunner),
    /// The smol runner.
    #[cfg(feature = "smol")]
    Smol(SmolRunner),
}

impl Runner {
    /// The runner named `kind` with its defaults (tokio: the current runtime; smol: the global
    /// executor).
    pub fn new(kind: RunnerKind) -> Result<Runner, Error> {
        match kind {
            RunnerKind::Thread => Ok(Runner::Thread(ThreadRunner::new())),
            #[cfg(feature = "tokio")]
            RunnerKind::Tokio => TokioRunner::new().map(Runner::Tokio),
            #[cfg(feature = "smol")]
            RunnerKind::Smol => Ok(Runner::Smol(SmolRunner::new())),
            #[allow(unreachable_patterns)]
            other => Err(Error::NotCompiled { runner: other }),
        }
    }

    /// Explicit choice > configured default > [`Runner::autodetect`].
    pub fn choose(
        explicit: Option<RunnerKind>,
        configured: Option<RunnerKind>,
    ) -> Result<Runner, Error> {
        match explicit.or(configured) {
            Some(kind) => Runner::new(kind),
            None => Ok(Runner::autodetect()),
        }
    }

    /// Inside a tokio runtime (and with the `tokio` feature): the tokio runner; otherwise the
    /// thread runner. A smol executor cannot be detected; choose smol explicitly.
    pub fn autodetect() -> Runner {
        #[cfg(feature = "tokio")]
        if let Ok(runner) = TokioRunner::new() {
            return Runner::Tokio(runner);
        }
        Runner::Thread(ThreadRunner::new())
    }

    /// Which runner this is.
    pub fn kind(&self) -> RunnerKind {
        match self {
            Runner::Thread(_) => RunnerKind::Thread,
            #[cfg(feature = "tokio")]
            Runner::Tokio(_) => RunnerKind::Tokio,
            #[cfg(feature = "smol")]
            Runner::Smol(_) => RunnerKind::Smol,
        }
    }

    /// Starts driving a new connection named `name` over `transport`.
    pub fn spawn(&self, name: &str, transport: Transport) -> io::Result<ConnectionHandle> {
        self.spawn_connection(moler_core::Connection::new(name), transport)
    }

    /// Starts driving `connection` over `transport`.
    pub fn spawn_connection(
        &self,
        connection: moler_core::Connection,
        transport: Transport,
    ) -> io::Result<ConnectionHandle> {
        match self {
            Runner::Thread(r) => r.spawn_connection(connection, transport),
            #[cfg(feature = "tokio")]
            Runner::Tokio(r) => r.spawn_connection(connection, transport),
            #[cfg(feature = "smol")]
            Runner::Smol(r) => r.spawn_connection(connection, transport),
        }
    }
}

impl From<ThreadRunner> for Runner {
    fn from(r: ThreadRunner) -> Self {
        Runner::Thread(r)
    }
}

#[cfg(feature = "tokio")]
impl From<TokioRunner> for Runner {
    fn from(r: TokioRunner) -> Self {
        Runner::Tokio(r)
    }
}

#[cfg(feature = "smol")]
impl From<SmolRunner> for Runner {
    fn from(r: SmolRunner) -> Self {
        Runner::Smol(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_unknown_ones_list_the_choices() {
        assert_eq!("threaded".parse::<RunnerKind>(), Ok(RunnerKind::Thread));
        assert_eq!(" Thread ".parse::<RunnerKind>(), Ok(RunnerKind::Thread));
        assert_eq!("TOKIO".parse::<RunnerKind>(), Ok(RunnerKind::Tokio));
        assert_eq!("smol".parse::<RunnerKind>(), Ok(RunnerKind::Smol));
        let err = "async-std".parse::<RunnerKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown runner \"async-std\": expected one of threaded, tokio, smol"
        );
        for kind in RunnerKind::ALL {
            assert_eq!(kind.name().parse::<RunnerKind>(), Ok(kind));
        }
    }

    #[test]
    fn a_runner_is_compiled_when_its_feature_is_on_and_shows_its_config_name() {
        assert!(RunnerKind::Thread.is_compiled());
        assert_eq!(RunnerKind::Tokio.is_compiled(), cfg!(feature = "tokio"));
        assert_eq!(RunnerKind::Smol.is_compiled(), cfg!(feature = "smol"));
        for kind in RunnerKind::ALL {
            assert_eq!(kind.to_string(), kind.name());
        }
    }

    #[test]
    fn explicit_beats_configured_beats_autodetect() {
        assert_eq!(Runner::choose(None, None).unwrap().kind(), RunnerKind::Thread);
        let configured = Runner::choose(None, Some(RunnerKind::Thread)).unwrap();
        assert_eq!(configured.kind(), RunnerKind::Thread);
        #[cfg(feature = "smol")]
        {
            let r = Runner::choose(Some(RunnerKind::Smol), Some(RunnerKind::Thread)).unwrap();
            assert_eq!(r.kind(), RunnerKind::Smol);
            let r = Runner::choose(Some(RunnerKind::Thread), Some(RunnerKind::Smol)).unwrap();
            assert_eq!(r.kind(), RunnerKind::Thread);
        }
    }

    #[cfg(feature = "tokio")]
    #[test]
    fn tokio_is_autodetected_inside_a_runtime_and_needs_one_when_chosen() {
        let err = Runner::choose(Some(RunnerKind::Tokio), None).unwrap_err();
        assert_eq!(err, Error::NoRuntime { runner: RunnerKind::Tokio });
        assert!(err.to_string().contains("TokioRunner::with_handle"), "{err}");
        let rt = ::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            assert_eq!(Runner::choose(None, None).unwrap().kind(), RunnerKind::Tokio);
            // A configured default still wins over autodetection.
            let r = Runner::choose(None, Some(RunnerKind::Thread)).unwrap();
            assert_eq!(r.kind(), RunnerKind::Thread);
        });
    }

    /// Runs under `cargo test -p moler-runners` (no features): `scripts/test.sh` does so.
    #[cfg(not(feature = "tokio"))]
    #[test]
    fn a_runner_left_out_of_the_build_is_a_clear_error() {
        assert!(!RunnerKind::Tokio.is_compiled());
        let err = Runner::choose(Some(RunnerKind::Tokio), None).unwrap_err();
        assert_eq!(err, Error::NotCompiled { runner: RunnerKind::Tokio });
        assert_eq!(
            err.to_string(),
            "runner tokio is not compiled in: enable the `tokio` feature of moler (or moler-runners)"
        );
    }

    #[cfg(not(feature = "smol"))]
    #[test]
    fn smol_left_out_of_the_build_is_a_clear_error() {
        let err = Runner::new(RunnerKind::Smol).unwrap_err();
        assert_eq!(err, Error::NotCompiled { runner: RunnerKind::Smol });
    }
}
