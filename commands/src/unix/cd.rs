//! `cd`: [`Cd`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, push_opt, Empty, UnixCommand};
use crate::ParamError;

/// `cd [path]`; result `{}`. With `expected_prompt` it ends on that prompt.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cd {
    /// Where to go (none: home).
    pub path: Option<String>,
    /// The prompt after the change, when it differs.
    pub expected_prompt: Option<String>,
}
builder!(Cd {}, path, expected_prompt);

impl UnixCommand for Cd {
    const NAME: &'static str = "cd";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "cd".to_owned();
        push_opt(&mut line, self.path.as_deref());
        Ok(line)
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.ret_required(false)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
