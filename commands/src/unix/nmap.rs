//! `nmap`: [`Nmap`], its parameters, its result and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::parse::{regex, required};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// Moler's timeout for nmap.
const NMAP_TIMEOUT: Duration = Duration::from_secs(120);

/// How long past nmap's own estimate of the time remaining the command may run.
const ESTIMATE_SLACK: Duration = Duration::from_secs(20);

/// `nmap [options] ip` (`-PN` added unless `is_ping`); result (Moler's shape): `PORTS`
/// (`{"443/tcp": {"PORT", "TYPE", "STATE", "SERVICE", "REASON"}, "LINES": [port lines]}`),
/// `SCAN_REPORTS` (each `{"LINE", "ADDRESS", "HOST", "RECEIVED"}`), `SCAN_REPORT` (a host
/// down), `RAW_PACKETS`, `SYN_STEALTH_SCAN`, `SKIPPING_HOST`, and from `ssl-enum-ciphers`
/// `CIPHERS`, `CRYPTO_PROTOCOLS` and `CRYPTO` (`{proto: {"ciphers", "cipher preference",
/// "compressors"}}`). Nmap's `(0:21:04 remaining)` makes the timeout at least that much from
/// now.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nmap {
    /// The target(s): address, range or network.
    pub ip: String,
    /// Let nmap ping first (else `-PN`).
    #[serde(default)]
    pub is_ping: bool,
    /// `-p-`, `--script ssl-enum-ciphers -p 443`…
    pub options: Option<String>,
}
builder!(Nmap { ip: String }, options);

impl Nmap {
    /// Sets `is_ping` (no `-PN`).
    pub fn is_ping(mut self, on: bool) -> Self {
        self.is_ping = on;
        self
    }
}

/// Parser of [`Nmap`].
#[derive(Debug)]
pub struct NmapParser {
    re: Arc<NmapRegexes>,
    proto: Option<String>,
    section: Option<&'static str>,
    indent: usize,
    result: Map<String, Value>,
}

#[derive(Debug)]
struct NmapRegexes {
    remaining: Arc<Regex>,
    fail_file: Arc<Regex>,
    port: Arc<Regex>,
    raw_packets: Arc<Regex>,
    host_down: Arc<Regex>,
    report: Arc<Regex>,
    syn_scan: Arc<Regex>,
    skipping: Arc<Regex>,
    cipher: Arc<Regex>,
    proto: Arc<Regex>,
    preference: Arc<Regex>,
    indented: Arc<Regex>,
    compressors: Arc<Regex>,
}

/// The named groups of `c` as a mapping (`null` for those that did not take part).
fn groups(re: &Regex, c: &Captures<'_>, skip: &[&str]) -> Map<String, Value> {
    re.capture_names()
        .flatten()
        .filter(|n| !skip.contains(n))
        .map(|n| (n.to_owned(), c.name(n).map_or(Value::Null, |m| m.as_str().into())))
        .collect()
}

impl NmapParser {
    /// The entry `key` of the top level, created as `empty` when missing.
    fn top(&mut self, key: &str, empty: Value) -> &mut Value {
        self.result.entry(key).or_insert(empty)
    }

    /// The `CRYPTO` entry of the current protocol.
    fn crypto(&mut self) -> Option<&mut Map<String, Value>> {
        let proto = self.proto.clone()?;
        self.result.get_mut("CRYPTO")?.get_mut(&proto)?.as_object_mut()
    }

