//! `logout`: [`Logout`], its parameters, its result and its parser (those of `exit`).

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::exit::{Exit, ExitParser};
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// `logout`: leaves a login shell; ends on `expected_prompt` (the shell below); result `{}`.
/// As [`Exit`] (Moler's `Logout` is its `Exit` with another line): it fails if the prompt of
/// the shell it leaves comes back (`bash: logout: not login shell`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logout {
    /// The prompt of the shell that takes over.
    pub expected_prompt: String,
}
builder!(Logout { expected_prompt: String });

impl Logout {
    fn exit(&self) -> Exit {
        Exit::new(self.expected_prompt.as_str())
    }
}

impl UnixCommand for Logout {
    const NAME: &'static str = "logout";
    type Parser = ExitParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        self.exit().command_line()?;
        Ok("logout".to_owned())
    }
    fn parser(&self) -> ExitParser {
        self.exit().parser()
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> ExitParser {
        self.exit().parser_for(shell_prompt)
    }
    fn setup(&self, command: Command<ExitParser>) -> Command<ExitParser> {
        self.exit().setup(command)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
