//! `get_revision_id`: [`GetRevisionId`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, ValueParser};

/// `AT+CGMR`: the firmware revision; result `{"revision": "MPSS.HE.1.5.2-00368-…"}`. The
/// answer's first line ends the command (as for [`super::GetManufacturerId`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetRevisionId {}

impl GetRevisionId {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`GetRevisionId`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRevisionIdResult {
    /// The first non-blank line after the echo.
    pub revision: String,
}

/// Parser of [`GetRevisionId`].
pub type GetRevisionIdParser = ValueParser<GetRevisionIdResult>;

at_command!(GetRevisionId, "get_revision_id", GetRevisionIdParser,
    |s| ValueParser::new(r"^\s*(?P<revision>\S.*)$", "revision",
        |revision| GetRevisionIdResult { revision }).ending(true),
    line: |l| Ok("AT+CGMR".to_owned()));
