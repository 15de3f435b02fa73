//! `iperf2`: [`Iperf2`], its parameters, its result and its parser. The records, the result
//! and the parser's engine are also [`Iperf3`](super::Iperf3)'s (Moler's Iperf3 is its Iperf2
//! adapted) and, for the records and the result, [`Iperf`](super::Iperf)'s.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{
    Command, Context, End, ParseError, ParseResult, Parser, Publisher, DEFAULT_COMMAND_TIMEOUT,
};
use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, required, Deferred};
use crate::spec::UnixCommand;
use crate::ParamError;

/// `iperf options` (iperf 2): a client (`-c host`) or a server (`-s`); result: the statistics of
/// every connection, interval by interval, and the final report of the test
/// ([`IperfResult`]). A server does not end by itself: once it has every report it sends
/// Ctrl-C (unless it runs once, `-P 1`). Each interval's record and the report are published
/// while it runs ([`Iperf2::records`]). `--dualtest` with `--parallel` is refused, as by Moler.
///
/// ```
/// use moler_commands::{offline, unix::Iperf2, UnixCommand};
///
/// let out = "iperf -c 10.0.0.2 -i 1 -t 2\n\
///     [  3] local 10.0.0.1 port 49597 connected with 10.0.0.2 port 5001\n\
///     [ ID] Interval       Transfer     Bandwidth\n\
///     [  3]  0.0- 1.0 sec  28.6 MBytes   240 Mbits/sec\n\
///     [  3]  1.0- 2.0 sec  25.9 MBytes   217 Mbits/sec\n\
///     [  3]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n$ ";
/// let cmd = Iperf2::new("-c 10.0.0.2 -i 1 -t 2").command_with_prompt(r"^\$ $");
/// let result = offline::parse(cmd, [out.as_bytes()]).unwrap();
/// let report = result.report("10.0.0.1", "5001@10.0.0.2").unwrap();
/// assert_eq!(report.bandwidth(), Some(28_500_000)); // bytes per second
/// assert_eq!(result.records("49597@10.0.0.1", "5001@10.0.0.2").len(), 3);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iperf2 {
    /// iperf's options (`-c 10.0.0.2 -i 1 -t 5`, `-s -u -i 1`).
    pub options: String,
    /// Where each interval's record and each report go as they come ([`Iperf2::records`]);
    /// not a parameter of Moler's.
    #[serde(skip)]
    pub records: Option<Publisher<IperfStats>>,
}

impl Iperf2 {
    /// iperf with `options`.
    pub fn new(options: impl Into<String>) -> Self {
        Self { options: options.into(), records: None }
    }

    /// Publishes each interval's record and each report to `publisher` as they come, while
    /// iperf runs (Moler's subscribers of Iperf2): subscribe before starting it. The
    /// subscriptions end when the command ends.
    ///
    /// ```
    /// use moler_commands::unix::{Iperf2, IperfStats};
    /// use moler_commands::UnixCommand;
    /// use moler_core::{Connection, Publisher};
    /// use std::time::Instant;
    ///
    /// let stats: Publisher<IperfStats> = Publisher::new();
    /// let seen = stats.subscribe();
    /// let iperf = Iperf2::new("-c 10.0.0.2 -i 1 -t 2").records(&stats);
    /// let mut conn = Connection::new("demo");
    /// let done = conn.start(iperf.command_with_prompt("^\\$ $"), Instant::now());
    /// let _ = conn.poll_transmit(&mut Vec::new());
    /// conn.handle_input(b"iperf -c 10.0.0.2 -i 1 -t 2\n\
    ///     [  3] local 10.0.0.1 port 49597 connected with 10.0.0.2 port 5001\n\
    ///     [  3]  0.0- 1.0 sec  28.6 MBytes   240 Mbits/sec\n", Instant::now());
    /// let first = seen.try_next().expect("published while iperf runs");
    /// assert_eq!((first.from_client.as_str(), first.report), ("49597@10.0.0.1", false));
    /// assert_eq!(first.record.interval(), Some((0.0, 1.0)));
    /// assert!(done.try_result().is_none());
    /// ```
    pub fn records(mut self, publisher: &Publisher<IperfStats>) -> Self {
        self.records = Some(publisher.clone());
        self
    }
}

/// One statistics line of iperf as Moler gives it: `Interval` (start and end, in seconds),
/// `Transfer` in bytes and `Bandwidth` (iperf 3: `Bitrate`) in bytes per second, each with its
/// text as printed under `… Raw`; UDP adds `Jitter`, `Lost_vs_Total_Datagrams`,
/// `Lost_Datagrams_ratio`; iperf 3 adds `Retr`, `Cwnd`, `Total_Datagrams`. The keys follow the
/// columns iperf printed, so the record is a mapping with typed getters for the usual ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IperfRecord(pub Map<String, Value>);

impl IperfRecord {
    /// The interval, start and end in seconds (iperf 2 and 3).
    pub fn interval(&self) -> Option<(f64, f64)> {
        match self.0.get("Interval")? {
            Value::Array(a) if a.len() == 2 => Some((a[0].as_f64()?, a[1].as_f64()?)),
            _ => None,
        }
    }
    /// Bytes transferred.
    pub fn transfer(&self) -> Option<u64> {
        self.0.get("Transfer")?.as_u64()
    }
    /// Bytes per second (`Bandwidth`, or iperf 3's `Bitrate`).
    pub fn bandwidth(&self) -> Option<u64> {
        self.0.get("Bandwidth").or_else(|| self.0.get("Bitrate"))?.as_u64()
    }
    /// UDP: datagrams lost and sent.
    pub fn lost_vs_total_datagrams(&self) -> Option<(u64, u64)> {
        match self.0.get("Lost_vs_Total_Datagrams")? {
            Value::Array(a) if a.len() == 2 => Some((a[0].as_u64()?, a[1].as_u64()?)),
            _ => None,
        }
    }
    /// Any column by Moler's key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
}

/// The statistics of one connection: its records, or (under the report connection
/// `[client_host, port@server_host]`) the final report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IperfConnection {
    /// The final report of the test.
    Report {
        /// The record covering the whole test.
        report: IperfRecord,
    },
    /// The records, interval by interval.
    Records(Vec<IperfRecord>),
}

/// Result of [`Iperf2`], [`Iperf3`](super::Iperf3) and [`Iperf`](super::Iperf) (Moler's
/// shape): the connections under the JSON text of Moler's tuple names
/// (`["49597@10.0.0.1", "5001@10.0.0.2"]`: client, server), and the other lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IperfResult {
    /// The connections by name.
    #[serde(rename = "CONNECTIONS")]
    pub connections: BTreeMap<String, IperfConnection>,
    /// The lines that are neither statistics nor ornaments.
    #[serde(rename = "INFO")]
    pub info: Vec<String>,
}

