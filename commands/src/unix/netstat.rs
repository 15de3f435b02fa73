//! `netstat`: [`Netstat`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{number, own_errors, regex, word_spans, words, MapTemplate};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `netstat [options]`; result: the sections netstat printed, under Moler's keys:
/// `INTERNET_CONNECTIONS`, `UNIX_SOCKETS` (connections), `INTERFACE` (`-i`), `ROUTING_TABLE`
/// (`-r`), `GROUP` (`-g`), `STATISTICS` (`-s`). Rows are mappings keyed by the lower-case column
/// names, counters as numbers. Sections are recognised by their titles, not by the options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Netstat {
    /// `-tulpn`, `-i`, `-r`…
    pub options: Option<String>,
}
builder!(Netstat {}, options);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Internet,
    Unix,
    /// Another family (Bluetooth…): skipped.
    Other,
    /// A table with a header row: INTERFACE, ROUTING_TABLE, GROUP.
    Table(&'static str),
    Statistics,
}

/// Parser of [`Netstat`].
#[derive(Debug)]
pub struct NetstatParser {
    active: Arc<Regex>,
    unix: Arc<Regex>,
    section: Section,
    /// Column names of the current table, and where the queue columns end (connections).
    header: Vec<String>,
    recv_q_end: Option<usize>,
    has_pid: bool,
    /// The spans of a row's words (a buffer reused from row to row).
    spans: Vec<(usize, usize)>,
    /// The keys of a connection, without and with `pid/program name`.
    connection_keys: [MapTemplate; 2],
    statistics_key: Option<String>,
    result: Map<String, Value>,
}

/// The keys of an internet connection, in key order.
const CONNECTION_KEYS: [&str; 6] =
    ["foreign address", "local address", "proto", "recv-q", "send-q", "state"];
/// [`CONNECTION_KEYS`] with the process.
const CONNECTION_KEYS_WITH_PID: [&str; 7] =
    ["foreign address", "local address", "pid/program name", "proto", "recv-q", "send-q", "state"];

/// Columns of netstat's tables that hold counters.
const NETSTAT_NUMBERS: &[&str] = &[
    "mtu", "met", "mss", "window", "irtt", "refcnt", "rx-ok", "rx-err", "rx-drp", "rx-ovr",
    "tx-ok", "tx-err", "tx-drp", "tx-ovr",
];

fn num_or_null(text: Option<&str>) -> Value {
    text.and_then(number).unwrap_or(Value::Null)
}

impl NetstatParser {
    fn list(&mut self, key: &str) -> &mut Vec<Value> {
        // Looked up by `&str` first: `entry` would make a `String` of the key on every row.
        if !self.result.contains_key(key) {
            self.result.insert(key.to_owned(), Value::Array(Vec::new()));
        }
        match self.result.get_mut(key) {
            Some(Value::Array(list)) => list,
            _ => unreachable!("section keys hold lists"),
        }
    }

    fn title(&mut self, line: &str) -> bool {
        // The title's regex only where it can match (not on every row).
        if let Some(c) = line.starts_with("Active").then(|| self.active.captures(line)).flatten() {
            self.section = match &c[1] {
                "Internet connections" => Section::Internet,
                "UNIX domain sockets" => Section::Unix,
                _ => Section::Other,
            };
            match self.section {
                Section::Internet => drop(self.list("INTERNET_CONNECTIONS")),
                Section::Unix => drop(self.list("UNIX_SOCKETS")),
                _ => {}
            }
        } else if line.starts_with("Kernel Interface table") {
            self.section = Section::Table("INTERFACE");
        } else if line.starts_with("Kernel IP routing table")
            || line.starts_with("Kernel IPv6 routing table")
        {
            self.section = Section::Table("ROUTING_TABLE");
        } else if line.starts_with("IPv6/IPv4 Group Memberships") {
            self.section = Section::Table("GROUP");
        } else {
            return false;
        }
        self.header.clear();
        self.recv_q_end = None;
        true
    }

    fn internet(&mut self, line: &str) {
        if line.starts_with("Proto ") {
            self.recv_q_end = line.find("Recv-Q").map(|i| i + "Recv-Q".len());
            self.has_pid = line.contains("PID/Program name");
            return;
        }
        // The words' spans, in a buffer kept from line to line (no allocation per row).
        let mut spans = std::mem::take(&mut self.spans);
        word_spans(line, &mut spans);
        self.internet_row(line, &spans);
        self.spans = spans;
    }

