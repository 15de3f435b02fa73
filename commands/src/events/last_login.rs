//! `last_login`: the event [`LastLoginEvent`] and its occurrence [`LoginSeen`].

use std::time::Instant;

use moler_core::{MatchMode, Occurrence, Result};
use serde::{Deserialize, Serialize};

use super::line_event::{wait4, Reading};
use super::records::serialize_time;
use super::{till, Records, UnixEvent};

/// A `Last login:` or `Last failed login:` line (Moler's keys; `date` in ISO 8601 when it could
/// be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginSeen {
    /// Where from.
    pub host: String,
    /// The date as printed.
    pub date_raw: String,
    /// The date in ISO 8601.
    pub date: Option<String>,
    /// When the line arrived.
    #[serde(serialize_with = "serialize_time")]
    pub time: Instant,
}

impl From<Occurrence> for LoginSeen {
    /// The line's `HOST` and `DATE` groups.
    fn from(o: Occurrence) -> Self {
        let group = |n: &str| o.named_groups.get(n).cloned().flatten().unwrap_or_default();
        let date_raw = group("DATE");
        LoginSeen {
            host: group("HOST"),
            date: crate::unix::login_date(&date_raw),
            date_raw,
            time: o.time,
        }
    }
}

/// The event of a `Last … login` pattern: whole lines, escape codes removed.
pub(crate) fn login_event(pattern: &str, times: Option<i64>) -> Result<Records<LoginSeen>> {
    let how = Reading { full_lines_only: true, strip_escape_codes: true };
    let inner = wait4(&[pattern], MatchMode::Any, how)?;
    Ok(Records::new(inner, till(times, 1)?, |o| Some(LoginSeen::from(o))))
}

/// `last_login` (Moler's `LastLogin`): `Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
///
/// ```
/// use moler_commands::events::LastLoginEvent;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(LastLoginEvent::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n", Instant::now());
/// let seen = &done.try_result().unwrap().unwrap()[0];
/// assert_eq!((seen.host.as_str(), seen.date.as_deref()), ("127.0.0.1", Some("2018-06-12T08:54:44")));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastLoginEvent {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for LastLoginEvent {
    const NAME: &'static str = "last_login";
    type Record = LoginSeen;
    fn event(&self) -> Result<Records<LoginSeen>> {
        login_event(
            r"(?i)Last login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)",
            self.till_occurs_times,
        )
    }
}
