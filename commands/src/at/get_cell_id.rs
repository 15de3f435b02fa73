//! `get_cell_id`: [`GetCellId`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::at_command;
use super::registration::{Registration, RegistrationParser};

/// `AT+CREG?`: the circuit-switched network registration status and location; result a
/// [`Registration`] (`n`, `stat`, `lac`, `ci`, `AcT`, `cause_type`, `reject_cause`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCellId {}

impl GetCellId {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

fn keys(_: Option<u64>, _: &[&str]) -> Vec<&'static str> {
    vec!["n", "stat", "lac", "ci", "AcT", "cause_type", "reject_cause"]
}

/// The result of [`GetCellId`] (the shared [`Registration`]).
pub type GetCellIdResult = Registration;

at_command!(GetCellId, "get_cell_id", RegistrationParser,
    |s| RegistrationParser::new(r"^\s*\+CREG:\s(?P<raw_output>.*)$", keys),
    line: |l| Ok("AT+CREG?".to_owned()));
