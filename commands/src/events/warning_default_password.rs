//! `warning_default_password`: the event [`WarningDefaultPassword`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `warning_default_password` (Moler's `WarningDefaultPassword`): `Warning: you are using
/// default password, please change it as soon as possible`, whole lines only.
///
/// ```
/// use moler_commands::events::WarningDefaultPassword;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(WarningDefaultPassword::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"Warning: you are using default password, please change it as soon as possible.\n", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert!(found[0].line.ends_with("possible."));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningDefaultPassword {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for WarningDefaultPassword {
    const NAME: &'static str = "warning_default_password";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        lines(
            &[r"(?i)Warning: you are using default password, please change it as soon as possible"],
            till(self.till_occurs_times, 1)?,
            how,
        )
    }
}
