//! `userdel`: [`Userdel`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, ResultLines};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `userdel [options] [user]`; result `{"RESULT": []}`, or with options (`--force`) a line per
/// user deleted while in use: `"User NAME currently used by process PID was deleted"` (Moler's
/// shape). Any other `userdel: …` fails it, as does its usage text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Userdel {
    /// `--force`, `-r`…
    pub options: Option<String>,
    /// The login to delete.
    pub user: Option<String>,
}
builder!(Userdel {}, options, user);

/// Parser of [`Userdel`].
#[derive(Debug)]
pub struct UserdelParser {
    forced: bool,
    in_use: Arc<Regex>,
    error: Arc<Regex>,
    result: ResultLines,
}

impl Parser for UserdelParser {
    type Output = ResultLines;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if self.forced {
            if let Some(c) = self.in_use.captures(line) {
                let (user, pid) = (&c[1], &c[2]);
                let done = format!("User {user} currently used by process {pid} was deleted");
                self.result.result.push(done);
                return Ok(());
            }
        }
        if self.error.is_match(line) {
            return Err(ParseError::at_line(line, "userdel failed"));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<ResultLines> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Userdel {
    const NAME: &'static str = "userdel";
    type Parser = UserdelParser;
    type Output = ResultLines;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "userdel".to_owned();
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.user.as_deref());
        Ok(line)
    }
    fn parser(&self) -> UserdelParser {
        UserdelParser {
            // Moler treats any options as forcing (its check is always true once set).
            forced: self.options.as_deref().is_some_and(|o| !o.trim().is_empty()),
            in_use: regex(r"(?i)userdel:\suser\s(.*)\sis\scurrently\sused\sby\sprocess\s(.*)"),
            error: regex(r"(?i)userdel:\s|Usage:\s"),
            result: ResultLines::default(),
        }
    }
    fn setup(&self, command: Command<UserdelParser>) -> Command<UserdelParser> {
        command
    }
}