impl IperfResult {
    /// The final report from `client_host` to `server` (`port@host`), if there was one.
    pub fn report(&self, client_host: &str, server: &str) -> Option<&IperfRecord> {
        match self.connections.get(&connection_key(client_host, server))? {
            IperfConnection::Report { report } => Some(report),
            IperfConnection::Records(_) => None,
        }
    }
    /// The records of the connection from `client` to `server` (`port@host` each; the
    /// summed connection of a parallel test is `multiport@host`).
    pub fn records(&self, client: &str, server: &str) -> &[IperfRecord] {
        match self.connections.get(&connection_key(client, server)) {
            Some(IperfConnection::Records(r)) => r,
            _ => &[],
        }
    }
}

/// One record or report of a running iperf, as published ([`Iperf2::records`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IperfStats {
    /// `port@host` of the client (`multiport@host` for a parallel test's sums; the host alone
    /// for a report).
    pub from_client: String,
    /// `port@host` of the server.
    pub to_server: String,
    /// The record.
    pub record: IperfRecord,
    /// Whether it is the final report.
    pub report: bool,
}

/// Moler's name of a connection, a Python tuple, as the JSON text of a list (its key in JSON).
pub(crate) fn connection_key(a: &str, b: &str) -> String {
    let q = |s: &str| Value::String(s.to_owned()).to_string();
    format!("[{}, {}]", q(a), q(b))
}

/// Moler's `ConverterHelper.to_bytes`: the number of `raw` times its unit's multiplier
/// (binary or decimal), truncated as Python's `int()` does.
pub(crate) fn to_bytes(raw: &str, binary: bool) -> Option<u64> {
    let c = regex(r"(\d+\.?\d*|\.\d+)\s*(\w?)").captures(raw)?;
    let value: f64 = c[1].parse().ok()?;
    let unit = c[2].to_ascii_lowercase();
    if unit.is_empty() {
        return Some(value as u64);
    }
    let power = "bkmgtpezj".find(unit.as_str())?;
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let power = i32::try_from(power).ok()?;
    Some((base.powi(power) * value) as u64)
}

/// Moler's `_normalize_to_bytes`: a text value with `Bytes` becomes bytes (binary units), one
/// with `bits` bytes from bits (decimal units), each keeping its text under `… Raw`.
pub(crate) fn normalize(record: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (key, value) in record {
        let Value::String(raw) = &value else {
            out.insert(key, value);
            continue;
        };
        let bytes = if raw.contains("Bytes") {
            to_bytes(raw, true)
        } else if raw.contains("bits") {
            to_bytes(raw, false).map(|bits| bits / 8)
        } else {
            out.insert(key, value);
            continue;
        };
        let bytes = bytes.ok_or_else(|| format!("unsupported unit in {raw:?}"))?;
        out.insert(format!("{key} Raw"), value.clone());
        out.insert(key, bytes.into());
    }
    Ok(out)
}

/// A Python float as `str()` writes it (`3.0`, `0.30000000000000004`).
pub(crate) fn py_float(f: f64) -> String {
    let s = f.to_string();
    if s.contains(['.', 'e', 'N', 'i']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The named groups of a match as Moler's `groupdict()`: text values.
pub(crate) fn groups(re: &Regex, c: &Captures<'_>) -> Map<String, Value> {
    re.capture_names()
        .flatten()
        .filter_map(|name| Some((name.to_owned(), Value::String(c.name(name)?.as_str().into()))))
        .collect()
}

/// Which iperf the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Two,
    Three,
}

/// What the options say, read once (Moler's properties of Iperf2, by substring as Moler).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) port: u64,
    pub(crate) udp: bool,
    pub(crate) interval: f64,
    pub(crate) time: f64,
    pub(crate) dualtest: bool,
    pub(crate) client: bool,
    pub(crate) server: bool,
    pub(crate) parallel_option: bool,
    pub(crate) singlerun: bool,
    pub(crate) version: bool,
}

impl Options {
    pub(crate) fn read(options: &str, flavor: Flavor) -> Self {
        let o = options;
        let number = |re: &str| {
            regex(re).captures(o).and_then(|c| c[1].parse::<f64>().ok()).filter(|f| f.is_finite())
        };
        let default_port = if flavor == Flavor::Two { 5001 } else { 5201 };
        let port = regex(r"(?:\-\-port|\-p)\s+(\d+)").captures(o).and_then(|c| c[1].parse().ok());
        Self {
            port: port.unwrap_or(default_port),
            udp: o.starts_with("-u") || o.contains(" -u") || o.contains("--udp"),
            interval: number(r"(?:\-\-interval|\-i)\s+([\d\.]+)").unwrap_or(0.0),
            time: number(r"(?:\-\-time|\-t)\s+([\d\.]+)").unwrap_or(10.0),
            // Moler looks for `-d` anywhere (`-c my-dev-host` would be a dual test): a word.
            dualtest: has_word(o, &["-d", "--dualtest"]),
            client: o.contains("-c ") || o.contains("--client "),
            server: o.starts_with("-s") || o.contains(" -s") || o.contains("--server"),
            parallel_option: o.contains("-P ") || o.contains("--parallel "),
            singlerun: o.contains("-P 1 ")
                || o.contains("--parallel 1 ")
                || o.ends_with("-P 1")
                || o.ends_with("--parallel 1")
                // iperf 3's one-off server ends by itself too.
                || (flavor == Flavor::Three && (o.contains("-1") || o.contains("--one-off"))),
            version: o.contains("--version"),
        }
    }

    /// How long the test lasts by its options, with slack, never below the default.
    pub(crate) fn timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.time + 10.0)
            .map_or(DEFAULT_COMMAND_TIMEOUT, |d| d.max(DEFAULT_COMMAND_TIMEOUT))
    }
}

type Conn = (String, String);

/// A statistics line read: its connection id and its columns.
type IdRecord = (String, Map<String, Value>);

/// The regexes of the engine.
#[derive(Debug)]
struct Regexes {
    failure: Arc<Regex>,
    connection: Arc<Regex>,
    headers: Arc<Regex>,
    /// Tried in order; iperf 3's have conditions ([`Engine::record_regexes`]).
    records: Vec<Arc<Regex>>,
    reports: Vec<Arc<Regex>>,
    ornaments: Arc<Regex>,
    summary_ornament: Arc<Regex>,
    version: Arc<Regex>,
}

/// Moler's Iperf2 (and Iperf3) parsing, line by line.
#[derive(Debug)]
pub(crate) struct Engine {
    flavor: Flavor,
    o: Options,
    re: Regexes,
    /// Connection ids (`[  3]`, `[SUM]`) in order of appearance.
    ids: Vec<(String, Conn)>,
    same_host: Vec<(String, Vec<Conn>)>,
    connections: BTreeMap<Conn, IperfConnection>,
    info: Vec<String>,
    got_server_report_hdr: bool,
    got_server_report: bool,
    stopping: bool,
    /// When a server with all its reports is stopped, unless more output comes first.
    stop_at: Option<Instant>,
    version_seen: bool,
    deferred: Deferred,
    publisher: Option<Publisher<IperfStats>>,
}

