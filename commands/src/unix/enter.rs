//! `enter` (a bare newline): [`Enter`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// A bare newline; ends on the prompt; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enter {}
builder!(Enter {});

impl UnixCommand for Enter {
    const NAME: &'static str = "enter";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(String::new())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.ret_required(false)
    }
}
