//! `kill`: [`Kill`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `kill [options] pid`; result `{}`, or `{"Pid": pid}` when there is no such process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kill {
    /// The process id (or `%job`).
    pub pid: String,
    /// `-9`, `-s TERM`…
    pub options: Option<String>,
}
builder!(Kill { pid: String }, options);

/// Result of [`Kill`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillResult {
    /// The pid reported as not existing.
    #[serde(rename = "Pid", skip_serializing_if = "Option::is_none", default)]
    pub no_such_process: Option<String>,
}

/// Parser of [`Kill`].
#[derive(Debug)]
pub struct KillParser {
    no_such: Arc<Regex>,
    result: KillResult,
}

impl Parser for KillParser {
    type Output = KillResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            if let Some(c) = self.no_such.captures(line) {
                self.result.no_such_process = Some(c[1].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<KillResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Kill {
    const NAME: &'static str = "kill";
    type Parser = KillParser;
    type Output = KillResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let pid = required("pid", &self.pid)?;
        let mut line = "kill".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(format!("{line} {pid}"))
    }
    fn parser(&self) -> KillParser {
        KillParser {
            no_such: regex(r"kill: \(?(\S+?)\)?[: -]+No such process"),
            result: KillResult::default(),
        }
    }
    fn setup(&self, command: Command<KillParser>) -> Command<KillParser> {
        command
            .no_default_failures()
            .failure(r"kill: .*(Operation not permitted|invalid)")
            .ret_required(false)
    }
}
