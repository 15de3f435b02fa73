//! `netstat`: [`Netstat`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use compact_str::CompactString;
use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{number_or_text, own_errors, put_next, regex, word_spans, words, MapTemplate};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `netstat [options]`; result: the sections netstat printed ([`NetstatResult`]), serialized
/// under Moler's keys: `INTERNET_CONNECTIONS`, `UNIX_SOCKETS` (connections), `INTERFACE` (`-i`),
/// `ROUTING_TABLE` (`-r`), `GROUP` (`-g`), `STATISTICS` (`-s`). Sections are recognised by their
/// titles, not by the options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Netstat {
    /// `-tulpn`, `-i`, `-r`…
    pub options: Option<String>,
}
builder!(Netstat {}, options);

/// Result of [`Netstat`]: each section netstat printed (`None` for one it did not print; a
/// section with a title and no row is an empty list).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetstatResult {
    /// `Active Internet connections`.
    #[serde(rename = "INTERNET_CONNECTIONS", skip_serializing_if = "Option::is_none", default)]
    pub internet_connections: Option<Vec<InternetConnection>>,
    /// `Active UNIX domain sockets`.
    #[serde(rename = "UNIX_SOCKETS", skip_serializing_if = "Option::is_none", default)]
    pub unix_sockets: Option<Vec<UnixSocket>>,
    /// `Kernel Interface table` (`-i`): rows keyed by the lower-case column names, counters as
    /// numbers.
    #[serde(rename = "INTERFACE", skip_serializing_if = "Option::is_none", default)]
    pub interface: Option<Vec<Map<String, Value>>>,
    /// `Kernel IP routing table` (`-r`), as [`interface`](Self::interface).
    #[serde(rename = "ROUTING_TABLE", skip_serializing_if = "Option::is_none", default)]
    pub routing_table: Option<Vec<Map<String, Value>>>,
    /// `IPv6/IPv4 Group Memberships` (`-g`), as [`interface`](Self::interface).
    #[serde(rename = "GROUP", skip_serializing_if = "Option::is_none", default)]
    pub group: Option<Vec<Map<String, Value>>>,
    /// `-s`: each protocol's lines, trimmed, by its title (`Udp`, `IcmpMsg`…).
    #[serde(rename = "STATISTICS", skip_serializing_if = "Option::is_none", default)]
    pub statistics: Option<BTreeMap<String, Vec<String>>>,
}

/// A connection of [`NetstatResult::internet_connections`]; serialized under Moler's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetConnection {
    /// `tcp`, `tcp6`, `udp`, `sctp`…
    pub proto: CompactString,
    /// Bytes queued for reading (`None` where the column is empty, as for SCTP, or the number
    /// does not fit).
    #[serde(rename = "recv-q")]
    pub recv_q: Option<u64>,
    /// Bytes queued for sending (as [`recv_q`](Self::recv_q)).
    #[serde(rename = "send-q")]
    pub send_q: Option<u64>,
    /// `address:port`, as printed.
    #[serde(rename = "local address")]
    pub local_address: CompactString,
    /// `address:port`, as printed (`None` for a listening SCTP endpoint, which shows none).
    #[serde(rename = "foreign address")]
    pub foreign_address: Option<CompactString>,
    /// `ESTABLISHED`, `LISTEN`… (`None` where the column is empty, as for UDP).
    pub state: Option<CompactString>,
    /// `1234/sshd` or `-`, with `-p`.
    #[serde(rename = "pid/program name", skip_serializing_if = "Option::is_none", default)]
    pub pid_program_name: Option<CompactString>,
}

/// A socket of [`NetstatResult::unix_sockets`]; serialized under Moler's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnixSocket {
    /// `unix`.
    pub proto: CompactString,
    /// References (`None` if the number does not fit).
    pub refcnt: Option<u64>,
    /// `[ ACC ]`, as printed.
    pub flags: CompactString,
    /// `STREAM`, `DGRAM`…
    #[serde(rename = "type")]
    pub socket_type: CompactString,
    /// `LISTENING`, `CONNECTED`… (empty where netstat shows none).
    pub state: CompactString,
    /// The inode (`None` if the number does not fit).
    #[serde(rename = "i-node")]
    pub i_node: Option<u64>,
    /// The socket's path (empty for an unnamed one).
    pub path: CompactString,
    /// `1234/sshd` or `-`, with `-p`.
    #[serde(rename = "pid/program name", skip_serializing_if = "Option::is_none", default)]
    pub pid_program_name: Option<CompactString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Internet,
    Unix,
    /// Another family (Bluetooth…): skipped.
    Other,
    /// A table with a header row.
    Table(Table),
    Statistics,
}

