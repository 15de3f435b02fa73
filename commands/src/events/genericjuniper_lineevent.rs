//! `genericjuniper_lineevent`: the event [`GenericJuniperLineEvent`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{records, LineRecord, Reading};
use super::{till, Records, UnixEvent};

/// `genericjuniper_lineevent` (Moler's `moler.events.juniper.genericshared_lineevent.GenericJuniperLineEvent`): the generic line event of the Juniper family: lines
/// matching `detect_patterns` (`match`: `any`, `all` or `sequence`), lines as they come (Moler removes no escape codes for this family); the
/// unfinished last line too, as Moler reads it.
///
/// Moler's module for it is `juniper/genericshared_lineevent.py`, the name of the shared
/// family's event: by one name the registry holds one event, so this one is registered under
/// its class's name, `genericjuniper_lineevent`.
///
/// ```
/// use moler_commands::events::GenericJuniperLineEvent;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let spec = GenericJuniperLineEvent { detect_patterns: vec![r"host:.*#".into()], till_occurs_times: Some(1), ..Default::default() };
/// let mut conn = Connection::new("demo");
/// let done = conn.start(spec.event().unwrap(), Instant::now());
/// conn.handle_input(b"Login:\nhost:~ #", Instant::now());
/// let found = serde_json::to_value(done.try_result().unwrap().unwrap()).unwrap();
/// assert_eq!(found[0]["matched"], "host:~ #");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericJuniperLineEvent {
    /// The regexes.
    pub detect_patterns: Vec<String>,
    /// `any` (default), `all` or `sequence`.
    #[serde(rename = "match")]
    pub match_mode: Option<String>,
    /// How many occurrences end the event (`-1`: until cancelled, the default).
    pub till_occurs_times: Option<i64>,
    /// Only whole lines are matched (not Moler's; default false, as Moler reads lines).
    #[serde(default)]
    pub full_lines_only: bool,
}

impl UnixEvent for GenericJuniperLineEvent {
    const NAME: &'static str = "genericjuniper_lineevent";
    type Record = LineRecord;
    fn event(&self) -> Result<Records<LineRecord>> {
        let how = Reading { full_lines_only: self.full_lines_only, strip_escape_codes: false };
        let till = till(self.till_occurs_times, -1)?;
        records(&self.detect_patterns, self.match_mode.as_deref(), till, how)
    }
}
