//! What the end-to-end tests share: a runner with its runtime, and the macro that turns one
//! scenario into a test on every runner.
#![allow(dead_code)]

use moler::prelude::*;

/// A runner and what it runs on, kept alive for the test.
pub struct Rig {
    pub runner: Runner,
    #[cfg(feature = "tokio")]
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Rig {
    pub fn new(kind: RunnerKind) -> Rig {
        #[cfg(feature = "tokio")]
        if kind == RunnerKind::Tokio {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let runner = moler::TokioRunner::with_handle(rt.handle().clone()).into();
            return Rig { runner, _tokio: Some(rt) };
        }
        Rig {
            runner: Runner::new(kind).unwrap(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    /// A local shell on this runner.
    pub fn shell(&self) -> ConnectionHandle {
        let shell = local_shell_on(&self.runner, &Default::default()).unwrap();
        assert_eq!(shell.runner(), self.runner.kind());
        shell
    }
}

/// Defines each scenario as a test on every runner: `on_thread::name`, `on_tokio::name`,
/// `on_smol::name`.
#[allow(unused_macros)]
macro_rules! on_every_runner {
    ($($scenario:ident),* $(,)?) => {
        mod on_thread {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Thread)) } )*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Tokio)) } )*
        }
        #[cfg(feature = "smol")]
        mod on_smol {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Smol)) } )*
        }
    };
}
