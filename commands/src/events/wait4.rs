//! `wait4`: the event [`Wait4Event`].

use moler_core::{Error, MatchMode, Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};

/// `wait4`: lines matching `detect_patterns` (`match`: `any`, `all` or `sequence`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Event {
    /// The regexes.
    pub detect_patterns: Vec<String>,
    /// `any` (default), `all` or `sequence`.
    #[serde(rename = "match")]
    pub match_mode: Option<String>,
    /// How many occurrences end the event (`-1`: until cancelled, the default).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Wait4Event {
    const NAME: &'static str = "wait4";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let mode = match self.match_mode.as_deref() {
            None | Some("any") => MatchMode::Any,
            Some("all") => MatchMode::All,
            Some("sequence") => MatchMode::Sequence,
            Some(other) => {
                return Err(Error::WrongUsage(format!(
                    "match must be any, all or sequence, not {other:?}"
                )))
            }
        };
        till(Wait4::new(&self.detect_patterns)?.mode(mode), self.till_occurs_times)
    }
}
