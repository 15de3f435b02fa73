//! `hostnamectl`: [`Hostnamectl`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{regex, Variables};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `hostnamectl [options]`; result `{name: value}` for every `Name: value` line
/// (`"Static hostname"`, `"Kernel"`…).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hostnamectl {
    /// `status`, `set-hostname NAME`…
    pub options: Option<String>,
}
builder!(Hostnamectl {}, options);

/// Result of [`Hostnamectl`]: values by name.
pub type HostnamectlResult = BTreeMap<String, String>;

impl UnixCommand for Hostnamectl {
    const NAME: &'static str = "hostnamectl";
    type Parser = Variables;
    type Output = BTreeMap<String, String>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "hostnamectl".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> Variables {
        Variables::new(regex(r"(\S.*\S|\S+)\s*:\s*(\S.*\S|\S+)"))
    }
    fn setup(&self, command: Command<Variables>) -> Command<Variables> {
        // With options (`set-hostname`) it may print nothing; without, it prints its status.
        let quiet = self.options.as_deref().is_some_and(|o| !o.trim().is_empty());
        // Moler knows `Unknown command verb`; without systemd (a container) hostnamectl says
        // so, and `Failed to connect to bus: …` is no name and value.
        command
            .failure("Unknown command verb")
            .failure("^System has not been booted with systemd|^Failed to connect to bus")
            .ret_required(!quiet)
    }
}
