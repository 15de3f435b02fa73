//! `get_functionality_level`: [`GetFunctionalityLevel`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, ValueParser};

/// `AT+CFUN?`: the UE's level of functionality; result `{"functionality_level": "1"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetFunctionalityLevel {}

impl GetFunctionalityLevel {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`GetFunctionalityLevel`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetFunctionalityLevelResult {
    /// The level, as printed (`0`, `1`, `4`…).
    pub functionality_level: String,
}

/// Parser of [`GetFunctionalityLevel`].
pub type GetFunctionalityLevelParser = ValueParser<GetFunctionalityLevelResult>;

at_command!(GetFunctionalityLevel, "get_functionality_level", GetFunctionalityLevelParser,
    |s| ValueParser::new(r"^\s*\+CFUN:\s*(?P<fun_level>[\d+]{1,3})\s*$", "fun_level",
        |functionality_level| GetFunctionalityLevelResult { functionality_level }),
    line: |l| Ok("AT+CFUN?".to_owned()));
