//! `ping_response`: the event [`PingResponse`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `ping_response` (Moler's `PingResponse`): a reply line of ping, `64 bytes from …`.
///
/// Whole lines only: Moler also reads the unfinished last line, so a read that ends inside
/// the line gives it a cut occurrence (`… at Tue 2019-03-19 12:1`); here the line is read
/// once it ends, however the text is cut.
///
/// ```
/// use moler_commands::events::PingResponse;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(PingResponse::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"PING x\n64 bytes from 10.0.0.1: icmp_seq=1 ttl=64\n", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!(found[0].line, "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingResponse {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PingResponse {
    const NAME: &'static str = "ping_response";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        lines(&[r"\d+\s+bytes\s+from.+"], till(self.till_occurs_times, 1)?, how)
    }
}