    fn line(&mut self, line: &str) -> ParseResult {
        let re = Arc::clone(&self.re);
        if re.fail_file.is_match(line) {
            return Err(moler_core::ParseError::at_line(line, "nmap failed"));
        }
        if let Some(c) = re.port.captures(line) {
            let entry = groups(&re.port, &c, &["PORTS", "LINES"]);
            let ports = c["PORTS"].to_owned();
            let table = self.top("PORTS", json!({}));
            let lines = table.as_object_mut().map(|t| t.entry("LINES").or_insert(json!([])));
            if let Some(Value::Array(lines)) = lines {
                lines.push(line.into());
            }
            table[ports] = entry.into();
            return Ok(());
        }
        if let Some(c) = re.raw_packets.captures(line) {
            let entry = groups(&re.raw_packets, &c, &[]);
            self.result.insert("RAW_PACKETS".into(), entry.into());
            return Ok(());
        }
        if let Some(c) = re.host_down.captures(line) {
            let entry = groups(&re.host_down, &c, &[]);
            self.result.insert("SCAN_REPORT".into(), entry.into());
            return Ok(());
        }
        if let Some(c) = re.report.captures(line) {
            let entry = groups(&re.report, &c, &[]);
            if let Value::Array(reports) = self.top("SCAN_REPORTS", json!([])) {
                reports.push(entry.into());
            }
            return Ok(());
        }
        if let Some(c) = re.syn_scan.captures(line) {
            let entry = groups(&re.syn_scan, &c, &[]);
            self.result.insert("SYN_STEALTH_SCAN".into(), entry.into());
            return Ok(());
        }
        if let Some(c) = re.skipping.captures(line) {
            let host = c[1].to_owned();
            if let Some(Value::Array(hosts)) =
                self.top("SKIPPING_HOST", json!({"HOST": []})).get_mut("HOST")
            {
                hosts.push(host.into());
            }
            return Ok(());
        }
        if let Some(c) = re.cipher.captures(line) {
            let cipher = c[1].to_owned();
            if let Value::Array(all) = self.top("CIPHERS", json!([])) {
                all.push(cipher.clone().into());
            }
            if let Some(crypto) = self.crypto() {
                if let Value::Array(list) = crypto.entry("ciphers").or_insert(json!([])) {
                    list.push(cipher.into());
                }
                self.section = Some("ciphers");
            }
            return Ok(());
        }
        if let Some(c) = re.proto.captures(line) {
            let proto = c[1].to_owned();
            if let Value::Array(protos) = self.top("CRYPTO_PROTOCOLS", json!([])) {
                protos.push(proto.clone().into());
            }
            self.top("CRYPTO", json!({}))[&proto] = json!({});
            self.proto = Some(proto);
            self.section = None;
            return Ok(());
        }
        if self.proto.is_some() {
            if let Some(c) = re.preference.captures(line) {
                let preference = c[1].to_owned();
                if let Some(crypto) = self.crypto() {
                    crypto.insert("cipher preference".into(), json!([preference]));
                }
                self.section = Some("cipher preference");
                return Ok(());
            }
            if self.section == Some("compressors") && self.indent > 0 {
                if let Some(c) = re.indented.captures(line) {
                    // Entries are deeper than `compressors:`; a line at its level is a sibling
                    // (`warnings:` after it in nmap's output), not a compressor.
                    if c[1].len() <= self.indent {
                        self.indent = 0;
                        self.section = None;
                    } else {
                        let value = c[2].trim().to_owned();
                        if let Some(crypto) = self.crypto() {
                            if let Value::Array(list) =
                                crypto.entry("compressors").or_insert(json!([]))
                            {
                                list.push(value.into());
                            }
                        }
                    }
                    return Ok(());
                }
            }
            if let Some(c) = re.compressors.captures(line) {
                self.indent = c[1].len();
                self.section = Some("compressors");
            }
        }
        Ok(())
    }
}

