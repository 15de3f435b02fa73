//! A tokio runtime shut down under its connections: what waits on them fails at once, saying
//! why.
#![cfg(feature = "tokio")]

use std::time::Instant;

use moler_core::Wait4;
use moler_runners::{CompletionExt, TokioRunner};

mod support;
use support::{close_reason, WAIT};

#[test]
fn a_runtime_shut_down_fails_what_waits_saying_why() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let rt = rt.unwrap();
    let (io, _device) = moler_io::memory::pair("ends");
    let conn = TokioRunner::with_handle(rt.handle().clone()).spawn("ends", io).unwrap();
    let waiting = conn.start(Wait4::new(["^never$"]).unwrap());
    let started = Instant::now();
    rt.shutdown_timeout(WAIT);
    let err = waiting.wait(WAIT).unwrap_err();
    assert!(close_reason(&err).to_string().contains("its runtime shut down"), "{err}");
    assert!(started.elapsed() < WAIT / 2, "failed after {:?}", started.elapsed());
    assert!(conn.is_closed());
}
