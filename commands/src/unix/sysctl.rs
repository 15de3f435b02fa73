//! `sysctl`: [`Sysctl`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{regex, Variables};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `sysctl [options] [parameter=value]`; result `{parameter: value}` for every `name = value`
/// line.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sysctl {
    /// `-a`, `-w`, `-n`…
    pub options: Option<String>,
    /// The parameter to set (with `value`).
    pub parameter: Option<String>,
    /// Its new value.
    pub value: Option<String>,
}
builder!(Sysctl {}, options, parameter, value);

/// A parameter that is set and not blank.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Result of [`Sysctl`]: values by parameter.
pub type SysctlResult = BTreeMap<String, String>;

unix_command!(Sysctl, "sysctl", Variables,
    |s| Variables::new(regex(r"(\S.*\S|\S+)\s+=\s+(\S.*\S|\S+)")),
    line: |s| {
        let mut line = "sysctl".to_owned();
        push_opt(&mut line, s.options.as_deref());
        if let (Some(p), Some(v)) = (set(&s.parameter), set(&s.value)) {
            // Moler writes `{p=v}`: the shell passes the braces on and sysctl finds no such key.
            line.push_str(&format!(" {p}={v}"));
        }
        Ok(line)
    },
    setup: |c| c.ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_set_without_moler_s_braces() {
        let s = Sysctl::new().options("-w").parameter("kernel.ctrl-alt-del").value("0");
        assert_eq!(s.command_line().unwrap(), "sysctl -w kernel.ctrl-alt-del=0");
    }
}
