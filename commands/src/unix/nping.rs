//! `nping`: [`Nping`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::parse::{number_or_text, own_errors, regex, required};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `nping [options] destination`; result (Moler's shape) `{"STATISTICS": {"PKT_SENT",
/// "PKT_SENT_SIZE", "PKT_SENT_UNIT", "PKT_RCVD", …, "LOST_PKT", "LOST_PERCENTAGE",
/// "NO_OF_ADDRESSES", "PING_TIME", "PING_TIME_UNIT", "HOST": {"Max rtt", …}}}`, and with several
/// targets `"HOSTS": {host: {"address", "Probes Sent", "Rcvd", "Lost", "Max rtt", …}}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nping {
    /// The target(s), blank-separated.
    pub destination: String,
    /// `-c 1 --tcp -p 80,433`…
    pub options: Option<String>,
}
builder!(Nping { destination: String }, options);

/// Parser of [`Nping`].
#[derive(Debug)]
pub struct NpingParser {
    summary: Arc<Regex>,
    addresses: Arc<Regex>,
    host: Arc<Regex>,
    statistics: Arc<Regex>,
    part: Arc<Regex>,
    current_host: Option<String>,
    result: Map<String, Value>,
}

impl NpingParser {
    fn statistics(&mut self) -> &mut Map<String, Value> {
        let s = self.result.entry("STATISTICS").or_insert_with(|| json!({}));
        s.as_object_mut().expect("STATISTICS is only ever a mapping")
    }
}

impl Parser for NpingParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.summary.captures(line) {
            let s = self.statistics();
            for (key, group) in [
                ("PKT_SENT", "sent"),
                ("PKT_SENT_SIZE", "sent_size"),
                ("PKT_RCVD", "rcvd"),
                ("PKT_RCVD_SIZE", "rcvd_size"),
                ("LOST_PKT", "lost"),
                ("LOST_PERCENTAGE", "lost_pct"),
            ] {
                s.insert(key.into(), number_or_text(&c[group]));
            }
            s.insert("PKT_SENT_UNIT".into(), c["sent_unit"].into());
            s.insert("PKT_RCVD_UNIT".into(), c["rcvd_unit"].into());
        } else if let Some(c) = self.addresses.captures(line) {
            let s = self.statistics();
            s.insert("NO_OF_ADDRESSES".into(), number_or_text(&c[1]));
            s.insert("PING_TIME".into(), number_or_text(&c[2]));
            s.insert("PING_TIME_UNIT".into(), c[3].into());
        } else if let Some(c) = self.host.captures(line) {
            let (host, address) = (c[1].to_owned(), c[2].to_owned());
            let hosts = self.statistics().entry("HOSTS").or_insert_with(|| json!({}));
            hosts[&host] = json!({ "address": address });
            self.current_host = Some(host);
        } else if self.statistics.is_match(line) {
            let parts: Vec<(String, String)> = line
                .split('|')
                .filter_map(|p| self.part.captures(p).map(|c| (c[1].to_owned(), c[2].to_owned())))
                .collect();
            let target = match self.current_host.clone() {
                Some(host) => &mut self.statistics()["HOSTS"][&host],
                None => self.statistics().entry("HOST").or_insert_with(|| json!({})),
            };
            for (key, value) in parts {
                target[key] = value.into();
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Nping {
    const NAME: &'static str = "nping";
    type Parser = NpingParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let destination = required("destination", &self.destination)?;
        let mut line = "nping".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(format!("{line} {destination}"))
    }
    fn parser(&self) -> NpingParser {
        NpingParser {
            summary: regex(
                r"Raw packets sent:\s+(?P<sent>\d+)\s+\((?P<sent_size>\d+)(?P<sent_unit>\w)\)\s+\|\s+Rcvd:\s+(?P<rcvd>\d+)\s+\((?P<rcvd_size>\d+)(?P<rcvd_unit>\w)\)\s+\|\s+Lost:\s+(?P<lost>\d+)\s+\((?P<lost_pct>\d+\.\d+)%\)",
            ),
            addresses: regex(r"(\d+) IP address(?:e?s?) pinged in\s+(\d+\.\d+)\s+(\w+)"),
            host: regex(r"Statistics for host (\S+) \((\S+)\):"),
            statistics: regex(r"(\w.*\w|\S+):\s+\S+\s+\|\s+(\w.*\w|\S+):\s+\S+"),
            // Moler's `(?!_)`: a key never starts with the `_` of nping's `|_` tree.
            part: regex(r"([^\W_].*\w|[^\s_]\S*)\s*:\s*(\S.*\S|\S+)"),
            current_host: None,
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<NpingParser>) -> Command<NpingParser> {
        own_errors(command, "nping")
            .failure(r"^Failed to resolve|^Mode \S+ requires root|requires root privileges")
    }
}
