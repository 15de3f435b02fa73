//! Helpers of the crate's unit tests.

use moler_core::Connection;

/// What `conn` has to send now, as text (taken: the next call gives only what comes after).
pub(crate) fn sent(conn: &mut Connection) -> String {
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    String::from_utf8(out).expect("text was sent")
}

/// What became of a command or event: `None` while it runs, its error as text.
pub(crate) fn outcome<T: Send + 'static>(
    done: &moler_core::Completion<T>,
) -> Option<Result<(), String>> {
    done.try_result().map(|r| r.map(|_| ()).map_err(|e| e.to_string()))
}

/// The error of an `outcome` that must be a failure.
pub(crate) fn failed(outcome: Option<Result<(), String>>) -> String {
    match outcome {
        Some(Err(why)) => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}
