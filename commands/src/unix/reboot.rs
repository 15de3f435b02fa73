//! `reboot`: [`Reboot`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `reboot`; ends without a prompt, when the connection reports it closed (`Connection to HOST
/// closed by remote host.`, `Connection closed by foreign host.`) or a console shows its login
/// question; result `{"RESULT": that line}` (Moler's shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reboot {}
builder!(Reboot {});

/// Result of [`Reboot`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootResult {
    /// The line that showed the reboot.
    #[serde(rename = "RESULT")]
    pub result: String,
}

/// Parser of [`Reboot`].
#[derive(Debug)]
pub struct RebootParser {
    closed: Arc<Regex>,
    login: Arc<Regex>,
    seen: Option<String>,
}

impl RebootParser {
    fn check(&mut self, line: &str, partial: bool) -> bool {
        if self.seen.is_none() {
            let found = if partial { self.login.find(line) } else { self.closed.find(line) };
            self.seen = found.map(|m| m.as_str().to_owned());
        }
        self.seen.is_some()
    }
}

impl Parser for RebootParser {
    type Output = RebootResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.check(line, partial);
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // A prompt regex that matches the closing line or the login question (a device config
        // may well say so) still ends it with a result: the prompt matched the whole line, so
        // neither is cut short even before its line end.
        if self.seen.is_none() {
            let found = self.closed.find(line).or_else(|| self.login.find(line));
            self.seen = found.map(|m| m.as_str().to_owned());
        }
        true
    }
    fn has_result(&self) -> bool {
        self.seen.is_some()
    }
    fn ended(&self) -> Option<End> {
        self.seen.as_ref().map(|_| End::Done)
    }
    fn finish(&mut self) -> ParseResult<RebootResult> {
        let result = self.seen.take().ok_or("the device did not go down")?;
        Ok(RebootResult { result })
    }
}

impl UnixCommand for Reboot {
    const NAME: &'static str = "reboot";
    type Parser = RebootParser;
    type Output = RebootResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("reboot".to_owned())
    }
    fn parser(&self) -> RebootParser {
        RebootParser {
            closed: regex(r"(?i)Connection\s+to\s+\S+\s+closed.*|Connection closed by .* host.*"),
            login: regex(r"(?i).*?login:\s+"),
            seen: None,
        }
    }
    fn setup(&self, command: Command<RebootParser>) -> Command<RebootParser> {
        command
    }
}