/// How long an iperf 2 server with all its reports must be silent before it is stopped
/// (Moler's inactivity time).
pub const SERVER_QUIET: Duration = Duration::from_secs(1);

fn split_conn(conn: &Conn) -> (&str, &str, &str, &str) {
    let (client_port, client_host) = conn.0.split_once('@').unwrap_or(("", &conn.0));
    let (server_port, server_host) = conn.1.split_once('@').unwrap_or(("", &conn.1));
    (client_host, client_port, server_host, server_port)
}

impl Engine {
    pub(crate) fn new(
        flavor: Flavor,
        options: &str,
        publisher: Option<Publisher<IperfStats>>,
    ) -> Self {
        let id = r"(?P<ID>\[\s*\d*\]|\[SUM\])";
        let base = format!(
            r"{id}\s+(?P<Interval>[\d\.]+\-\s*[\d\.]+)\s*sec\s+(?P<Transfer>[\d\.]+\s+\w+)\s+(?P<{}>[\d\.]+\s+\w+/sec)",
            if flavor == Flavor::Two { "Bandwidth" } else { "Bitrate" }
        );
        let udp_svr = format!(
            r"{base}\s+(?P<Jitter>\d+\.\d+\s\w+)\s+(?P<Lost_vs_Total_Datagrams>\d+/\s*\d+)\s*\((?P<Lost_Datagrams_ratio>[\d\.]+\%)\)"
        );
        let (connected, records, reports) = match flavor {
            Flavor::Two => ("connected with", vec![udp_svr, base], Vec::new()),
            Flavor::Three => {
                let tcp_cli = format!(r"{base}\s+(?P<Retr>\d+)\s+(?P<Cwnd>[\d\.]+\s+\w+)");
                let udp_cli = format!(r"{base}\s+(?P<Total_Datagrams>\d+)");
                let tcp_cli_summary = format!(r"{base}\s+(?P<Retr>\d+)");
                let records = vec![udp_svr, udp_cli, tcp_cli, tcp_cli_summary, base];
                let reports =
                    records.iter().map(|r| format!(r"{r}\s+(?P<Option>receiver|sender)")).collect();
                ("connected to", records, reports)
            }
        };
        let re = Regexes {
            failure: regex(r".*failed.*|.*error.*|.*command not found.*|.*iperf:.*"),
            connection: regex(&format!(
                r"(\[\s*\d*\])\s+local\s+(\S+)\s+port\s+(\d+)\s+{connected}\s+(\S+)\s+port\s+(\d+)"
            )),
            headers: regex(match flavor {
                Flavor::Two => r"\[\s+ID\]\s+Interval\s+Transfer\s+Bandwidth",
                Flavor::Three => r"\[\s+ID\]\s+Interval\s+Transfer\s+(Bitrate|Bandwidth)",
            }),
            records: records.iter().map(|r| regex(r)).collect(),
            reports: reports.iter().map(|r: &String| regex(r)).collect(),
            ornaments: regex(r"(?i)----*|\[\s*ID\].*"),
            summary_ornament: regex(r"(-\s)+"),
            version: regex(r"iperf\S*(\s+version)?\s+(?P<VERSION>\d.*\S)\s*$"),
        };
        Self {
            flavor,
            o: Options::read(options, flavor),
            re,
            ids: Vec::new(),
            same_host: Vec::new(),
            connections: BTreeMap::new(),
            info: Vec::new(),
            got_server_report_hdr: false,
            got_server_report: false,
            stopping: false,
            stop_at: None,
            version_seen: false,
            deferred: Deferred::default(),
            publisher,
        }
    }

    fn conn_of(&self, id: &str) -> Option<&Conn> {
        self.ids.iter().find(|(i, _)| i == id).map(|(_, c)| c)
    }

    fn parallel_client(&self) -> bool {
        if self.o.client {
            return self.o.parallel_option;
        }
        match self.flavor {
            Flavor::Three => self.ids.len() > 1,
            Flavor::Two => {
                // All remote ends alike, else it is a --dualtest seen from the server.
                self.ids.len() > 1 && self.ids.iter().all(|(_, c)| c.1 == self.ids[0].1 .1)
            }
        }
    }

    fn works_in_dualtest(&self) -> bool {
        if self.o.client {
            return self.o.dualtest;
        }
        if self.parallel_client() {
            return false;
        }
        self.ids.len() > 1
    }

    fn publish(&self, from_client: &str, to_server: &str, record: &IperfRecord, report: bool) {
        if let Some(p) = self.publisher.as_ref().filter(|p| p.is_listened()) {
            p.publish(IperfStats {
                from_client: from_client.to_owned(),
                to_server: to_server.to_owned(),
                record: record.clone(),
                report,
            });
        }
    }

    /// One whole line; `Err` for output iperf's records do not fit.
    pub(crate) fn line(&mut self, line: &str, cx: &mut Context<'_>) -> ParseResult {
        if self.re.failure.is_match(line) {
            self.deferred.fail(format!("ERROR: found in command output: \"{line}\""));
            return Ok(());
        }
        if let Some(c) = self.re.connection.captures(line) {
            self.connection(&c);
            return Ok(());
        }
        if self.re.headers.is_match(line) {
            if self.parallel_client() {
                if let Some((_, first)) = self.ids.first() {
                    let (client_host, ..) = split_conn(first);
                    let sum = (format!("multiport@{client_host}"), first.1.clone());
                    self.set_id("[SUM]", sum);
                }
            }
            return Ok(());
        }
        if let Some(record) = self.record(line)? {
            return self.on_record(record, line);
        }
        if line.contains("Interrupt again to force quit") {
            cx.send("\x03");
            return Ok(());
        }
        if self.flavor == Flavor::Two && line.contains("Server Report:") {
            self.got_server_report_hdr = true;
            return Ok(());
        }
        let ornament = self.re.ornaments.is_match(line)
            || (self.flavor == Flavor::Three
                && (self.re.summary_ornament.is_match(line) || line.trim().is_empty()));
        if !ornament {
            if self.o.version && self.re.version.is_match(line) {
                self.version_seen = true;
            }
            self.info.push(line.trim().to_owned());
        }
        Ok(())
    }

    fn set_id(&mut self, id: &str, conn: Conn) {
        match self.ids.iter_mut().find(|(i, _)| i == id) {
            Some(slot) => slot.1 = conn,
            None => self.ids.push((id.to_owned(), conn)),
        }
    }

