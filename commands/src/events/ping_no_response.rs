//! `ping_no_response`: the event [`PingNoResponse`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `ping_no_response` (Moler's `PingNoResponse`): ping saying a request got no reply:
/// `no answer yet for icmp_seq=…` and `… Destination Host Unreachable` (Moler's two groups),
/// and, beyond Moler, `Destination Net/Port Unreachable` and `Request timeout for icmp_seq`
/// (macOS) as a pattern of their own (no groups).
///
/// Whole lines only: Moler also reads the unfinished last line, so a read that ends inside
/// the line gives it a cut occurrence (`… at Tue 2019-03-19 12:1`); here the line is read
/// once it ends, however the text is cut.
///
/// ```
/// use moler_commands::events::PingNoResponse;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(PingNoResponse::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"From 10.0.0.9 icmp_seq=1 Destination Host Unreachable\n", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!(found[0].groups[0], serde_json::Value::Null);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingNoResponse {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PingNoResponse {
    const NAME: &'static str = "ping_no_response";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        lines(
            &[
                r"(no\s+answer\s+yet\s+for.*)|(.*Destination\s+Host\s+Unreachable)",
                r".*Destination\s+(?:Net|Port)\s+Unreachable|Request timeout for icmp_seq.*",
            ],
            till(self.till_occurs_times, 1)?,
            how,
        )
    }
}
