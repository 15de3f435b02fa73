//! `wait4prompt`: the event [`Wait4Prompt`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `wait4prompt`: the prompt `prompt` (also without a line end).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Prompt {
    /// The prompt regex.
    pub prompt: String,
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Wait4Prompt {
    const NAME: &'static str = "wait4prompt";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event = Wait4::new([&self.prompt])?.match_partial_lines(true);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}
