//! `get_attach_state`: [`GetAttachState`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, ValueParser};

/// `AT+CGATT?`: the packet-domain attach state; result `{"state": "attached"}` or
/// `{"state": "detached"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetAttachState {}

impl GetAttachState {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`GetAttachState`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAttachStateResult {
    /// `attached` (`+CGATT: 1`) or `detached` (`+CGATT: 0`).
    pub state: String,
}

/// Parser of [`GetAttachState`].
pub type GetAttachStateParser = ValueParser<GetAttachStateResult>;

fn state(code: String) -> GetAttachStateResult {
    let state = if code == "1" { "attached" } else { "detached" };
    GetAttachStateResult { state: state.to_owned() }
}

at_command!(GetAttachState, "get_attach_state", GetAttachStateParser,
    |s| ValueParser::new(r"^\s*\+CGATT:\s*(?P<state_code>[01])\s*$", "state_code", state),
    line: |l| Ok("AT+CGATT?".to_owned()));
