//! `password_prompt`: the event [`PasswordPrompt`].

use std::time::Instant;

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{wait4, Reading};
use super::records::serialize_time;
use super::{till, Records, UnixEvent};

/// `password_prompt` (Moler's `PasswordPrompt`): a password (or passphrase) question, also
/// on the unfinished last line, where it waits for the answer.
///
/// Moler's pattern is `password:` anywhere in a line; this one wants the question at the
/// line's end (`Password for user@host: `), so `Password: changed` printed by a tool is no
/// question.
///
/// ```
/// use moler_commands::events::PasswordPrompt;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(PasswordPrompt::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"Login:user\nuser@host's password: ", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()[0].line, "user@host's password: ");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPrompt {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

/// An occurrence of [`PasswordPrompt`] (Moler's keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswordSeen {
    /// The line with the question.
    pub line: String,
    /// When it arrived.
    #[serde(serialize_with = "serialize_time")]
    pub time: Instant,
}

impl UnixEvent for PasswordPrompt {
    const NAME: &'static str = "password_prompt";
    type Record = PasswordSeen;
    fn event(&self) -> Result<Records<PasswordSeen>> {
        let how = Reading { full_lines_only: false, strip_escape_codes: true };
        let inner = wait4(&[r"(?i)(password|passphrase)[^:\n]*:\s*$"], Default::default(), how)?;
        let till = till(self.till_occurs_times, 1)?;
        Ok(Records::new(inner, till, |o| Some(PasswordSeen { line: o.line, time: o.time })))
    }
}
