//! `shutdown`: the event [`Shutdown`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `shutdown` (Moler's `Shutdown`): `The system is going down for reboot at …` (groups: what,
/// when).
///
/// Whole lines only: Moler also reads the unfinished last line, so a read that ends inside
/// the line gives it a cut occurrence (`… at Tue 2019-03-19 12:1`); here the line is read
/// once it ends, however the text is cut.
///
/// ```
/// use moler_commands::events::Shutdown;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(Shutdown::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"The system is going down for reboot at Tue 2019-03-19 12:15:16 CET!\n", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!(found[0].groups[0], "reboot");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shutdown {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Shutdown {
    const NAME: &'static str = "shutdown";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        lines(&[r"system is going down for (\w+) at (.+)"], till(self.till_occurs_times, 1)?, how)
    }
}
