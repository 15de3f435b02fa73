//! `shutdown`: the event [`Shutdown`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `shutdown`: `The system is going down for reboot at …` (groups: what, when).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shutdown {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Shutdown {
    const NAME: &'static str = "shutdown";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event =
            Wait4::new([r"system is going down for (\w+) at (.+)"])?.match_partial_lines(false);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}