    fn connection(&mut self, c: &Captures<'_>) {
        let (id, local_host, local_port, remote_host, remote_port) =
            (&c[1], &c[2], &c[3], &c[4], &c[5]);
        let local = format!("{local_port}@{local_host}");
        let remote = format!("{remote_port}@{remote_host}");
        let (conn, client_host) = if remote_port.parse::<u64>().ok() == Some(self.o.port) {
            ((local, remote), local_host)
        } else {
            ((remote, local), remote_host)
        };
        self.set_id(id, conn.clone());
        match self.same_host.iter_mut().find(|(h, _)| h == client_host) {
            Some((_, list)) => list.push(conn),
            None => self.same_host.push((client_host.to_owned(), vec![conn])),
        }
    }

    /// Whether record regex `i` applies (iperf 3's depend on the protocol and the side).
    fn applies(&self, i: usize) -> bool {
        match (self.flavor, i) {
            (Flavor::Two, _) | (Flavor::Three, 0 | 4) => true,
            (Flavor::Three, 1) => self.o.udp,
            (Flavor::Three, 2) => !self.o.udp,
            (Flavor::Three, _) => !self.o.udp && self.o.client,
        }
    }

    /// The statistics record of `line` with its connection id, interval and datagrams read.
    fn record(&self, line: &str) -> Result<Option<IdRecord>, ParseError> {
        let found = self
            .re
            .records
            .iter()
            .enumerate()
            .filter(|(i, _)| self.applies(*i))
            .find_map(|(_, re)| re.captures(line).map(|c| (re, c)));
        let Some((re, c)) = found else { return Ok(None) };
        let mut record = groups(re, &c);
        let bad = |what: &str| ParseError::at_line(line, format!("iperf: {what} is not a number"));
        let id = match record.remove("ID") {
            Some(Value::String(id)) => id,
            _ => return Ok(None),
        };
        if let Some(Value::String(interval)) = record.get("Interval") {
            let (start, end) = interval.split_once('-').ok_or_else(|| bad("the interval"))?;
            let start: f64 = start.trim().parse().map_err(|_| bad("the interval"))?;
            let end: f64 = end.trim().parse().map_err(|_| bad("the interval"))?;
            record.insert("Interval".into(), serde_json::json!([start, end]));
        }
        if let Some(Value::String(lost_total)) = record.get("Lost_vs_Total_Datagrams") {
            let (lost, total) =
                lost_total.split_once('/').ok_or_else(|| bad("a datagram count"))?;
            let lost: u64 = lost.trim().parse().map_err(|_| bad("a datagram count"))?;
            let total: u64 = total.trim().parse().map_err(|_| bad("a datagram count"))?;
            record.insert("Lost_vs_Total_Datagrams".into(), serde_json::json!([lost, total]));
        }
        for key in ["Retr", "Total_Datagrams"] {
            if let Some(Value::String(n)) = record.get(key) {
                let n: u64 = n.parse().map_err(|_| bad(key))?;
                record.insert(key.into(), n.into());
            }
        }
        Ok(Some((id, record)))
    }

    fn push_record(&mut self, conn: &Conn, record: IperfRecord) {
        match self.connections.entry(conn.clone()).or_insert(IperfConnection::Records(Vec::new())) {
            IperfConnection::Records(list) => list.push(record),
            slot => *slot = IperfConnection::Records(vec![record]),
        }
    }

    fn last_record(&self, conn: &Conn) -> Option<&IperfRecord> {
        match self.connections.get(conn)? {
            IperfConnection::Records(list) => list.last(),
            IperfConnection::Report { .. } => None,
        }
    }

    fn on_record(&mut self, (id, record): IdRecord, line: &str) -> ParseResult {
        if self.flavor == Flavor::Two && id == "[SUM]" && !self.parallel_client() {
            return Ok(()); // a server's sum of its clients: not a connection of its own
        }
        let Some(conn) = self.conn_of(&id).cloned() else {
            return Ok(()); // statistics of a connection never announced
        };
        let mut record = normalize(record).map_err(|e| ParseError::at_line(line, e))?;
        if self.flavor == Flavor::Three {
            convert_jitter(&mut record);
        }
        let record = IperfRecord(record);
        let final_by_interval = self.is_final_interval(&record);
        self.push_record(&conn, record);
        if self.flavor == Flavor::Two
            && self.o.server
            && self.parallel_client()
            && !final_by_interval
            && self.all_multiport_records_of_interval(&conn)
        {
            self.multiport_summary(&conn);
        }
        let final_record = match self.flavor {
            Flavor::Two => final_by_interval,
            Flavor::Three => self.is_final_line(line),
        };
        self.final_record(&conn, final_record);
        if self.flavor == Flavor::Two && self.o.udp && self.got_server_report_hdr {
            self.got_server_report = true;
        }
        Ok(())
    }

    fn is_final_interval(&self, record: &IperfRecord) -> bool {
        let Some((start, end)) = record.interval() else { return false };
        if self.o.interval > 0.0 && self.o.interval < self.o.time {
            start == 0.0 && end > self.o.interval
        } else {
            start == 0.0
        }
    }

    /// iperf 3: the line ends with `sender` (a client's report) or `receiver` (a server's).
    fn is_final_line(&self, line: &str) -> bool {
        let found = self
            .re
            .reports
            .iter()
            .enumerate()
            .filter(|(i, _)| self.applies(*i))
            .find_map(|(_, re)| re.captures(line));
        match found.as_ref().and_then(|c| c.name("Option")).map(|m| m.as_str()) {
            Some("receiver") => self.o.server,
            Some("sender") => self.o.client,
            _ => false,
        }
    }

    fn final_record(&mut self, conn: &Conn, is_final: bool) {
        if self.parallel_client() && !conn.0.contains("multiport") {
            return; // a parallel test reports through its sums
        }
        let Some(last) = self.last_record(conn).cloned() else { return };
        if is_final {
            let (client_host, _, server_host, server_port) = split_conn(conn);
            let report_conn = (client_host.to_owned(), format!("{server_port}@{server_host}"));
            self.publish(&report_conn.0, &report_conn.1, &last, true);
            self.connections.insert(report_conn, IperfConnection::Report { report: last });
        } else {
            self.publish(&conn.0, &conn.1, &last, false);
        }
    }

    fn same_host_connections(&self, conn: &Conn) -> Vec<Conn> {
        let (client_host, ..) = split_conn(conn);
        let found = self.same_host.iter().find(|(h, _)| h == client_host);
        found.map(|(_, list)| list.clone()).unwrap_or_default()
    }

    /// The record of `conn` for `interval`: its last, or the one before.
    fn record_of_interval(&self, conn: &Conn, interval: (f64, f64)) -> Option<&IperfRecord> {
        let IperfConnection::Records(list) = self.connections.get(conn)? else { return None };
        list.iter().rev().take(2).find(|r| r.interval() == Some(interval))
    }

    fn all_multiport_records_of_interval(&self, conn: &Conn) -> bool {
        let Some(interval) = self.last_record(conn).and_then(IperfRecord::interval) else {
            return false;
        };
        self.same_host_connections(conn)
            .iter()
            .all(|c| self.record_of_interval(c, interval).is_some())
    }