/// netstat's tables with a header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Interface,
    Routing,
    Group,
}

impl Table {
    /// Moler's key.
    fn key(self) -> &'static str {
        match self {
            Self::Interface => "INTERFACE",
            Self::Routing => "ROUTING_TABLE",
            Self::Group => "GROUP",
        }
    }
}

/// A connection's columns, borrowed from its line.
#[derive(Debug, Clone, Copy)]
struct ConnectionRow<'a> {
    proto: &'a str,
    recv_q: Option<&'a str>,
    send_q: Option<&'a str>,
    local: &'a str,
    foreign: Option<&'a str>,
    state: Option<&'a str>,
    pid: Option<&'a str>,
}

/// A queue's length: its digits as a number (`None` for no column, or one too big).
fn queue(text: Option<&str>) -> Option<u64> {
    text?.parse().ok()
}

/// What netstat's lines make: the typed result or its JSON.
trait NetstatSink: std::fmt::Debug {
    /// A title opened `section`: its list exists from here on, even with no row.
    fn section(&mut self, section: Section);
    fn connection(&mut self, row: ConnectionRow<'_>);
    fn unix_socket(&mut self, socket: UnixSocket);
    fn table_row(&mut self, table: Table, row: Map<String, Value>);
    /// A statistics title: its list starts (again) empty.
    fn statistics(&mut self, title: &str);
    fn statistics_line(&mut self, title: &str, line: &str);
}

/// The typed result being built.
#[derive(Debug, Default)]
struct Typed {
    result: NetstatResult,
}

impl NetstatSink for Typed {
    fn section(&mut self, section: Section) {
        match section {
            Section::Internet => drop(self.result.internet_connections.get_or_insert_default()),
            Section::Unix => drop(self.result.unix_sockets.get_or_insert_default()),
            _ => {}
        }
    }
    fn connection(&mut self, row: ConnectionRow<'_>) {
        let connection = InternetConnection {
            proto: row.proto.into(),
            recv_q: queue(row.recv_q),
            send_q: queue(row.send_q),
            local_address: row.local.into(),
            foreign_address: row.foreign.map(CompactString::from),
            state: row.state.map(CompactString::from),
            pid_program_name: row.pid.map(CompactString::from),
        };
        self.result.internet_connections.get_or_insert_default().push(connection);
    }
    fn unix_socket(&mut self, socket: UnixSocket) {
        self.result.unix_sockets.get_or_insert_default().push(socket);
    }
    fn table_row(&mut self, table: Table, row: Map<String, Value>) {
        let rows = match table {
            Table::Interface => &mut self.result.interface,
            Table::Routing => &mut self.result.routing_table,
            Table::Group => &mut self.result.group,
        };
        rows.get_or_insert_default().push(row);
    }
    fn statistics(&mut self, title: &str) {
        self.result.statistics.get_or_insert_default().insert(title.to_owned(), Vec::new());
    }
    fn statistics_line(&mut self, title: &str, line: &str) {
        if let Some(lines) = self.result.statistics.as_mut().and_then(|s| s.get_mut(title)) {
            lines.push(line.to_owned());
        }
    }
}

/// The registry's result being built: the JSON of [`Typed`]'s result, line by line.
#[derive(Debug)]
struct Json {
    result: Map<String, Value>,
    /// The keys of a connection, without and with `pid/program name`.
    connection_keys: [MapTemplate; 2],
}

/// The keys of an internet connection, in key order.
const CONNECTION_KEYS: [&str; 6] =
    ["foreign address", "local address", "proto", "recv-q", "send-q", "state"];
/// [`CONNECTION_KEYS`] with the process.
const CONNECTION_KEYS_WITH_PID: [&str; 7] =
    ["foreign address", "local address", "pid/program name", "proto", "recv-q", "send-q", "state"];

impl Default for Json {
    fn default() -> Self {
        Self {
            result: Map::new(),
            connection_keys: [
                MapTemplate::new(CONNECTION_KEYS),
                MapTemplate::new(CONNECTION_KEYS_WITH_PID),
            ],
        }
    }
}

impl Json {
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
}

impl NetstatSink for Json {
    fn section(&mut self, section: Section) {
        match section {
            Section::Internet => drop(self.list("INTERNET_CONNECTIONS")),
            Section::Unix => drop(self.list("UNIX_SOCKETS")),
            _ => {}
        }
    }
    fn connection(&mut self, row: ConnectionRow<'_>) {
        let text = |t: Option<&str>| t.map_or(Value::Null, Value::from);
        let count = |t| queue(t).map_or(Value::Null, Value::from);
        let mut json = self.connection_keys[usize::from(row.pid.is_some())].blank();
        let mut values = json.values_mut();
        put_next!(values, text(row.foreign));
        put_next!(values, Value::from(row.local));
        if let Some(pid) = row.pid {
            put_next!(values, pid.into());
        }
        put_next!(values, row.proto.into());
        put_next!(values, count(row.recv_q));
        put_next!(values, count(row.send_q));
        put_next!(values, text(row.state));
        self.list("INTERNET_CONNECTIONS").push(Value::Object(json));
    }
    fn unix_socket(&mut self, socket: UnixSocket) {
        let json = serde_json::to_value(socket).expect("a socket serializes");
        self.list("UNIX_SOCKETS").push(json);
    }
    fn table_row(&mut self, table: Table, row: Map<String, Value>) {
        self.list(table.key()).push(Value::Object(row));
    }
    fn statistics(&mut self, title: &str) {
        let stats = self.result.entry("STATISTICS").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(stats) = stats {
            stats.insert(title.to_owned(), Value::Array(Vec::new()));
        }
    }
    fn statistics_line(&mut self, title: &str, line: &str) {
        if let Some(Value::Array(list)) =
            self.result.get_mut("STATISTICS").and_then(|s| s.get_mut(title))
        {
            list.push(line.into());
        }
    }
}

/// Columns of netstat's tables that hold counters.
const NETSTAT_NUMBERS: &[&str] = &[
    "mtu", "met", "mss", "window", "irtt", "refcnt", "rx-ok", "rx-err", "rx-drp", "rx-ovr",
    "tx-ok", "tx-err", "tx-drp", "tx-ovr",
];

/// Parser of [`Netstat`].
#[derive(Debug)]
pub struct NetstatParser(Reader<Typed>);

/// netstat's lines read into a sink: the typed parser's and the registry's.
#[derive(Debug)]
struct Reader<S> {
    active: Arc<Regex>,
    unix: Arc<Regex>,
    section: Section,
    /// Column names of the current table, and where the queue columns end (connections).
    header: Vec<String>,
    recv_q_end: Option<usize>,
    has_pid: bool,
    /// The spans of a row's words (a buffer reused from row to row).
    spans: Vec<(usize, usize)>,
    statistics_title: Option<String>,
    sink: S,
}

impl<S: NetstatSink> Reader<S> {
    fn new(sink: S) -> Self {
        Self {
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
            statistics_title: None,
            sink,
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
            self.sink.section(self.section);
        } else if line.starts_with("Kernel Interface table") {
            self.section = Section::Table(Table::Interface);
        } else if line.starts_with("Kernel IP routing table")
            || line.starts_with("Kernel IPv6 routing table")
        {
            self.section = Section::Table(Table::Routing);
        } else if line.starts_with("IPv6/IPv4 Group Memberships") {
            self.section = Section::Table(Table::Group);
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
        if let Some(row) = self.internet_row(line, &spans) {
            self.sink.connection(row);
        }
        self.spans = spans;
    }

    /// One connection of the internet section, from the spans of its words.
    fn internet_row<'a>(
        &self,
        line: &'a str,
        tokens: &[(usize, usize)],
    ) -> Option<ConnectionRow<'a>> {
        let text = |&(start, end): &(usize, usize)| &line[start..end];
        let proto = tokens.first().map(text)?;
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
        let local = tokens.get(next).map(text)?;
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
        Some(ConnectionRow { proto, recv_q, send_q, local, foreign, state, pid })
    }

