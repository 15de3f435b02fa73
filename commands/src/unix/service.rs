//! `service`: [`Service`], its parameters, its result and its parser (shared with `systemctl`).

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, required};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `service options` (`ssh status`, `--status-all`, `ssh start`); result (Moler's shape): for a
/// status, `{"Service", "Description", "Loaded", "Active", "Main PID", …, "Process": [..] when
/// repeated, "Log": [journal lines]}`; for `--status-all`, `{service: "[ + ]"}`; `{}` otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What to do: `NAME start`, `NAME status`, `--status-all`…
    pub options: String,
}
builder!(Service { options: String });

/// Parser of [`Service`]'s status output.
#[derive(Debug)]
pub struct ServiceParser {
    description: Arc<Regex>,
    status: Arc<Regex>,
    log: Arc<Regex>,
    key_value: Arc<Regex>,
    pub(super) result: Map<String, Value>,
}

impl Default for ServiceParser {
    fn default() -> Self {
        Self {
            description: regex(r"[^A-Za-z0-9\s]\s+(\S+)\s+-\s+(\S.*\S)"),
            status: regex(r"\s+(\[.*\])\s+(\S+)"),
            log: regex(r"\S+\s+\d+\s+\d+:\d+:\d+\s+(.*)"),
            key_value: regex(r"\s+(\S.*\S+):\s+(.*)"),
            result: Map::new(),
        }
    }
}

impl ServiceParser {
    /// One whole line of a status: Moler's line kinds in Moler's order.
    pub(super) fn line(&mut self, line: &str) {
        if let Some(c) = self.description.captures(line) {
            self.result.insert("Service".into(), c[1].into());
            self.result.insert("Description".into(), c[2].into());
        } else if let Some(c) = self.status.captures(line) {
            self.result.insert(c[2].to_owned(), c[1].into());
        } else if self.log.is_match(line) {
            let log = self.result.entry("Log").or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(log) = log {
                log.push(line.into());
            }
        } else if let Some(c) = self.key_value.captures(line) {
            let value = Value::from(&c[2]);
            match self.result.get_mut(&c[1]) {
                // A repeated key (`Process:`) collects its values.
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
                None => {
                    self.result.insert(c[1].to_owned(), value);
                }
            }
        }
    }
}

impl Parser for ServiceParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.line(line);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Service {
    const NAME: &'static str = "service";
    type Parser = ServiceParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("service {}", required("options", &self.options)?.trim()))
    }
    fn parser(&self) -> ServiceParser {
        ServiceParser::default()
    }
    fn setup(&self, command: Command<ServiceParser>) -> Command<ServiceParser> {
        command.failure(r"unrecognized service|^Usage: service|Failed to \w+ ").ret_required(false)
    }
}