    /// One connection of the internet section, from the spans of its words.
    fn internet_row(&mut self, line: &str, tokens: &[(usize, usize)]) {
        let text = |&(start, end): &(usize, usize)| &line[start..end];
        let Some(proto) = tokens.first().map(text) else { return };
        let mut next = 1;
        let (mut recv_q, mut send_q) = (None, None);
        while let Some(&(_, end)) = tokens.get(next) {
            let t = text(&tokens[next]);
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                break;
            }
            let is_recv = match self.recv_q_end {
                Some(q_end) => end <= q_end,
                None => recv_q.is_none(),
            };
            *(if is_recv { &mut recv_q } else { &mut send_q }) = Some(t);
            next += 1;
        }
        let Some(local) = tokens.get(next).map(text) else { return };
        let mut remaining = &tokens[next + 1..];
        let pid = match remaining.split_last() {
            Some((last, before))
                if self.has_pid && {
                    let t = text(last);
                    t == "-"
                        || t.split_once('/').is_some_and(|(p, _)| {
                            p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty()
                        })
                } =>
            {
                remaining = before;
                Some(text(last))
            }
            _ => None,
        };
        let mut remaining = remaining.iter().map(text);
        let mut foreign = None;
        let mut state = remaining.next();
        if state.is_some_and(|s| s.contains(':')) {
            foreign = state;
            state = remaining.next();
        }
        // The values in key order.
        let foreign = foreign.map_or(Value::Null, Value::from);
        let (local, proto) = (Value::from(local), Value::from(proto));
        let (recv_q, send_q) = (num_or_null(recv_q), num_or_null(send_q));
        let state = state.map_or(Value::Null, Value::from);
        let row = match pid {
            Some(pid) => self.connection_keys[1].fill([
                foreign,
                local,
                pid.into(),
                proto,
                recv_q,
                send_q,
                state,
            ]),
            None => self.connection_keys[0].fill([foreign, local, proto, recv_q, send_q, state]),
        };
        self.list("INTERNET_CONNECTIONS").push(Value::Object(row));
    }

    fn unix_socket(&mut self, line: &str) {
        let Some(c) = self.unix.captures(line) else { return };
        let text = |name: &str| c.name(name).map_or("", |m| m.as_str());
        let mut row = Map::new();
        row.insert("proto".into(), text("proto").into());
        row.insert("refcnt".into(), num_or_null(Some(text("refcnt"))));
        row.insert("flags".into(), text("flags").into());
        row.insert("type".into(), text("type").into());
        row.insert("state".into(), text("state").into());
        row.insert("i-node".into(), num_or_null(Some(text("inode"))));
        row.insert("path".into(), text("path").into());
        if let Some(pid) = c.name("pid") {
            row.insert("pid/program name".into(), pid.as_str().into());
        }
        self.list("UNIX_SOCKETS").push(Value::Object(row));
    }

    fn table_row(&mut self, key: &'static str, line: &str) {
        if self.header.is_empty() {
            self.header = words(line).map(|(_, w)| w.to_ascii_lowercase()).collect();
            return;
        }
        if line.starts_with('-') {
            return;
        }
        let values: Vec<&str> = words(line).map(|(_, w)| w).collect();
        if values.len() != self.header.len() {
            return;
        }
        let row = self
            .header
            .iter()
            .zip(values)
            .map(|(name, v)| {
                let value = if NETSTAT_NUMBERS.contains(&name.as_str()) {
                    number(v).unwrap_or_else(|| v.into())
                } else {
                    v.into()
                };
                (name.clone(), value)
            })
            .collect();
        self.list(key).push(Value::Object(row));
    }
}

impl Parser for NetstatParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() || self.title(line) {
            return Ok(());
        }
        let statistics_title = !line.starts_with([' ', '\t']) && line.trim_end().ends_with(':');
        if statistics_title && matches!(self.section, Section::None | Section::Statistics) {
            let key = line.trim_end().trim_end_matches(':').to_owned();
            let stats =
                self.result.entry("STATISTICS").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(stats) = stats {
                stats.insert(key.clone(), Value::Array(Vec::new()));
            }
            self.statistics_key = Some(key);
            self.section = Section::Statistics;
            return Ok(());
        }
        match self.section {
            Section::Internet => self.internet(line),
            Section::Unix => self.unix_socket(line),
            Section::Table(key) => self.table_row(key, line),
            Section::Statistics => {
                let key = self.statistics_key.clone().unwrap_or_default();
                if let Some(Value::Array(list)) =
                    self.result.get_mut("STATISTICS").and_then(|s| s.get_mut(&key))
                {
                    list.push(line.trim().into());
                }
            }
            Section::None | Section::Other => {}
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Netstat {
    const NAME: &'static str = "netstat";
    type Parser = NetstatParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "netstat".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    /// Its result is JSON already: no copy.
    fn output_json(output: Map<String, Value>) -> serde_json::Result<Value> {
        Ok(Value::Object(output))
    }
    fn parser(&self) -> NetstatParser {
        NetstatParser {
            active: regex(
                r"^Active\s+(.*?)\s+\((?:w/o servers|servers and established|only servers)\)",
            ),
            unix: regex(
                r"^(?P<proto>\S+)\s+(?P<refcnt>\d+)\s+(?P<flags>\[[^\]]*\])\s+(?P<type>[A-Z]+)\s+(?:(?P<state>[A-Z]+)\s+)?(?P<inode>\d+)(?:\s+(?P<pid>\d+/\S+|-))?(?:\s+(?P<path>\S+))?",
            ),
            section: Section::None,
            header: Vec::new(),
            recv_q_end: None,
            has_pid: false,
            spans: Vec::new(),
            connection_keys: [
                MapTemplate::new(CONNECTION_KEYS),
                MapTemplate::new(CONNECTION_KEYS_WITH_PID),
            ],
            statistics_key: None,
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<NetstatParser>) -> Command<NetstatParser> {
        own_errors(command, "netstat")
    }
}
