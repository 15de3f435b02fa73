//! `ethtool`: [`Ethtool`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{number_or_text, regex, required};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `ethtool [options] interface`; result (Moler's shape) `{interface: {setting: value, "…
/// link modes": [lines], section: {name: mode}}}`, and for `-S` `{"NIC statistics": {counter:
/// number}}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ethtool {
    /// The interface.
    pub interface: String,
    /// `-S`, `-T`, `-i`…
    pub options: Option<String>,
}
builder!(Ethtool { interface: String }, options);

/// Parser of [`Ethtool`]: Moler's line kinds, tried in Moler's order.
#[derive(Debug)]
pub struct EthtoolParser {
    re: [Arc<Regex>; 7],
    interface: Option<String>,
    section: Option<String>,
    list: Option<String>,
    message_level: Option<String>,
    result: Map<String, Value>,
}

/// Indices of `EthtoolParser::re`.
const INTERFACE: usize = 0;
const LIST_START: usize = 1;
const KEY_VALUE: usize = 2;
const LIST_MORE: usize = 3;
const LEVEL_MORE: usize = 4;
const SECTION: usize = 5;
const PARAM_MODE: usize = 6;

/// The statistics section of `ethtool -S`, kept at the top level with numeric values.
const STATISTICS: &str = "NIC statistics";

impl EthtoolParser {
    /// The mapping of the current interface (the top level before one is named).
    fn current(&mut self) -> &mut Map<String, Value> {
        match &self.interface {
            Some(i) => object(self.result.entry(i.clone()).or_insert_with(|| Map::new().into())),
            None => &mut self.result,
        }
    }
}

/// `value` as a mapping, replacing whatever else it held.
fn object(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Map::new().into();
    }
    value.as_object_mut().expect("made a mapping above")
}

impl Parser for EthtoolParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.re[INTERFACE].captures(line) {
            self.interface = Some(c[2].to_owned());
            self.current();
            return Ok(());
        }
        if self.interface.is_some() {
            if let Some(c) = self.re[LIST_START].captures(line) {
                let name = c[1].to_owned();
                let value = c[2].to_owned();
                let list =
                    self.current().entry(name.clone()).or_insert_with(|| Value::Array(vec![]));
                if let Value::Array(a) = list {
                    a.push(value.into());
                }
                self.list = Some(name);
                return Ok(());
            }
        }
        if let Some(c) = self.re[KEY_VALUE].captures(line) {
            let (key, value) = (c[1].to_owned(), c[2].to_owned());
            if key == "Current message level" {
                self.message_level = Some(key.clone());
            }
            if self.section.as_deref() == Some(STATISTICS) {
                let stats =
                    object(self.result.entry(STATISTICS).or_insert_with(|| Map::new().into()));
                stats.insert(key, number_or_text(&value));
            } else {
                self.current().insert(key, value.into());
            }
            self.list = None;
            return Ok(());
        }
        if let (Some(_), Some(name)) = (&self.interface, self.list.clone()) {
            if let Some(c) = self.re[LIST_MORE].captures(line) {
                if let Some(Value::Array(a)) = self.current().get_mut(&name) {
                    a.push(c[1].into());
                }
                return Ok(());
            }
        }
        if let Some(level) = self.message_level.clone() {
            if self.re[LEVEL_MORE].is_match(line) {
                let entry = self.current().entry(level).or_insert_with(|| "".into());
                *entry = format!("{} {}", entry.as_str().unwrap_or_default(), line.trim()).into();
                self.message_level = None;
                return Ok(());
            }
        }
        if let Some(c) = self.re[SECTION].captures(line) {
            let key = c[1].to_owned();
            self.current().entry(key.clone()).or_insert_with(|| Map::new().into());
            self.section = Some(key);
            return Ok(());
        }
        if let Some(section) = self.section.clone() {
            if let Some(c) = self.re[PARAM_MODE].captures(line) {
                let s = object(self.current().entry(section).or_insert_with(|| Map::new().into()));
                s.insert(c[1].to_owned(), c[2].into());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ethtool {
    const NAME: &'static str = "ethtool";
    type Parser = EthtoolParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let interface = required("interface", &self.interface)?;
        Ok(match self.options.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            Some(options) => format!("ethtool {options} {interface}"),
            None => format!("ethtool {interface}"),
        })
    }
    fn parser(&self) -> EthtoolParser {
        EthtoolParser {
            re: [
                regex(r"(Settings for|Time stamping parameters for)\s+(\S+):"),
                regex(r"^\s+(.*\s+modes):\s*(\S.*\S)\s*$"),
                regex(r"(\S.*\S|\S)\s*:\s*(\S.*\S|\S)\s*$"),
                regex(r"^\s+(\S.*\S|\S)\s*$"),
                regex(r"^\s+[\w\s]+$"),
                regex(r"(\S.*\S):"),
                regex(r"^\s+(\S+)\s+(\S+)$"),
            ],
            interface: None,
            section: None,
            list: None,
            message_level: None,
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<EthtoolParser>) -> Command<EthtoolParser> {
        command.failure(r"No such device|no device matches name").ret_required(false)
    }
}
