//! `get_cell_id_lte`: [`GetCellIdLte`].

use serde::{Deserialize, Serialize};

use super::generic::at_command;
use super::registration::RegistrationParser;

/// `AT+CEREG?`: the EPS (LTE) network registration status and location; result a
/// [`Registration`](super::Registration) whose names depend on `<n>` (`tac`, `ci`, `AcT`, the
/// causes, PSM timers `Active_Time`, `Periodic_RAU`; for `<n>` 6 and 7 `lac` and the CSG
/// status). Also reads `+CREG:` lines, as Moler does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCellIdLte {}

impl GetCellIdLte {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

fn keys(n: Option<u64>, _: &[&str]) -> Vec<&'static str> {
    const PSM: [&str; 9] = [
        "n",
        "stat",
        "tac",
        "ci",
        "AcT",
        "cause_type",
        "reject_cause",
        "Active_Time",
        "Periodic_RAU",
    ];
    match n {
        Some(1) => PSM[..4].to_vec(),
        Some(2) => PSM[..5].to_vec(),
        Some(3) => PSM[..7].to_vec(),
        Some(4 | 5) => PSM.to_vec(),
        Some(6) => vec!["n", "stat", "lac", "ci", "AcT", "cause_type", "reject_cause", "csg_stat"],
        Some(7) => vec![
            "n",
            "stat",
            "lac",
            "ci",
            "AcT",
            "cause_type",
            "reject_cause",
            "csg_stat",
            "csginfo",
        ],
        _ => vec!["n", "stat"],
    }
}

at_command!(GetCellIdLte, "get_cell_id_lte", RegistrationParser,
    |s| RegistrationParser::new(r"^\s*\+C(E)?REG:\s(?P<raw_output>(?P<n>\d+).*)$", keys),
    line: |l| Ok("AT+CEREG?".to_owned()));
