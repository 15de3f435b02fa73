//! `last_login`: the event [`LoginSeen`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{login_event, till, UnixEvent};
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

login_event!(
    /// `last_login`: `Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
    LastLoginEvent, "last_login",
    r"(?i)Last login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)"
);
