//! `private_system`: the event [`PrivateSystem`].

use moler_core::{MatchMode, Result};
use serde::{Deserialize, Serialize};

use super::line_event::{cycles, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// The five lines of the banner, each matched once in any order (Moler's `match: all`).
const BANNER: [&str; 5] = [
    r"You are about to access a private system. This system is for the use of",
    r"authorized users only. All connections are logged to the extent and by means",
    r"acceptable by the local legislation. Any unauthorized access or access",
    r"attempts may be punished to the fullest extent possible under the applicable",
    r"local legislation.",
];

/// `private_system` (Moler's `PrivateSystem`): the "You are about to access a private
/// system" login banner; one occurrence is its five lines (whole lines only).
///
/// ```
/// use moler_commands::events::PrivateSystem;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(PrivateSystem::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"You are about to access a private system. This system is for the use of\n\
///     authorized users only. All connections are logged to the extent and by means\n\
///     acceptable by the local legislation. Any unauthorized access or access\n\
///     attempts may be punished to the fullest extent possible under the applicable\n\
///     local legislation.\n", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()[0].len(), 5);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateSystem {
    /// How many banners end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for PrivateSystem {
    const NAME: &'static str = "private_system";
    type Record = Vec<LineOccurrence>;
    fn event(&self) -> Result<Records<Vec<LineOccurrence>>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        cycles(&BANNER, MatchMode::All, till(self.till_occurs_times, 1)?, how)
    }
}
