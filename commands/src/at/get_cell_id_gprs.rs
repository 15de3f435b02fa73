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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixCommand;

    /// `<n>` 1 names the location too (Moler's reference cases of mode 1 have none).
    #[test]
    fn mode_1_names_the_area_and_the_cell() {
        let out = "AT+CGREG?\n+CGREG: 1,1,\"54DB\",\"0F6B0578\"\nOK\n";
        let cmd = GetCellIdGprs::new().command_with_prompt(crate::at::AT_PROMPT);
        let r = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        let want = serde_json::json!({
            "n": "1", "stat": "1", "lac": "54DB", "ci": "0F6B0578",
            "raw_output": "1,1,\"54DB\",\"0F6B0578\"",
        });
        assert_eq!(json, want);
    }
}