impl Parser for NmapParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.re.remaining.captures(line) {
            let secs = |i: usize| c[i].parse::<u64>().unwrap_or_default();
            let remaining = Duration::from_secs(secs(1) * 3600 + secs(2) * 60 + secs(3));
            let wanted = cx.elapsed() + remaining + ESTIMATE_SLACK;
            if cx.timeout().is_some_and(|t| t < wanted) {
                cx.set_timeout(Some(wanted));
            }
        }
        self.line(line)
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Nmap {
    const NAME: &'static str = "nmap";
    type Parser = NmapParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let ip = required("ip", &self.ip)?;
        let mut line = "nmap".to_owned();
        push_opt(&mut line, self.options.as_deref());
        line = format!("{line} {ip}");
        if !self.is_ping {
            line.push_str(" -PN");
        }
        Ok(line)
    }
    fn parser(&self) -> NmapParser {
        NmapParser {
            re: Arc::new(NmapRegexes {
                remaining: regex(r"\((\d+):(\d+):(\d+)\s+remaining\)"),
                fail_file: regex(r"(?i)Failed to open.*file"),
                port: regex(
                    r"^(?P<LINES>(?P<PORTS>(?P<PORT>\d+)/(?P<TYPE>\w+))\s+(?P<STATE>\S+)\s+(?P<SERVICE>\S+)\s*(?P<REASON>\S+)?\s*)$",
                ),
                raw_packets: regex(
                    r"Raw packets sent: (?P<SENT_NO>\d+)\s+\((?P<SENT_SIZE>\S+)\)\s+\|\s+Rcvd:\s+(?P<RCVD_NO>\d+)\s+\((?P<RCVD_SIZE>\S+)\)",
                ),
                host_down: regex(
                    r"(?P<LINE>Nmap scan report for (?P<ADDRESS>\S+)\s+\[host\s+(?P<HOST>\S+),\s+received\s+(?P<RECEIVED>\S+)\])",
                ),
                report: regex(
                    r"(?P<LINE>Nmap scan report for (?P<ADDRESS>\S+)(?:\s+\[host\s+(?P<HOST>\S+),\s+received\s+(?P<RECEIVED>\S+)\])?)",
                ),
                syn_scan: regex(
                    r"SYN Stealth Scan Timing: About (?P<DONE>[\d.]+)% done; ETC: (?P<ETC>[\d:]+) \((?P<REMAINING>[\d:]+) remaining\)",
                ),
                skipping: regex(r"Skipping host (\S+) due to host timeout"),
                cipher: regex(r"\|\s*(TLS_\S+)"),
                proto: regex(r"((?:TLS|SSL)\S+):"),
                preference: regex(r"cipher preference:\s+(\S.*\S)\s*$"),
                indented: regex(r"^\s*\|(\s*)(\S.*\S|\S+)"),
                compressors: regex(r"^\s*\|(\s+)compressors:\s*$"),
            }),
            proto: None,
            section: None,
            indent: 0,
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<NmapParser>) -> Command<NmapParser> {
        command.failure(r"^Failed to resolve|^QUITTING!").ret_required(false)
    }
    fn default_timeout(&self) -> Duration {
        NMAP_TIMEOUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmap_pings_first_only_with_is_ping() {
        let scan = Nmap::new("10.0.0.1").options("-p 22");
        assert_eq!(scan.clone().command_line().unwrap(), "nmap -p 22 10.0.0.1 -PN");
        assert_eq!(scan.is_ping(true).command_line().unwrap(), "nmap -p 22 10.0.0.1");
    }

    #[test]
    fn the_compressors_are_the_lines_under_their_header() {
        let out = "nmap --script ssl-enum-ciphers -p 443 h -PN\n\
                   443/tcp open  https\n\
                   | ssl-enum-ciphers:\n\
                   |   TLSv1.2:\n\
                   |     ciphers:\n\
                   |       TLS_RSA_WITH_AES_128_CBC_SHA (rsa 2048) - A\n\
                   |     compressors:\n\
                   |       NULL\n\
                   |       DEFLATE\n\
                   |     warnings:\n\
                   |       64-bit block cipher 3DES vulnerable to SWEET32 attack\n\
                   |_  least strength: A\n$ ";
        let scan = Nmap::new("h").options("--script ssl-enum-ciphers -p 443");
        let r = crate::offline::parse(scan.command_with_prompt(r"^\$ $"), [out.as_bytes()]);
        let r = r.unwrap();
        assert_eq!(r["CRYPTO"]["TLSv1.2"]["compressors"], json!(["NULL", "DEFLATE"]), "{r:?}");
    }

    #[test]
    fn nmap_s_estimate_moves_the_timeout() {
        // `(1:21:04 remaining)`: 4,864 s from that line on, and 20 s of slack.
        let mut conn = moler_core::Connection::new("t");
        let t0 = std::time::Instant::now();
        let _done = conn.start(Nmap::new("h").command_with_prompt(r"^\$ $"), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        assert_eq!(conn.poll_timeout(), Some(t0 + NMAP_TIMEOUT), "nmap's own default first");
        let t1 = t0 + Duration::from_secs(5);
        let estimate = "nmap h -PN\nSYN Stealth Scan Timing: About 2.50% done; ETC: 14:02 (1:21:04 remaining)\n";
        conn.handle_input(estimate.as_bytes(), t1);
        assert_eq!(conn.poll_timeout(), Some(t1 + Duration::from_secs(4_864 + 20)));
        // A shorter estimate later never brings it closer.
        let later = "SYN Stealth Scan Timing: About 90.00% done; ETC: 12:43 (0:00:30 remaining)\n";
        conn.handle_input(later.as_bytes(), t1 + Duration::from_secs(60));
        assert_eq!(conn.poll_timeout(), Some(t1 + Duration::from_secs(4_864 + 20)));
    }
}
