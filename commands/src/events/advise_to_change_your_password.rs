//! `advise_to_change_your_password`: the event [`AdviseToChangeYourPassword`].

use std::time::Instant;

use moler_core::{MatchMode, Result};
use serde::{Deserialize, Serialize};

use super::line_event::{wait4, Reading};
use super::records::serialize_time;
use super::{till, Records, UnixEvent};

/// `advise_to_change_your_password` (Moler's `AdviseToChangeYourPassword`): `Warning: you are
/// advised to change your password (more than 90 days old)`, whole lines only.
///
/// ```
/// use moler_commands::events::AdviseToChangeYourPassword;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(AdviseToChangeYourPassword::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"Warning: you are advised to change your password (more than 90 days old)\n", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()[0].days, 90);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdviseToChangeYourPassword {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

/// An occurrence of [`AdviseToChangeYourPassword`] (Moler's keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswordAdvice {
    /// How old the password is, in days (`u64::MAX` for a number too large to hold).
    pub days: u64,
    /// When the line arrived.
    #[serde(serialize_with = "serialize_time")]
    pub time: Instant,
}

impl UnixEvent for AdviseToChangeYourPassword {
    const NAME: &'static str = "advise_to_change_your_password";
    type Record = PasswordAdvice;
    fn event(&self) -> Result<Records<PasswordAdvice>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        let pattern = r"(?i)Warning: you are advised to change your password \(more than\s+(?P<DAYS>\d+)\s+days old\)";
        let inner = wait4(&[pattern], MatchMode::Any, how)?;
        Ok(Records::new(inner, till(self.till_occurs_times, 1)?, |o| {
            let days = o.named_groups.get("DAYS").cloned().flatten().unwrap_or_default();
            // Only digits: too large is the one way to fail.
            Some(PasswordAdvice { days: days.parse().unwrap_or(u64::MAX), time: o.time })
        }))
    }
}
