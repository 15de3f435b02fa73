//! `password_prompt`: the event [`PasswordPrompt`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `password_prompt`: a password (or passphrase) question, also without a line end.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPrompt {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PasswordPrompt {
    const NAME: &'static str = "password_prompt";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event =
            Wait4::new([r"(?i)(password|passphrase)[^:\n]*:\s*$"])?.match_partial_lines(true);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}
