//! One scenario, every runner: [`Rig`] (a runner with the runtime it needs) and
//! [`on_every_runner!`](crate::on_every_runner).

use moler_runners::{ConnectionHandle, Runner};

pub use moler_runners::RunnerKind;

/// A runner and what it runs on (the tokio runtime of the tokio runner), kept alive for the
/// test.
pub struct Rig {
    /// The runner the scenario runs on.
    pub runner: Runner,
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Rig {
    /// A runner of `kind`; for tokio, on a two-worker runtime of its own.
    ///
    /// # Panics
    ///
    /// When `kind` is not compiled into moler-runners (the macro asks only for those the
    /// test crate's features compile in).
    pub fn new(kind: RunnerKind) -> Rig {
        if kind == RunnerKind::Tokio {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime for the test");
            // Inside the runtime's context the tokio runner takes its handle.
            let runner = {
                let _in_runtime = rt.enter();
                Runner::new(kind).expect("the tokio runner is compiled in")
            };
            return Rig { runner, _tokio: Some(rt) };
        }
        Rig { runner: Runner::new(kind).expect("the runner is compiled in"), _tokio: None }
    }

    /// A local shell (bash in a pty, `moler::local_shell_on`) on this runner.
    pub fn shell(&self) -> ConnectionHandle {
        let pty = moler_io::terminal::open(&Default::default()).expect("a local shell");
        let shell = self.runner.spawn("local", pty).expect("a connection on the runner");
        assert_eq!(shell.runner(), self.runner.kind());
        shell
    }
}

/// Defines each scenario (a `fn(&Rig)` in scope) as a test on every runner the test crate's
/// features compile in: `on_thread::name`, `on_tokio::name` (feature `tokio`), `on_smol::name`
/// (feature `smol`). Each test builds its own [`Rig`].
///
/// ```
/// use moler_testkit::{on_every_runner, Rig};
///
/// fn runs(rig: &Rig) {
///     let _ = rig.runner.kind();
/// }
///
/// on_every_runner!(runs);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! on_every_runner {
    ($($scenario:ident),* $(,)?) => {
        mod on_thread {
            $( #[test] pub(super) fn $scenario() { super::$scenario(&$crate::Rig::new($crate::runners::RunnerKind::Thread)) } )*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $( #[test] pub(super) fn $scenario() { super::$scenario(&$crate::Rig::new($crate::runners::RunnerKind::Tokio)) } )*
        }
        #[cfg(feature = "smol")]
        mod on_smol {
            $( #[test] pub(super) fn $scenario() { super::$scenario(&$crate::Rig::new($crate::runners::RunnerKind::Smol)) } )*
        }
    };
}
