//! `failed_login_counter`: the event [`FailedLoginCounter`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `failed_login_counter` (Moler's `FailedLoginCounter`): `There were N failed login attempts
/// since the last successful login` (`ATTEMPTS_NR` as a number), whole lines only.
///
/// ```
/// use moler_commands::events::FailedLoginCounter;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(FailedLoginCounter::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"There were 2 failed login attempts since the last successful login.\n", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!(found[0].named_groups["ATTEMPTS_NR"], 2);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedLoginCounter {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for FailedLoginCounter {
    const NAME: &'static str = "failed_login_counter";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        lines(
            &[
                r"(?i)There (?:were|was|have been) (?P<ATTEMPTS_NR>\d+) (?:failed|unsuccessful) login attempts? since the last successful login",
            ],
            till(self.till_occurs_times, 1)?,
            how,
        )
    }
}
