//! `get_imsi`: [`GetImsi`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, ValueParser};

/// `AT+CIMI`: the SIM's IMSI; result `{"imsi": "440801200189934"}`.
///
/// ```
/// use moler_commands::at::GetImsi;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("modem");
/// let imsi = conn.start(GetImsi::new().command(), Instant::now());
/// conn.handle_input(b"AT+CIMI\r\r\n440801200189934\r\n\r\nOK\r\n", Instant::now());
/// assert_eq!(imsi.try_result().unwrap().unwrap().imsi, "440801200189934");
///
/// let failed = conn.start(GetImsi::new().command(), Instant::now());
/// conn.handle_input(b"AT+CIMI\r\r\n+CME ERROR: 10\r\n", Instant::now());
/// let err = failed.try_result().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "command 'AT+CIMI' failed: +CME ERROR: 10");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetImsi {}

impl GetImsi {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`GetImsi`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetImsiResult {
    /// The IMSI, as the modem printed it.
    pub imsi: String,
}

/// Parser of [`GetImsi`]: the digits alone on a line.
pub type GetImsiParser = ValueParser<GetImsiResult>;

at_command!(GetImsi, "get_imsi", GetImsiParser,
    |s| ValueParser::new(r"^\s*(?P<imsi>\d+)\s*$", "imsi", |imsi| GetImsiResult { imsi }),
    line: |l| Ok("AT+CIMI".to_owned()));
