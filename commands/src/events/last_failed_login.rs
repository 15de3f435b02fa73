//! `last_failed_login`: the event [`LastFailedLogin`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::last_login::LoginSeen;
use super::{till, UnixEvent};
use crate::MapOutput;

/// `last_failed_login`: `Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastFailedLogin {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for LastFailedLogin {
    const NAME: &'static str = "last_failed_login";
    type Event = MapOutput<Wait4, Vec<LoginSeen>>;
    type Output = Vec<LoginSeen>;
    fn event(&self) -> Result<Self::Event> {
        let pattern = r"(?i)Last failed login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)";
        let event = till(Wait4::new([pattern])?, Some(self.till_occurs_times.unwrap_or(1)))?;
        Ok(MapOutput::new(event, |found: Vec<Occurrence>| {
            found.into_iter().map(LoginSeen::from).collect()
        }))
    }
}
