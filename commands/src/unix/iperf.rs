//! `iperf`: [`Iperf`], its parameters, its result and its parser (Moler's deprecated iperf
//! command; [`Iperf2`](super::Iperf2) is its successor).

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, End, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::iperf2::{groups, normalize, IperfConnection, IperfRecord, IperfResult};
use super::parse::{regex, required, Deferred};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `iperf options`, Moler's first iperf command (deprecated there for
/// [`Iperf2`](super::Iperf2)): the records of each connection under its name as iperf printed
/// it (`local 10.0.0.1 port 5001 connected with 10.0.0.2 port 40000`), with the interval and
/// datagram counts as text; no final report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iperf {
    /// iperf's options.
    pub options: String,
}
builder!(Iperf { options: String });

/// Parser of [`Iperf`].
#[derive(Debug)]
pub struct IperfV1Parser {
    failure: Arc<Regex>,
    name: Arc<Regex>,
    headers: Arc<Regex>,
    records: [Arc<Regex>; 2],
    ornaments: Arc<Regex>,
    names: BTreeMap<String, String>,
    result: IperfResult,
    deferred: Deferred,
}

impl IperfV1Parser {
    fn line(&mut self, line: &str) -> ParseResult {
        if self.failure.is_match(line) {
            self.deferred.fail(format!("ERROR: found in command output: \"{line}\""));
        } else if let Some(c) = self.name.captures(line) {
            self.names.insert(c[1].to_owned(), c[2].to_owned());
        } else if self.headers.is_match(line) {
        } else if let Some((re, c)) =
            self.records.iter().find_map(|re| re.captures(line).map(|c| (re, c)))
        {
            let mut record = groups(re, &c);
            let id = record.remove("ID").and_then(|v| v.as_str().map(str::to_owned));
            let Some(name) = id.and_then(|id| self.names.get(&id).cloned()) else {
                return Ok(()); // statistics of a connection never announced
            };
            let record = normalize(record).map_err(|e| ParseError::at_line(line, e))?;
            let entry = self.result.connections.entry(name);
            match entry.or_insert(IperfConnection::Records(Vec::new())) {
                IperfConnection::Records(list) => list.push(IperfRecord(record)),
                IperfConnection::Report { .. } => {}
            }
        } else if !self.ornaments.is_match(line) {
            self.result.info.push(line.trim().to_owned());
        }
        Ok(())
    }
}

impl Parser for IperfV1Parser {
    type Output = IperfResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        self.line(line)
    }
    fn on_prompt(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> bool {
        self.deferred.at_prompt(true)
    }
    fn ended(&self) -> Option<End> {
        self.deferred.ended()
    }
    fn finish(&mut self) -> ParseResult<IperfResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Iperf {
    const NAME: &'static str = "iperf";
    type Parser = IperfV1Parser;
    type Output = IperfResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("iperf {}", required("options", &self.options)?.trim()))
    }
    fn parser(&self) -> IperfV1Parser {
        let record = r"(?P<ID>\[\s*\d*\])\s+(?P<Interval>\d+.+sec)\s+(?P<Transfer>[\d\.]+\s+\w+)\s+(?P<Bandwidth>[\d\.]+\s+\w+/sec)";
        IperfV1Parser {
            failure: regex(r".*failed.*|.*error.*|.*command not found.*|.*iperf:.*"),
            name: regex(r"(\[\s*\d*\])\s*(.*port\s*\d*\s*connected with.*)"),
            headers: regex(r"\[\s+ID\]\s+Interval\s+Transfer\s+Bandwidth"),
            records: [
                regex(&format!(
                    r"{record}\s+(?P<Jitter>\d+\.\d+\s\w+)\s+(?P<Lost_vs_Total_Datagrams>\d+/\s*\d+\s*\([\d\.]+\%\))"
                )),
                regex(record),
            ],
            ornaments: regex(r"(?i)----*|\[\s*ID\].*"),
            names: BTreeMap::new(),
            result: IperfResult::default(),
            deferred: Deferred::default(),
        }
    }
    fn setup(&self, command: Command<IperfV1Parser>) -> Command<IperfV1Parser> {
        command.no_default_failures()
    }
}
