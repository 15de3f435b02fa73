//! Helpers of the crate's unit tests.

use moler_core::Connection;

/// What `conn` has to send now, as text (taken: the next call gives only what comes after).
pub(crate) fn sent(conn: &mut Connection) -> String {
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    String::from_utf8(out).expect("text was sent")
}
