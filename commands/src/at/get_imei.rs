//! `get_imei`: [`GetImei`], its parameters, its result and its parser.

use moler_core::{Context, End, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::{at_command, regex};
use crate::ParamError;

/// `AT+CGSN` (`sn_type` `default`) or `AT+CGSN=1` (`imei`): the product serial number, the
/// IMEI. Result `{"imei": "490154203237518"}`, with the IMEI's parts for `imei`
/// (`tac`, `snr`, `cd`).
///
/// Moler's other serial-number types are kept with Moler's lines (`imeisv`: `AT+CGSN=1`,
/// `svn`: `AT+CGSN=2`) and read with the patterns Moler has for them (the whole IMEISV, or the
/// two digits of the SVN), where Moler itself parses nothing and times out.
///
/// `AT+CGSN` alone ends on the serial number: modems need not end it with `OK`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetImei {
    /// `default`, `imei`, `imeisv` or `svn`.
    #[serde(default = "default_sn_type")]
    pub sn_type: String,
}

fn default_sn_type() -> String {
    "default".to_owned()
}

impl Default for GetImei {
    fn default() -> Self {
        Self { sn_type: default_sn_type() }
    }
}

impl GetImei {
    /// `AT+CGSN`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `sn_type`.
    pub fn sn_type(mut self, sn_type: impl Into<String>) -> Self {
        self.sn_type = sn_type.into();
        self
    }
}

/// Result of [`GetImei`]: the keys Moler gives for the type asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetImeiResult {
    /// The serial number (`default`) or IMEI (`imei`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// Type allocation code (8 digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tac: Option<String>,
    /// Serial number (6 digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snr: Option<String>,
    /// Check digit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cd: Option<String>,
    /// Software version number (`imeisv`, `svn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svn: Option<String>,
    /// The IMEISV (`imeisv`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imeisv: Option<String>,
}

/// Parser of [`GetImei`].
#[derive(Debug)]
pub struct GetImeiParser {
    sn_type: String,
    result: GetImeiResult,
    found: bool,
}

impl Parser for GetImeiParser {
    type Output = GetImeiResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || (self.found && self.sn_type == "default") {
            return Ok(());
        }
        let r = &mut self.result;
        match self.sn_type.as_str() {
            "default" => {
                if let Some(c) = regex(r"^\s*(?P<sn>\S.*)$").captures(line) {
                    r.imei = Some(c["sn"].to_owned());
                    self.found = true;
                }
            }
            "imei" => {
                let re = regex(r#"^\s*\+CGSN: "(?P<tac>\d{8})(?P<snr>\d{6})(?P<cd>\d)"\s*$"#);
                if let Some(c) = re.captures(line) {
                    r.imei = Some(format!("{}{}{}", &c["tac"], &c["snr"], &c["cd"]));
                    (r.tac, r.snr, r.cd) =
                        (Some(c["tac"].into()), Some(c["snr"].into()), Some(c["cd"].into()));
                    self.found = true;
                }
            }
            "imeisv" => {
                if let Some(c) = regex(r"(?P<tac>\d{8})(?P<snr>\d{6})(?P<svn>\d{2})").captures(line)
                {
                    r.imeisv = Some(format!("{}{}{}", &c["tac"], &c["snr"], &c["svn"]));
                    (r.tac, r.snr, r.svn) =
                        (Some(c["tac"].into()), Some(c["snr"].into()), Some(c["svn"].into()));
                    self.found = true;
                }
            }
            _ => {
                if let Some(c) = regex(r"(?P<svn>\d{2})").captures(line) {
                    r.svn = Some(c["svn"].to_owned());
                    self.found = true;
                }
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.found
    }
    fn finish(&mut self) -> ParseResult<GetImeiResult> {
        if !self.found {
            return Err("no serial number in the output".into());
        }
        Ok(std::mem::take(&mut self.result))
    }
    fn ended(&self) -> Option<End> {
        // `AT+CGSN` has no final OK: the serial number ends it.
        (self.found && self.sn_type == "default").then_some(End::Done)
    }
}

const LINES: [(&str, &str); 4] =
    [("default", "AT+CGSN"), ("imei", "AT+CGSN=1"), ("imeisv", "AT+CGSN=1"), ("svn", "AT+CGSN=2")];

at_command!(GetImei, "get_imei", GetImeiParser,
|s| GetImeiParser { sn_type: s.sn_type.clone(), result: GetImeiResult::default(), found: false },
line: |l| LINES
    .iter()
    .find(|(t, _)| *t == l.sn_type)
    .map(|(_, line)| (*line).to_owned())
    .ok_or_else(|| ParamError::value(
        "sn_type",
        format!("must be one of default, imei, imeisv, svn, not {:?}", l.sn_type),
    )));
