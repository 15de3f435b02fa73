//! `traceroute`: [`Traceroute`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::{number_or_text, own_errors, regex, required};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `traceroute [options] destination`; result `{"hops": [{"nr", "name", "address", "ttl1",
/// "ttl1_unit", "ttl2", …}]}` (Moler's shape: a silent hop has `"*"` times and `null` units).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traceroute {
    /// The host to trace.
    pub destination: String,
    /// `-m 5`, `-n`…
    pub options: Option<String>,
}
builder!(Traceroute { destination: String }, options);

/// Result of [`Traceroute`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TracerouteResult {
    /// The hops, in order.
    pub hops: Vec<Hop>,
}

/// One hop of [`Traceroute`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// The hop number.
    pub nr: u32,
    /// The name (empty with `-n` or when it is not resolved).
    pub name: String,
    /// The address (empty for a silent hop).
    pub address: String,
    /// The three probes' times (numbers; `"*"` for a silent hop).
    pub ttl1: Value,
    /// Their unit (`ms`; `null` for a silent hop).
    pub ttl1_unit: Option<String>,
    /// Second probe.
    pub ttl2: Value,
    /// Its unit.
    pub ttl2_unit: Option<String>,
    /// Third probe.
    pub ttl3: Value,
    /// Its unit.
    pub ttl3_unit: Option<String>,
}

/// Parser of [`Traceroute`].
#[derive(Debug)]
pub struct TracerouteParser {
    named: Arc<Regex>,
    bare: Arc<Regex>,
    silent: Arc<Regex>,
    result: TracerouteResult,
}

impl Parser for TracerouteParser {
    type Output = TracerouteResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let (c, name) = if let Some(c) = self.named.captures(line) {
            let name = c["name"].to_owned();
            (c, name)
        } else if let Some(c) = self.bare.captures(line) {
            (c, String::new())
        } else {
            if let Some(c) = self.silent.captures(line) {
                let star = || Value::String("*".into());
                self.result.hops.push(Hop {
                    nr: c[1].parse().unwrap_or_default(),
                    ttl1: star(),
                    ttl2: star(),
                    ttl3: star(),
                    ..Hop::default()
                });
            }
            return Ok(());
        };
        self.result.hops.push(Hop {
            nr: c["nr"].parse().unwrap_or_default(),
            name,
            address: c["address"].to_owned(),
            ttl1: number_or_text(&c["t1"]),
            ttl1_unit: Some(c["u1"].to_owned()),
            ttl2: number_or_text(&c["t2"]),
            ttl2_unit: Some(c["u2"].to_owned()),
            ttl3: number_or_text(&c["t3"]),
            ttl3_unit: Some(c["u3"].to_owned()),
        });
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<TracerouteResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

/// The three probe times of a hop line.
const TIMES: &str = r"\s+(?P<t1>\d+(?:\.\d+)?)\s+(?P<u1>\S+)\s+(?P<t2>\d+(?:\.\d+)?)\s+(?P<u2>\S+)\s+(?P<t3>\d+(?:\.\d+)?)\s+(?P<u3>\S+)";

impl UnixCommand for Traceroute {
    const NAME: &'static str = "traceroute";
    type Parser = TracerouteParser;
    type Output = TracerouteResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let destination = required("destination", &self.destination)?;
        let mut line = "traceroute".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(format!("{line} {destination}"))
    }
    fn parser(&self) -> TracerouteParser {
        TracerouteParser {
            named: regex(&format!(r"(?P<nr>\d+)\s+(?P<name>\S+)\s+\((?P<address>\S+)\){TIMES}")),
            bare: regex(&format!(r"(?P<nr>\d+)\s+(?P<address>\S+){TIMES}")),
            silent: regex(r"(\d+)\s+\*\s+\*\s+\*"),
            result: TracerouteResult::default(),
        }
    }
    fn setup(&self, command: Command<TracerouteParser>) -> Command<TracerouteParser> {
        own_errors(command, "traceroute").failure("^Cannot handle|Name or service not known")
    }
}