    /// A server's sum of one interval over a client's parallel connections (iperf 2 prints
    /// none), recorded under `multiport@client_host`.
    fn multiport_summary(&mut self, conn: &Conn) {
        let Some(interval) = self.last_record(conn).and_then(IperfRecord::interval) else {
            return;
        };
        let records: Vec<IperfRecord> = self
            .same_host_connections(conn)
            .iter()
            .filter_map(|c| self.record_of_interval(c, interval).cloned())
            .collect();
        // Saturating: hostile output may print numbers whose sum does not fit.
        let sum_of = |key: &str| {
            records.iter().filter_map(|r| r.0.get(key)?.as_u64()).fold(0u64, u64::saturating_add)
        };
        let raw_sum = |key: &str| {
            let raws: Vec<&str> = records.iter().filter_map(|r| r.0.get(key)?.as_str()).collect();
            let unit = raws.first().and_then(|r| r.split_whitespace().nth(1)).unwrap_or("");
            let total: f64 =
                raws.iter().filter_map(|r| r.split_whitespace().next()?.parse::<f64>().ok()).sum();
            format!("{} {unit}", py_float(total))
        };
        let mut sum = Map::new();
        sum.insert("Interval".into(), serde_json::json!([interval.0, interval.1]));
        sum.insert("Transfer".into(), sum_of("Transfer").into());
        sum.insert("Transfer Raw".into(), raw_sum("Transfer Raw").into());
        sum.insert("Bandwidth".into(), sum_of("Bandwidth").into());
        sum.insert("Bandwidth Raw".into(), raw_sum("Bandwidth Raw").into());
        if self.o.udp {
            let jitters: Vec<&str> =
                records.iter().filter_map(|r| r.0.get("Jitter")?.as_str()).collect();
            let unit = jitters.first().and_then(|j| j.split_whitespace().nth(1)).unwrap_or("");
            let max = jitters
                .iter()
                .filter_map(|j| j.split_whitespace().next()?.parse::<f64>().ok())
                .fold(f64::NEG_INFINITY, f64::max);
            let (lost, total) = records
                .iter()
                .filter_map(IperfRecord::lost_vs_total_datagrams)
                .fold((0u64, 0u64), |(l, t), (lost, total)| {
                    (l.saturating_add(lost), t.saturating_add(total))
                });
            if max.is_finite() {
                sum.insert("Jitter".into(), format!("{} {unit}", py_float(max)).into());
            }
            sum.insert("Lost_vs_Total_Datagrams".into(), serde_json::json!([lost, total]));
            if total > 0 {
                let ratio = lost as f64 * 100.0 / total as f64;
                sum.insert("Lost_Datagrams_ratio".into(), format!("{ratio:.2}%").into());
            }
        }
        let (client_host, ..) = split_conn(conn);
        let sum_conn = (format!("multiport@{client_host}"), conn.1.clone());
        let record = IperfRecord(sum);
        self.publish(&sum_conn.0, &sum_conn.1, &record, false);
        self.push_record(&sum_conn, record);
    }

    /// Whether a server has the reports it waits for (Moler's `_has_all_reports`).
    fn has_all_reports(&self) -> bool {
        let Some((_, first)) = self.ids.first() else { return false };
        let (client_host, _, server_host, _) = split_conn(first);
        let port = self.o.port;
        let has = |a: &str, b: &str| self.connections.contains_key(&(a.to_owned(), b.to_owned()));
        let client_report = has(client_host, &format!("{port}@{server_host}"));
        if self.flavor == Flavor::Three {
            return client_report;
        }
        let (all, works_as_client) = if self.works_in_dualtest() {
            (client_report && has(server_host, &format!("{port}@{client_host}")), true)
        } else {
            (client_report, self.o.client)
        };
        if self.o.udp && works_as_client {
            all && self.got_server_report
        } else {
            all
        }
    }

    /// After each line: a server with all its reports is stopped with Ctrl-C, once: iperf 2's
    /// after [`SERVER_QUIET`] of silence (Moler's inactivity break: a UDP server still sends
    /// its report to the client after printing it), iperf 3's when it says it listens again
    /// (it still exchanges the results with its client after printing its report). A server
    /// that runs once (`-P 1`, iperf 3's `-1`) ends by itself.
    pub(crate) fn after_line(&mut self, line: &str, cx: &mut Context<'_>) {
        if !self.o.server || self.stopping || !self.has_all_reports() {
            return;
        }
        if self.o.singlerun {
            self.stopping = true;
        } else if self.flavor == Flavor::Three {
            if line.contains("Server listening") {
                self.stopping = true;
                cx.send("\x03");
            }
        } else {
            // Every line after the reports starts the silence again.
            self.stop_at = Some(cx.now() + SERVER_QUIET);
            cx.wake_in(SERVER_QUIET);
        }
    }

    /// A wake of the command: the silence after the reports is over, or not yet.
    pub(crate) fn on_wake(&mut self, cx: &mut Context<'_>) {
        let Some(at) = self.stop_at.filter(|_| !self.stopping) else { return };
        match at.checked_duration_since(cx.now()) {
            Some(left) if !left.is_zero() => cx.wake_in(left),
            _ => {
                self.stopping = true;
                cx.send("\x03");
            }
        }
    }

    /// Whether the shell's prompt ends the command now (else the line is output).
    pub(crate) fn at_prompt(&mut self) -> bool {
        let ready = if self.o.version {
            self.version_seen
        } else {
            !self.o.server || self.has_all_reports()
        };
        self.deferred.at_prompt(ready)
    }

    pub(crate) fn ended(&self) -> Option<End> {
        self.deferred.ended()
    }

    pub(crate) fn result(&mut self) -> IperfResult {
        let connections = std::mem::take(&mut self.connections)
            .into_iter()
            .map(|((a, b), c)| (connection_key(&a, &b), c))
            .collect();
        IperfResult { connections, info: std::mem::take(&mut self.info) }
    }
}

impl Drop for Engine {
    /// The command ended: the subscriptions to its records end.
    fn drop(&mut self) {
        if let Some(p) = self.publisher.as_ref().filter(|p| p.is_listened()) {
            p.close();
        }
    }
}

/// iperf 3: a text value in `ms` (the jitter) becomes milliseconds, keeping its text under
/// `… Raw` (Moler's `_convert_jitter`).
fn convert_jitter(record: &mut Map<String, Value>) {
    let keys: Vec<String> = record.keys().cloned().collect();
    for key in keys {
        let Some(Value::String(raw)) = record.get(&key).cloned() else { continue };
        if !raw.contains("ms") {
            continue;
        }
        let Some(ms) = raw.split(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        record.insert(format!("{key} Raw"), raw.into());
        record.insert(key, ms.into());
    }
}

/// Parser of [`Iperf2`] and [`Iperf3`](super::Iperf3).
#[derive(Debug)]
pub struct IperfParser {
    engine: Engine,
}

impl IperfParser {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }
}