    fn unix_socket(&mut self, line: &str) {
        let Some(c) = self.unix.captures(line) else { return };
        let text = |name: &str| c.name(name).map_or("", |m| m.as_str());
        let socket = UnixSocket {
            proto: text("proto").into(),
            refcnt: text("refcnt").parse().ok(),
            flags: text("flags").into(),
            socket_type: text("type").into(),
            state: text("state").into(),
            i_node: text("inode").parse().ok(),
            path: text("path").into(),
            pid_program_name: c.name("pid").map(|m| m.as_str().into()),
        };
        self.sink.unix_socket(socket);
    }

    fn table_row(&mut self, table: Table, line: &str) {
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
                    number_or_text(v)
                } else {
                    v.into()
                };
                (name.clone(), value)
            })
            .collect();
        self.sink.table_row(table, row);
    }

    fn on_line(&mut self, line: &str, partial: bool) {
        if partial || line.trim().is_empty() || self.title(line) {
            return;
        }
        let statistics_title = !line.starts_with([' ', '\t']) && line.trim_end().ends_with(':');
        if statistics_title && matches!(self.section, Section::None | Section::Statistics) {
            let title = line.trim_end().trim_end_matches(':');
            self.sink.statistics(title);
            self.statistics_title = Some(title.to_owned());
            self.section = Section::Statistics;
            return;
        }
        match self.section {
            Section::Internet => self.internet(line),
            Section::Unix => self.unix_socket(line),
            Section::Table(table) => self.table_row(table, line),
            Section::Statistics => {
                let title = self.statistics_title.as_deref().unwrap_or_default();
                self.sink.statistics_line(title, line.trim());
            }
            Section::None | Section::Other => {}
        }
    }
}

