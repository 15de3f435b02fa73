//! `last_login`: the event [`LoginSeen`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};
use crate::MapOutput;

/// A `Last login:` or `Last failed login:` line (Moler's keys; `date` in ISO 8601 when it could
/// be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSeen {
    /// Where from.
    pub host: String,
    /// The date as printed.
    pub date_raw: String,
    /// The date in ISO 8601.
    pub date: Option<String>,
}

impl From<Occurrence> for LoginSeen {
    /// The line's `HOST` and `DATE` groups.
    fn from(o: Occurrence) -> Self {
        let group = |n: &str| o.named_groups.get(n).cloned().flatten().unwrap_or_default();
        let date_raw = group("DATE");
        LoginSeen { host: group("HOST"), date: crate::unix::login_date(&date_raw), date_raw }
    }
}

/// `last_login`: `Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastLoginEvent {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for LastLoginEvent {
    const NAME: &'static str = "last_login";
    type Event = MapOutput<Wait4, Vec<LoginSeen>>;
    type Output = Vec<LoginSeen>;
    fn event(&self) -> Result<Self::Event> {
        let pattern = r"(?i)Last login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)";
        let event = till(Wait4::new([pattern])?, Some(self.till_occurs_times.unwrap_or(1)))?;
        Ok(MapOutput::new(event, |found: Vec<Occurrence>| {
            found.into_iter().map(LoginSeen::from).collect()
        }))
    }
}