impl Parser for IperfParser {
    type Output = IperfResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let parsed = self.engine.line(line, cx);
        self.engine.after_line(line, cx);
        parsed
    }
    fn on_prompt(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> bool {
        self.engine.at_prompt()
    }
    fn ended(&self) -> Option<End> {
        self.engine.ended()
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) {
        self.engine.on_wake(cx);
    }
    fn finish(&mut self) -> ParseResult<IperfResult> {
        Ok(self.engine.result())
    }
}

/// Whether one of `words` is a word of `options` (a long one also as `--name=value`).
pub(crate) fn has_word(options: &str, words: &[&str]) -> bool {
    options.split_whitespace().any(|w| {
        words.iter().any(|x| w == *x || (x.starts_with("--") && w.starts_with(&format!("{x}="))))
    })
}

/// Moler's refusal of `--dualtest` with `--parallel` (options as words: Moler's substrings
/// refused `-c my-dev-host -P 2`).
fn check_options(options: &str) -> Result<&str, ParamError> {
    let options = required("options", options)?.trim();
    let dual = has_word(options, &["-d", "--dualtest"]);
    let parallel = has_word(options, &["-P", "--parallel"]);
    if dual && parallel {
        return Err(ParamError::Invalid(
            "unsupported options combination (--dualtest & --parallel)".into(),
        ));
    }
    Ok(options)
}

