//! The network registration status that `AT+CREG?`, `AT+CGREG?`, `AT+CEREG?` and
//! `AT+C5GREG?` print (3GPP TS 27.007), read by the four `get_cell_id*` commands: the values
//! after the colon, named by position, the names depending on the command and on `<n>`.

use moler_core::{Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::regex;

/// The registration status and location, as Moler returns it: `raw_output` (the text after
/// the colon) and each non-empty value under its 3GPP name, quotes removed. Which names
/// appear depends on the command and on the line's `<n>` (the result code mode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(non_snake_case, missing_docs)]
pub struct Registration {
    /// The text after `+CREG: ` (or its kin).
    pub raw_output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AcT: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Allowed_NSSAI_length: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Allowed_NSSAI: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Active_Time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Periodic_RAU: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub GPRS_READY_timer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csg_stat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csginfo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cag_stat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caginfo: Option<String>,
}

impl Registration {
    fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
        Some(match key {
            "n" => &mut self.n,
            "stat" => &mut self.stat,
            "lac" => &mut self.lac,
            "tac" => &mut self.tac,
            "ci" => &mut self.ci,
            "AcT" => &mut self.AcT,
            "rac" => &mut self.rac,
            "Allowed_NSSAI_length" => &mut self.Allowed_NSSAI_length,
            "Allowed_NSSAI" => &mut self.Allowed_NSSAI,
            "cause_type" => &mut self.cause_type,
            "reject_cause" => &mut self.reject_cause,
            "Active_Time" => &mut self.Active_Time,
            "Periodic_RAU" => &mut self.Periodic_RAU,
            "GPRS_READY_timer" => &mut self.GPRS_READY_timer,
            "csg_stat" => &mut self.csg_stat,
            "csginfo" => &mut self.csginfo,
            "cag_stat" => &mut self.cag_stat,
            "caginfo" => &mut self.caginfo,
            _ => return None,
        })
    }
}

/// The names of a line's values, by position, for its `<n>` (`None`: one list for all).
pub(crate) type KeysFor = fn(n: Option<u64>, values: &[&str]) -> Vec<&'static str>;

/// Parser of the `get_cell_id*` commands: the last registration line the regex matches.
#[derive(Debug)]
pub struct RegistrationParser {
    line: &'static str,
    keys: KeysFor,
    result: Option<Registration>,
}

impl RegistrationParser {
    /// Lines matching `line` (group `raw_output`: the values), names from `keys`.
    pub(crate) fn new(line: &'static str, keys: KeysFor) -> Self {
        Self { line, keys, result: None }
    }
}

impl Parser for RegistrationParser {
    type Output = Registration;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let Some(raw) = regex(self.line).captures(line).and_then(|c| c.name("raw_output")) else {
            return Ok(());
        };
        let raw = raw.as_str();
        let result = self.result.get_or_insert_with(Registration::default);
        result.raw_output = raw.to_owned();
        let values: Vec<&str> = raw.split(',').collect();
        let n = values[0].trim().parse::<u64>().ok();
        let keys = (self.keys)(n, &values);
        // Values beyond the names known for this `<n>` have no name: Moler fails on them
        // (an IndexError); they are left out.
        for (value, key) in values.iter().zip(keys) {
            if !value.is_empty() {
                if let Some(slot) = result.slot(key) {
                    *slot = Some(value.trim_matches('"').to_owned());
                }
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn finish(&mut self) -> ParseResult<Registration> {
        self.result.take().ok_or_else(|| "no registration status in the output".into())
    }
}
