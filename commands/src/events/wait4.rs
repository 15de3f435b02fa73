//! `wait4`: the event [`Wait4Event`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{records, LineRecord, Reading};
use super::{till, Records, UnixEvent};

/// `wait4` (Moler's `Wait4`): lines matching `detect_patterns` (`match`: `any`, `all` or
/// `sequence`), escape codes removed; the unfinished last line too, as Moler reads it.
///
/// ```
/// use moler_commands::events::Wait4Event;
/// use moler_commands::UnixEvent;
/// let e = Wait4Event { detect_patterns: vec!["ALARM".into()], ..Default::default() };
/// assert!(e.event().is_ok());
/// ```
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
    /// Only whole lines are matched (not Moler's: its `wait4` also matches the unfinished
    /// last line, which makes an anchored pattern such as `^n=\d+$` match a line cut between
    /// reads; default false, as in Moler).
    #[serde(default)]
    pub full_lines_only: bool,
}

impl UnixEvent for Wait4Event {
    const NAME: &'static str = "wait4";
    type Record = LineRecord;
    fn event(&self) -> Result<Records<LineRecord>> {
        let how = Reading { full_lines_only: self.full_lines_only, strip_escape_codes: true };
        let till = till(self.till_occurs_times, -1)?;
        records(&self.detect_patterns, self.match_mode.as_deref(), till, how)
    }
}