impl UnixCommand for Iperf2 {
    const NAME: &'static str = "iperf2";
    type Parser = IperfParser;
    type Output = IperfResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("iperf {}", check_options(&self.options)?))
    }
    fn parser(&self) -> IperfParser {
        IperfParser::new(Engine::new(Flavor::Two, self.options.trim(), self.records.clone()))
    }
    fn setup(&self, command: Command<IperfParser>) -> Command<IperfParser> {
        // The failures are Moler's own list, the parser's.
        command.no_default_failures()
    }
    /// The test's duration (`-t`, default 10 s) plus 10 s, never below 20 s.
    fn default_timeout(&self) -> Duration {
        Options::read(&self.options, Flavor::Two).timeout()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn every_interval_is_published_while_iperf_runs_and_the_report_last() {
        let stats: Publisher<IperfStats> = Publisher::new();
        let seen = stats.subscribe();
        let iperf = Iperf2::new("-c 10.0.0.2 -i 1 -t 2").records(&stats);
        let mut conn = Connection::new("t");
        let done = conn.start(iperf.command_with_prompt(r"^\$ $"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        let lines = [
            "iperf -c 10.0.0.2 -i 1 -t 2\n",
            "[  3] local 10.0.0.1 port 49597 connected with 10.0.0.2 port 5001\n",
            "[ ID] Interval       Transfer     Bandwidth\n",
            "[  3]  0.0- 1.0 sec  28.6 MBytes   240 Mbits/sec\n",
            "[  3]  1.0- 2.0 sec  25.9 MBytes   217 Mbits/sec\n",
        ];
        for line in lines {
            conn.handle_input(line.as_bytes(), Instant::now());
        }
        let intervals: Vec<_> = seen.try_iter().map(|s| (s.record.interval(), s.report)).collect();
        assert_eq!(intervals, [(Some((0.0, 1.0)), false), (Some((1.0, 2.0)), false)]);
        conn.handle_input(b"[  3]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n", Instant::now());
        let report = seen.try_next().unwrap();
        assert_eq!(
            (report.from_client.as_str(), report.to_server.as_str()),
            ("10.0.0.1", "5001@10.0.0.2")
        );
        assert!(report.report);
        assert_eq!(report.record.transfer(), Some(57_147_392));
        assert!(!seen.is_ended());
        conn.handle_input(b"$ ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
        assert!(seen.is_ended(), "the subscription ends with the command");
    }

    #[test]
    fn a_server_stops_itself_with_ctrl_c_once_it_has_the_report() {
        let mut conn = Connection::new("t");
        let done = conn.start(Iperf2::new("-s -i 1").command_with_prompt(r"^\$ $"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"iperf -s -i 1\n[  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
              [  4]  0.0- 1.0 sec  28.6 MBytes   240 Mbits/sec\n",
            Instant::now(),
        );
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "no report yet");
        let t0 = Instant::now();
        conn.handle_input(b"[  4]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n", t0);
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "a second of silence first");
        conn.handle_input(b"[  4] late line\n", t0 + SERVER_QUIET / 2);
        conn.handle_timeout(t0 + SERVER_QUIET);
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "the silence starts again at each line");
        conn.handle_timeout(t0 + SERVER_QUIET * 3 / 2);
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\x03");
        conn.handle_input(b"^C$ ", t0 + SERVER_QUIET * 2);
        let r = done.try_result().unwrap().unwrap();
        assert!(r.report("10.0.0.1", "5001@10.0.0.2").is_some(), "{r:?}");
    }

    /// A server of a `--dualtest` client (Moler's reference case) has two connections, one to
    /// each side: it stops only once it has both reports (and the client's report of what
    /// the server received, for UDP).
    #[test]
    fn a_dualtest_server_waits_for_the_reports_of_both_ways() {
        let mut conn = Connection::new("t");
        let options = "-s -u -p 5016 -f k -i 1.0";
        let done = conn.start(Iperf2::new(options).command_with_prompt(r"^\$ $"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        let t0 = Instant::now();
        let mut sent = Vec::new();
        let mut feed = |conn: &mut Connection, text: &str, at: Instant| {
            conn.handle_input(text.as_bytes(), at);
            conn.handle_timeout(at + SERVER_QUIET * 2);
            let _ = conn.poll_transmit(&mut sent);
            std::mem::take(&mut sent)
        };
        let first = "iperf -s -u -p 5016 -f k -i 1.0\n\
            [  3] local 192.168.0.12 port 5016 connected with 192.168.0.10 port 56262\n\
            [  5] local 192.168.0.12 port 47384 connected with 192.168.0.10 port 5016\n\
            [ ID] Interval       Transfer     Bandwidth        Jitter   Lost/Total Datagrams\n\
            [  3]  0.0- 1.0 sec   612 KBytes  5010 Kbits/sec   0.022 ms    0/  426 (0%)\n\
            [  5]  0.0- 1.0 sec   613 KBytes  5022 Kbits/sec\n\
            [  3]  0.0- 6.0 sec  3664 KBytes  5000 Kbits/sec   0.018 ms    0/ 2552 (0%)\n";
        assert_eq!(feed(&mut conn, first, t0), b"", "one way's report only");
        let second =
            "[  5]  0.0- 6.0 sec  3664 KBytes  5000 Kbits/sec\n[  5] Sent 2552 datagrams\n";
        let later = t0 + SERVER_QUIET * 3;
        assert_eq!(feed(&mut conn, second, later), b"", "no word from the client yet");
        let third = "[  5] Server Report:\n\
            [  5]  0.0- 6.0 sec  3664 KBytes  5000 Kbits/sec   0.017 ms    0/ 2552 (0%)\n";
        assert_eq!(feed(&mut conn, third, t0 + SERVER_QUIET * 6), b"\x03");
        conn.handle_input(b"^C$ ", t0 + SERVER_QUIET * 9);
        let r = done.try_result().unwrap().unwrap();
        assert!(r.report("192.168.0.10", "5016@192.168.0.12").is_some(), "{r:?}");
        assert!(r.report("192.168.0.12", "5016@192.168.0.10").is_some(), "{r:?}");
    }

    /// The report is the record from 0 to more than one interval; with no interval, or one
    /// as long as the test or longer, any record from 0 (`-n 1K` lasts `0.0- 0.0 sec`).
    #[test]
    fn the_report_is_the_record_from_zero_past_the_first_interval() {
        let report = |options: &str, records: &[&str]| {
            let mut out = format!(
                "iperf {options}\n[  3] local 10.0.0.1 port 49597 connected with 10.0.0.2 port 5001\n"
            );
            for r in records {
                out.push_str(&format!("[  3] {r} sec  1.00 KBytes  2.00 Mbits/sec\n"));
            }
            out.push_str("$ ");
            let cmd = Iperf2::new(options).command_with_prompt(r"^\$ $");
            let r = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
            let report = r.report("10.0.0.1", "5001@10.0.0.2").and_then(IperfRecord::interval);
            (report, r.records("49597@10.0.0.1", "5001@10.0.0.2").len())
        };
        assert_eq!(report("-c h -i 1 -t 2", &[" 0.0- 1.0"]), (None, 1));
        assert_eq!(report("-c h -i 1 -t 2", &[" 0.0- 1.0", " 0.0- 2.0"]), (Some((0.0, 2.0)), 2));
        assert_eq!(report("-c h -i 10 -t 10", &[" 0.0-10.0"]), (Some((0.0, 10.0)), 1));
        assert_eq!(report("-c h -i 20 -t 10", &[" 0.0-10.0"]), (Some((0.0, 10.0)), 1));
        assert_eq!(report("-c h -n 1K", &[" 0.0- 0.0"]), (Some((0.0, 0.0)), 1));
        assert_eq!(report("-c h -t 5", &[" 1.0- 5.0"]), (None, 1), "not from 0");
    }

    /// A UDP server sums a parallel client's datagrams: the highest jitter, the datagrams lost
    /// and sent, and their ratio (none when none were sent).
    #[test]
    fn a_udp_server_sums_the_datagrams_of_a_parallel_client() {
        let out = "iperf -s -u -i 1\n\
            [  3] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
            [  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40001\n\
            [ ID] Interval       Transfer     Bandwidth        Jitter   Lost/Total Datagrams\n\
            [  3]  0.0- 1.0 sec   612 KBytes  5010 Kbits/sec   0.022 ms    1/  100 (1%)\n\
            [  4]  0.0- 1.0 sec   612 KBytes  5010 Kbits/sec   0.030 ms    3/  100 (3%)\n\
            [  3]  1.0- 2.0 sec     0 KBytes     0 Kbits/sec   0.001 ms    0/    0 (0%)\n\
            [  4]  1.0- 2.0 sec     0 KBytes     0 Kbits/sec   0.002 ms    0/    0 (0%)\n$ ";
        let records = sum_records("-s -u -i 1", out);
        assert_eq!(records.len(), 2, "{records:?}");
        let (first, second) = (&records[0], &records[1]);
        assert_eq!(first.get("Jitter").unwrap(), "0.03 ms");
        assert_eq!(first.lost_vs_total_datagrams(), Some((4, 200)));
        assert_eq!(first.get("Lost_Datagrams_ratio").unwrap(), "2.00%");
        assert_eq!(second.lost_vs_total_datagrams(), Some((0, 0)));
        assert_eq!(second.get("Lost_Datagrams_ratio"), None, "no datagram sent: no ratio");
    }

    /// A failure iperf prints fails the command at the prompt, quoting it.
    #[test]
    fn a_failure_iperf_prints_fails_the_command_at_the_prompt() {
        let out = "iperf -c 10.0.0.9\nconnect failed: Connection refused\n$ ";
        let cmd = Iperf2::new("-c 10.0.0.9").command_with_prompt(r"^\$ $");
        let err = crate::offline::parse(cmd, [out.as_bytes()]).unwrap_err().to_string();
        assert!(err.contains("connect failed: Connection refused"), "{err}");
    }

    /// Only a server sends Ctrl-C, and only once it has its reports: a client after its
    /// report, a server without its report, send nothing however long the silence.
    #[test]
    fn only_a_server_with_its_reports_sends_ctrl_c() {
        for (options, lines) in [
            (
                "-c 10.0.0.2 -i 1 -t 2",
                "[  3] local 10.0.0.1 port 49597 connected with 10.0.0.2 port 5001\n\
                [  3]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n",
            ),
            (
                "-s -i 1",
                "[  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
                [  4]  0.0- 1.0 sec  28.6 MBytes   240 Mbits/sec\n",
            ),
        ] {
            let mut conn = Connection::new("t");
            let t0 = Instant::now();
            let _done = conn.start(Iperf2::new(options).command_with_prompt(r"^\$ $"), t0);
            let _ = conn.poll_transmit(&mut Vec::new());
            conn.handle_input(format!("iperf {options}\n{lines}").as_bytes(), t0);
            let mut sent = Vec::new();
            for k in 1..6 {
                conn.handle_timeout(t0 + SERVER_QUIET * k);
                let _ = conn.poll_transmit(&mut sent);
            }
            assert!(sent.is_empty(), "{options}: {sent:?}");
        }
    }

    /// A TCP server of a `--dualtest` client has no server report to wait for: both ways'
    /// reports, then the silence, and it stops.
    #[test]
    fn a_tcp_dualtest_server_stops_with_the_reports_of_both_ways() {
        let mut conn = Connection::new("t");
        let t0 = Instant::now();
        let done = conn.start(Iperf2::new("-s -i 1").command_with_prompt(r"^\$ $"), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"iperf -s -i 1\n\
              [  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
              [  5] local 10.0.0.2 port 40100 connected with 10.0.0.1 port 5001\n\
              [  5]  0.0- 2.0 sec  50.5 MBytes   211 Mbits/sec\n",
            t0,
        );
        conn.handle_timeout(t0 + SERVER_QUIET * 2);
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "the way back's report only: {sent:?}");
        let t1 = t0 + SERVER_QUIET * 3;
        conn.handle_input(b"[  4]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n", t1);
        conn.handle_timeout(t1 + SERVER_QUIET * 2);
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\x03");
        conn.handle_input(b"^C$ ", t1 + SERVER_QUIET * 3);
        let r = done.try_result().unwrap().unwrap();
        assert!(r.report("10.0.0.2", "5001@10.0.0.1").is_some(), "{r:?}");
    }

    /// Woken before the silence after the reports is over (a wake of the command for
    /// another reason), a server waits on.
    #[test]
    fn a_server_woken_early_waits_for_the_end_of_the_silence() {
        /// Wakes the engine as each `poke` line comes.
        struct Poked(IperfParser);
        impl Parser for Poked {
            type Output = IperfResult;
            fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
                let parsed = self.0.on_line(line, partial, cx);
                if line == "poke" {
                    self.0.on_wake(cx);
                }
                parsed
            }
            fn on_wake(&mut self, cx: &mut Context<'_>) {
                self.0.on_wake(cx);
            }
            fn finish(&mut self) -> ParseResult<IperfResult> {
                self.0.finish()
            }
        }
        let mut conn = Connection::new("t");
        let t0 = Instant::now();
        let parser = Poked(Iperf2::new("-s -i 1").parser());
        let _done = conn.start(Command::new("iperf -s -i 1", parser).prompt(r"^\$ $"), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"iperf -s -i 1\n[  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
              [  4]  0.0- 2.0 sec  54.5 MBytes   228 Mbits/sec\n",
            t0,
        );
        let mut sent = Vec::new();
        conn.handle_input(b"poke\n", t0 + SERVER_QUIET / 2);
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "woken early: {sent:?}");
        conn.handle_timeout(t0 + SERVER_QUIET * 2);
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\x03");
    }

    #[test]
    fn a_server_sums_a_parallel_client_s_intervals_even_huge_ones() {
        let out = "iperf -s -i 1\n\
            [  4] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40000\n\
            [  5] local 10.0.0.2 port 5001 connected with 10.0.0.1 port 40001\n\
            [ ID] Interval       Transfer     Bandwidth\n\
            [  4]  0.0- 1.0 sec  99999999999999999999 GBytes  240 Mbits/sec\n\
            [  5]  0.0- 1.0 sec  99999999999999999999 GBytes  260 Mbits/sec\n$ ";
        let cmd = Iperf2::new("-s -i 1").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(cmd, [out.as_bytes()]);
        // No report: the server waits on, and the harness' output ends first.
        assert!(r.is_err(), "{r:?}");
        let records = sum_records("-s -i 1", out);
        let sum = &records[0];
        assert_eq!(sum.transfer(), Some(u64::MAX), "saturated: {sum:?}");
        assert_eq!(sum.bandwidth(), Some(62_500_000));
        assert_eq!(sum.get("Bandwidth Raw").unwrap(), "500.0 Mbits/sec");
    }

    /// The `multiport` records a server made from `out`, read through a command that ends at
    /// the prompt whatever the reports.
    fn sum_records(options: &str, out: &str) -> Vec<IperfRecord> {
        struct EndAtPrompt(IperfParser);
        impl Parser for EndAtPrompt {
            type Output = IperfResult;
            fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
                self.0.on_line(line, partial, cx)
            }
            fn finish(&mut self) -> ParseResult<IperfResult> {
                self.0.finish()
            }
        }
        let parser = EndAtPrompt(Iperf2::new(options).parser());
        let cmd = Command::new(format!("iperf {options}"), parser).prompt(r"^\$ $");
        let r = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
        r.records("multiport@10.0.0.1", "5001@10.0.0.2").to_vec()
    }

    #[test]
    fn units_convert_like_moler_s_converter() {
        assert_eq!(to_bytes("28.6 MBytes", true), Some(29_989_273));
        assert_eq!(to_bytes("240 Mbits/sec", false), Some(240_000_000));
        assert_eq!(to_bytes("16384 Byte", true), Some(16384));
        assert_eq!(to_bytes("12 Qbits", false), None);
        assert_eq!(py_float(3.0), "3.0");
        assert_eq!(py_float(0.1 + 0.2), "0.30000000000000004");
        assert!(check_options("-c h --dualtest -P 2").is_err());
        assert!(check_options("-c my-dev-host -P 2").is_ok(), "a host name is no option");
    }

    /// Each way of writing an option Moler reads (by substring, as Moler does) is read alone.
    #[test]
    fn each_spelling_of_an_option_is_read_alone() {
        let two = |o: &str| Options::read(o, Flavor::Two);
        for udp in ["-u -c h", "-c h -u", "-c h --udp"] {
            assert!(two(udp).udp, "{udp}");
        }
        assert!(!two("-c h-u").udp);
        for server in ["-s", "-u -s", "--server"] {
            assert!(two(server).server && !two(server).client, "{server}");
        }
        for client in ["-c h", "--client h"] {
            assert!(two(client).client && !two(client).server, "{client}");
        }
        for parallel in ["-c h -P 2", "-c h --parallel 2"] {
            assert!(two(parallel).parallel_option && !two(parallel).singlerun, "{parallel}");
        }
        for once in ["-s -P 1 -i 1", "-s --parallel 1 -i 1", "-s -P 1", "-s --parallel 1"] {
            assert!(two(once).singlerun, "{once}");
        }
        assert!(!two("-s -P 10").singlerun && !two("-s -1").singlerun, "iperf 2 has no -1");
        for once in ["-s -1", "-s --one-off"] {
            assert!(Options::read(once, Flavor::Three).singlerun, "{once}");
        }
        assert_eq!((two("-s").port, Options::read("-s", Flavor::Three).port), (5001, 5201));
        assert_eq!((two("-s -p 6000").port, two("-s --port 6001").port), (6000, 6001));
        let o = two("-c h --interval 0.5 --time 3");
        assert_eq!((o.interval, o.time), (0.5, 3.0));
        let o = two("-c h -i 2 -t 4");
        assert_eq!((o.interval, o.time, o.timeout()), (2.0, 4.0, DEFAULT_COMMAND_TIMEOUT));
        assert_eq!(two("-c h -t 100").timeout(), Duration::from_secs(110));
        assert!(two("--version").version && !two("-v").version);
    }

    /// A record's getters read only the shapes iperf's columns have.
    #[test]
    fn a_record_s_getters_refuse_other_shapes() {
        let record = |v: Value| IperfRecord(serde_json::from_value(v).unwrap());
        let r =
            record(serde_json::json!({"Interval": [0.0, 1.5], "Lost_vs_Total_Datagrams": [2, 90]}));
        assert_eq!((r.interval(), r.lost_vs_total_datagrams()), (Some((0.0, 1.5)), Some((2, 90))));
        for odd in
            [serde_json::json!([1.0]), serde_json::json!([1, 2, 3]), serde_json::json!("0-1")]
        {
            let r = record(serde_json::json!({"Interval": odd, "Lost_vs_Total_Datagrams": odd}));
            assert_eq!((r.interval(), r.lost_vs_total_datagrams()), (None, None), "{odd}");
        }
    }
}
