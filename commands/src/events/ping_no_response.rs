//! `ping_no_response`: the event [`PingNoResponse`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `ping_no_response`: ping reporting no reply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingNoResponse {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PingNoResponse {
    const NAME: &'static str = "ping_no_response";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event = Wait4::new([r"(Destination (Host|Net|Port) Unreachable|no answer yet for icmp_seq=\d+|Request timeout for icmp_seq|100% packet loss)"])?.match_partial_lines(false);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}
