//! `ping_response`: the event [`PingResponse`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `ping_response`: a reply line of ping.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingResponse {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PingResponse {
    const NAME: &'static str = "ping_response";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event =
            Wait4::new([r"\d+ bytes from .*(icmp_seq|seq)=\d+"])?.match_partial_lines(false);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}
