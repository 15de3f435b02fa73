//! `set_functionality_level`: [`SetFunctionalityLevel`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, required_value, AtValue};
use crate::unix::Nothing;

/// `AT+CFUN=<fun_level>[,<rst>]`: sets the UE's level of functionality (0 minimum, 1 full,
/// 4 RF off…); `rst` 1 resets the UE first. Result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFunctionalityLevel {
    /// The level.
    pub fun_level: AtValue,
    /// Reset first (`1`) or not (`0`); unset: the modem's default.
    #[serde(default)]
    pub rst: Option<AtValue>,
}

impl SetFunctionalityLevel {
    /// Level `fun_level`.
    pub fn new(fun_level: impl Into<AtValue>) -> Self {
        Self { fun_level: fun_level.into(), rst: None }
    }

    /// Sets `rst`.
    pub fn rst(mut self, rst: impl Into<AtValue>) -> Self {
        self.rst = Some(rst.into());
        self
    }
}

at_command!(SetFunctionalityLevel, "set_functionality_level", Nothing, |s| Nothing, line: |l| {
    let level = l.fun_level.to_string();
    required_value("fun_level", &level)?;
    match &l.rst {
        None => Ok(format!("AT+CFUN={level}")),
        Some(rst) => {
            let rst = rst.to_string();
            required_value("rst", &rst)?;
            Ok(format!("AT+CFUN={level},{rst}"))
        }
    }
}, setup: |c| c.ret_required(false));
