//! `last_failed_login`: the event [`LastFailedLogin`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::last_login::{login_event, LoginSeen};
use super::{Records, UnixEvent};

/// `last_failed_login` (Moler's `LastFailedLogin`): `Last failed login: Tue Jun 12 08:54:44
/// 2018 from 127.0.0.1`.
///
/// ```
/// use moler_commands::events::LastFailedLogin;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(LastFailedLogin::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"Last login: Mon Jun 11 08:54:44 2018 from 10.0.0.1\n", Instant::now());
/// conn.handle_input(b"Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()[0].host, "127.0.0.1");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastFailedLogin {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for LastFailedLogin {
    const NAME: &'static str = "last_failed_login";
    type Record = LoginSeen;
    fn event(&self) -> Result<Records<LoginSeen>> {
        login_event(
            r"(?i)Last failed login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)",
            self.till_occurs_times,
        )
    }
}
