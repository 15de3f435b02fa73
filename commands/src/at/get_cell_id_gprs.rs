//! `get_cell_id_gprs`: [`GetCellIdGprs`].

use serde::{Deserialize, Serialize};

use super::generic::at_command;
use super::registration::RegistrationParser;

/// `AT+CGREG?`: the GPRS network registration status and location; result a
/// [`Registration`](super::Registration) whose names depend on `<n>` (`lac`, `ci`, `AcT`,
/// `rac`, the causes, PSM timers `Active_Time`, `Periodic_RAU`, `GPRS_READY_timer`; for
/// `<n>` 6 and 7 the CSG status). Also reads `+CREG:` lines, as Moler does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCellIdGprs {}

impl GetCellIdGprs {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

fn keys(n: Option<u64>, _: &[&str]) -> Vec<&'static str> {
    const PSM: [&str; 11] = [
        "n",
        "stat",
        "lac",
        "ci",
        "AcT",
        "rac",
        "cause_type",
        "reject_cause",
        "Active_Time",
        "Periodic_RAU",
        "GPRS_READY_timer",
    ];
    match n {
        Some(1) => vec!["n", "stat", "lac", "ci"],
        Some(2) => vec!["n", "stat", "lac", "ci", "AcT", "rac"],
        Some(3) => PSM[..8].to_vec(),
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
        // 0, and modes Moler does not know (it fails on them): what every mode has.
        _ => vec!["n", "stat"],
    }
}

at_command!(GetCellIdGprs, "get_cell_id_gprs", RegistrationParser,
    |s| RegistrationParser::new(r"^\s*\+C(G)?REG:\s(?P<raw_output>(?P<n>\d+).*)$", keys),
    line: |l| Ok("AT+CGREG?".to_owned()));