impl Parser for NetstatParser {
    type Output = NetstatResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.0.on_line(line, partial);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<NetstatResult> {
        Ok(std::mem::take(&mut self.0.sink.result))
    }
}

/// The registry's parser of [`Netstat`]: its JSON built line by line (no typed result first).
#[derive(Debug)]
struct NetstatJsonParser(Reader<Json>);

impl Parser for NetstatJsonParser {
    type Output = Value;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.0.on_line(line, partial);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Value> {
        Ok(Value::Object(std::mem::take(&mut self.0.sink.result)))
    }
}

impl UnixCommand for Netstat {
    const NAME: &'static str = "netstat";
    type Parser = NetstatParser;
    type Output = NetstatResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "netstat".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> NetstatParser {
        NetstatParser(Reader::new(Typed::default()))
    }
    fn json_parser(_: NetstatParser) -> Box<dyn Parser<Output = Value>> {
        Box::new(NetstatJsonParser(Reader::new(Json::default())))
    }
    fn setup(&self, command: Command<NetstatParser>) -> Command<NetstatParser> {
        own_errors(command, "netstat")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A line of netstat's output of any section: titles, headers, connections with and
    /// without queues, addresses, states and processes, sockets, table rows, statistics.
    fn any_line() -> impl Strategy<Value = String> {
        let connection = (
            "tcp6?|udp|sctp|raw",
            proptest::option::of("[0-9]{1,21}"),
            proptest::option::of("[0-9]{1,3}"),
            "[0-9.]{3,15}:[0-9*]{1,5}",
            proptest::option::of("[a-z0-9.]{1,12}:[0-9*]{1,5}"),
            proptest::option::of("ESTABLISHED|LISTEN|TIME_WAIT|[A-Z_]{1,9}"),
            proptest::option::of("[0-9]{1,5}/[a-z]{1,8}|-|[a-z/]{1,5}"),
            "[ \t]{1,6}",
        )
            .prop_map(|(proto, recv, send, local, foreign, state, pid, gap)| {
                [Some(proto), recv, send, Some(local), foreign, state, pid]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(&gap)
            });
        prop_oneof![
            6 => connection,
            1 => Just("Active Internet connections (w/o servers)".to_owned()),
            1 => Just("Active UNIX domain sockets (servers and established)".to_owned()),
            1 => Just("Active Bluetooth connections (w/o servers)".to_owned()),
            1 => Just("Proto Recv-Q Send-Q Local Address   Foreign Address  State  PID/Program name".to_owned()),
            1 => Just("Proto Recv-Q Send-Q Local Address   Foreign Address  State".to_owned()),
            2 => "unix  [0-9]{1,3}  \\[ (ACC)? \\]  (STREAM|DGRAM)  (LISTENING |CONNECTED )?[0-9]{1,6}( [0-9]{1,4}/[a-z]{1,6}| -)?( /run/[a-z]{1,6})?",
            1 => Just("Kernel Interface table".to_owned()),
            1 => Just("Kernel IP routing table".to_owned()),
            1 => Just("Iface   MTU  RX-OK RX-ERR  Flg".to_owned()),
            2 => "(eth0|lo) +[0-9]{1,5} +[0-9]{1,6} +(0|x) +[A-Z]{1,4}",
            1 => "(Udp|Tcp|IcmpMsg):",
            1 => "    [0-9]{1,6} [a-z ]{1,20}",
        ]
    }

    proptest! {
        /// Any output: the registry's JSON is the typed result serialized.
        #[test]
        fn the_registry_parser_gives_what_serializing_gives_for_any_output(
            lines in proptest::collection::vec(any_line(), 0..14)
        ) {
            crate::unix::parse::registry_agrees(&Netstat::new().options("-a"), &lines)?;
        }
    }

    fn parse(output: &str) -> NetstatResult {
        let mut conn = moler_core::Connection::new("t");
        let netstat = Netstat::new().options("-tunp").command_with_prompt("^[$] $");
        let done = conn.start(netstat, std::time::Instant::now());
        conn.handle_input(output.as_bytes(), std::time::Instant::now());
        done.try_result().unwrap().unwrap()
    }

    /// `-s`: a protocol's title starts its section; its lines, indented ones ending in a colon
    /// included (`ICMP input histogram:`, as Linux prints under `Icmp:`), and the lines under
    /// those, belong to it.
    #[test]
    fn statistics_keep_their_sub_titles_as_lines() {
        let r = parse(
            "netstat -tunp\nIp:\n    Forwarding: 2\n    4961377 total packets received\nIcmp:\n\
             \x20   788 ICMP messages received\n    ICMP input histogram:\n\
             \x20       destination unreachable: 2\n        echo requests: 393\nIcmpMsg:\n\
             \x20       InType0: 393\n$ ",
        );
        let stats = r.statistics.expect("statistics");
        assert_eq!(stats.keys().collect::<Vec<_>>(), ["Icmp", "IcmpMsg", "Ip"]);
        assert_eq!(
            stats["Icmp"],
            [
                "788 ICMP messages received",
                "ICMP input histogram:",
                "destination unreachable: 2",
                "echo requests: 393"
            ]
        );
        assert_eq!(stats["Ip"], ["Forwarding: 2", "4961377 total packets received"]);
        assert_eq!(stats["IcmpMsg"], ["InType0: 393"]);
    }

    #[test]
    fn connections_are_typed() {
        let r = parse(
            "netstat -tunp\nActive Internet connections (servers and established)\n\
             Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n\
             tcp        0     36 10.0.0.1:22             10.0.0.9:51234          ESTABLISHED 812/sshd\n\
             udp        0      0 0.0.0.0:68              0.0.0.0:*                           -\n\
             sctp                127.0.0.1:65432                                 LISTEN      9/s\n$ ",
        );
        let c = r.internet_connections.as_deref().unwrap();
        assert_eq!(c.len(), 3, "{r:?}");
        assert_eq!((&*c[0].proto, c[0].recv_q, c[0].send_q), ("tcp", Some(0), Some(36)));
        assert_eq!(
            (c[0].local_address.as_str(), c[0].foreign_address.as_deref()),
            ("10.0.0.1:22", Some("10.0.0.9:51234"))
        );
        assert_eq!(
            (c[0].state.as_deref(), c[0].pid_program_name.as_deref()),
            (Some("ESTABLISHED"), Some("812/sshd"))
        );
        assert_eq!((c[1].state.as_deref(), c[1].pid_program_name.as_deref()), (None, Some("-")));
        assert_eq!((c[2].recv_q, c[2].foreign_address.as_deref()), (None, None));
        assert_eq!((r.unix_sockets, r.interface, r.statistics), (None, None, None));
        let json = serde_json::to_value(&c[2]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"proto": "sctp", "recv-q": null, "send-q": null,
                "local address": "127.0.0.1:65432", "foreign address": null, "state": "LISTEN",
                "pid/program name": "9/s"})
        );
        assert_eq!(serde_json::from_value::<InternetConnection>(json).unwrap(), c[2]);
        // A title without rows is an empty list; no title, no list.
        let empty = parse("netstat -tunp\nActive Internet connections (w/o servers)\n$ ");
        assert_eq!(empty.internet_connections, Some(vec![]));
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            serde_json::json!({"INTERNET_CONNECTIONS": []})
        );
    }
}
