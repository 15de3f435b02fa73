//! `last_failed_login`: the event [`LastFailedLogin`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::last_login::LoginSeen;
use super::{login_event, till, UnixEvent};
use crate::MapOutput;

login_event!(
    /// `last_failed_login`: `Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
    LastFailedLogin, "last_failed_login",
    r"(?i)Last failed login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)"
);
