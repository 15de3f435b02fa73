//! `env`: [`Env`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, regex, Variables};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `env`; result `{NAME: value}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Env {}
builder!(Env {});

impl UnixCommand for Env {
    const NAME: &'static str = "env";
    type Parser = Variables;
    type Output = BTreeMap<String, String>;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("env".into())
    }
    fn parser(&self) -> Variables {
        Variables::new(regex(r"^([^=\s]+)=(.*)$"))
    }
    fn setup(&self, command: Command<Variables>) -> Command<Variables> {
        own_errors(command, "env")
    }
}
