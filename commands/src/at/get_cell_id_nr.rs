//! `get_cell_id_nr`: [`GetCellIdNr`].

use serde::{Deserialize, Serialize};

use super::generic::at_command;
use super::registration::RegistrationParser;

/// `AT+C5GREG?`: the 5GS (NR) network registration status and location; result a
/// [`Registration`](super::Registration) (`n`, `stat`, `tac`, `ci`, `AcT`,
/// `Allowed_NSSAI_length`, `Allowed_NSSAI`, the causes, `cag_stat`, `caginfo`). A line
/// without `<stat>` (its second value quoted: a location) names the values from `tac` on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCellIdNr {}

impl GetCellIdNr {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

fn keys(_: Option<u64>, values: &[&str]) -> Vec<&'static str> {
    let mut keys = vec![
        "n",
        "stat",
        "tac",
        "ci",
        "AcT",
        "Allowed_NSSAI_length",
        "Allowed_NSSAI",
        "cause_type",
        "reject_cause",
        "cag_stat",
        "caginfo",
    ];
    if values.get(1).is_some_and(|v| v.contains('"')) {
        keys.remove(1);
    }
    keys
}

at_command!(GetCellIdNr, "get_cell_id_nr", RegistrationParser,
    |s| RegistrationParser::new(r"^\s*\+C5GREG:\s(?P<raw_output>.*)$", keys),
    line: |l| Ok("AT+C5GREG?".to_owned()));
