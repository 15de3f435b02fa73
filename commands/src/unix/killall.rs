//! `killall`: [`Killall`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `killall [-v] name`; result `{}`, with `is_verbose` `{"Detail": {pid: name}}` for each
/// process killed. "no process found" is not a failure (as in Moler); "Operation not
/// permitted" is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Killall {
    /// The process name.
    pub name: String,
    /// `-v`: report each process killed.
    #[serde(default)]
    pub is_verbose: bool,
}
builder!(Killall { name: String });

impl Killall {
    /// Sets `is_verbose` (`killall -v`).
    pub fn is_verbose(mut self, on: bool) -> Self {
        self.is_verbose = on;
        self
    }
}

/// Result of [`Killall`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillallResult {
    /// With `is_verbose`: the processes killed, name by pid.
    #[serde(rename = "Detail", default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<BTreeMap<String, String>>,
}

/// Parser of [`Killall`].
#[derive(Debug)]
pub struct KillallParser {
    killed: Option<Arc<Regex>>,
    result: KillallResult,
}

impl Parser for KillallParser {
    type Output = KillallResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.killed.as_ref().and_then(|r| r.captures(line)) {
            let detail = self.result.detail.get_or_insert_with(BTreeMap::new);
            detail.insert(c[2].to_owned(), c[1].to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<KillallResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Killall {
    const NAME: &'static str = "killall";
    type Parser = KillallParser;
    type Output = KillallResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let name = required("name", &self.name)?;
        Ok(if self.is_verbose { format!("killall -v {name}") } else { format!("killall {name}") })
    }
    fn parser(&self) -> KillallParser {
        KillallParser {
            killed: self.is_verbose.then(|| regex(r"Killed ([^(]+)\((\d+)\) with signal")),
            result: KillallResult::default(),
        }
    }
    fn setup(&self, command: Command<KillallParser>) -> Command<KillallParser> {
        command.failure("Operation not permitted").ret_required(false)
    }
}
