//! `ifconfig`: [`Ifconfig`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ip_addr::{InetAddr, LinkAddr};
use super::parse::{moler_list, own_errors, regex, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ifconfig [options]`; result: one entry per interface with its addresses, the indented lines
/// (`CONTENT`) and the RX/TX counters. Reads both the classic (`inet addr:…`) and the current
/// net-tools format (`inet … netmask …`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ifconfig {
    /// `-a`, `eth0`, `lo down`…
    pub options: Option<String>,
}
builder!(Ifconfig {}, options);

/// One interface of [`Ifconfig`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IfconfigInterface {
    /// IPv4 addresses.
    #[serde(rename = "IPV4", serialize_with = "moler_list")]
    pub ipv4: Vec<InetAddr>,
    /// IPv6 addresses.
    #[serde(rename = "IPV6", serialize_with = "moler_list")]
    pub ipv6: Vec<InetAddr>,
    /// Hardware address and encapsulation.
    #[serde(rename = "LINK", serialize_with = "moler_list")]
    pub link: Vec<LinkAddr>,
    /// The indented lines other than the RX/TX counters.
    #[serde(rename = "CONTENT")]
    pub content: Vec<String>,
    /// Receive counters (`packets`: packets, errors, dropped, overruns, frame; `bytes`:
    /// bytes_raw), when printed.
    #[serde(rename = "RX", skip_serializing_if = "Option::is_none")]
    pub rx: Option<Counters>,
    /// Transmit counters (`packets`: packets, errors, dropped, overruns, carrier…).
    #[serde(rename = "TX", skip_serializing_if = "Option::is_none")]
    pub tx: Option<Counters>,
}

/// RX or TX counters of an interface, as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// `packets`, `errors`, `dropped`, `overruns`, `frame` or `carrier` (and `collisions`).
    pub packets: BTreeMap<String, String>,
    /// `bytes_raw`.
    pub bytes: BTreeMap<String, String>,
}

/// Parser of [`Ifconfig`].
#[derive(Debug)]
pub struct IfconfigParser {
    modern_header: Arc<Regex>,
    classic_link: Arc<Regex>,
    classic_inet: Arc<Regex>,
    classic_inet6: Arc<Regex>,
    modern_inet: Arc<Regex>,
    modern_inet6: Arc<Regex>,
    modern_ether: Arc<Regex>,
    classic_packets: Arc<Regex>,
    classic_bytes: Arc<Regex>,
    modern_counters: Arc<Regex>,
    current: Option<String>,
    result: BTreeMap<String, IfconfigInterface>,
}

impl IfconfigParser {
    fn interface_line(&mut self, line: &str) {
        let name = match self.modern_header.captures(line) {
            Some(c) => c[1].to_owned(),
            None => line.split_whitespace().next().unwrap_or_default().to_owned(),
        };
        let mut entry = IfconfigInterface::default();
        if let Some(c) = self.classic_link.captures(line) {
            entry.link.push(LinkAddr { mac: c[2].into(), brd: None, encap: Some(c[1].into()) });
        }
        self.result.insert(name.clone(), entry);
        self.current = Some(name);
    }

    fn counters(entry: &mut IfconfigInterface, rx: bool) -> &mut Counters {
        let slot = if rx { &mut entry.rx } else { &mut entry.tx };
        slot.get_or_insert_with(Counters::default)
    }

    /// An indented line; false if it is not a counters line.
    fn counters_line(&self, entry: &mut IfconfigInterface, line: &str) -> bool {
        if let Some(c) = self.classic_bytes.captures(line) {
            Self::counters(entry, true).bytes.insert("bytes_raw".into(), c[1].into());
            Self::counters(entry, false).bytes.insert("bytes_raw".into(), c[2].into());
            return true;
        }
        let (rx, rest) = if let Some(c) = self.classic_packets.captures(line) {
            (&c[1] == "RX", c.get(2).map_or("", |m| m.as_str()))
        } else if let Some(c) = self.modern_counters.captures(line) {
            (&c[1] == "RX", c.get(2).map_or("", |m| m.as_str()))
        } else {
            return false;
        };
        let counters = Self::counters(entry, rx);
        let w: Vec<&str> = words(rest).map(|(_, w)| w).collect();
        // Classic: `packets:3625 errors:0 …`; current: `packets 6279  bytes 97724794 (93.1 MiB)`
        // or `errors 0  dropped 0 …`.
        if w.iter().any(|w| w.contains(':')) {
            for (k, v) in w.iter().filter_map(|w| w.split_once(':')) {
                counters.packets.insert(k.to_owned(), v.to_owned());
            }
        } else {
            for pair in w.chunks_exact(2) {
                if pair[0] == "bytes" {
                    counters.bytes.insert("bytes_raw".into(), pair[1].to_owned());
                } else if !pair[0].starts_with('(') {
                    counters.packets.insert(pair[0].to_owned(), pair[1].to_owned());
                }
            }
        }
        true
    }
}

impl Parser for IfconfigParser {
    type Output = BTreeMap<String, IfconfigInterface>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        if !line.starts_with([' ', '\t']) {
            self.interface_line(line);
            return Ok(());
        }
        let Some(mut entry) = self.current.as_ref().and_then(|n| self.result.remove(n)) else {
            return Ok(());
        };
        if !self.counters_line(&mut entry, line) {
            entry.content.push(line.trim_start().to_owned());
            let get = |c: &regex::Captures<'_>, i: usize| c.get(i).map(|m| m.as_str().to_owned());
            if let Some(c) = self.classic_inet.captures(line) {
                entry.ipv4.push(InetAddr {
                    ip: c[1].into(),
                    brd: get(&c, 2),
                    mask: c[3].into(),
                    scope: None,
                });
            } else if let Some(c) = self.modern_inet.captures(line) {
                entry.ipv4.push(InetAddr {
                    ip: c[1].into(),
                    mask: c[2].into(),
                    brd: get(&c, 3),
                    scope: None,
                });
            } else if let Some(c) = self.classic_inet6.captures(line) {
                entry.ipv6.push(InetAddr {
                    ip: c[1].into(),
                    mask: c[2].into(),
                    brd: None,
                    scope: get(&c, 3),
                });
            } else if let Some(c) = self.modern_inet6.captures(line) {
                entry.ipv6.push(InetAddr {
                    ip: c[1].into(),
                    mask: c[2].into(),
                    brd: None,
                    scope: get(&c, 3),
                });
            } else if let Some(c) = self.modern_ether.captures(line) {
                entry.link.push(LinkAddr { mac: c[1].into(), brd: None, encap: get(&c, 2) });
            }
        }
        let name = self.current.clone().expect("an interface is current");
        self.result.insert(name, entry);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ifconfig {
    const NAME: &'static str = "ifconfig";
    type Parser = IfconfigParser;
    type Output = BTreeMap<String, IfconfigInterface>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ifconfig".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IfconfigParser {
        IfconfigParser {
            modern_header: regex(r"^(\S+?):?\s+flags="),
            classic_link: regex(r"Link\s+encap:(\S*)\s+HWaddr\s+(\S+)"),
            classic_inet: regex(
                r"inet addr:(\d+\.\d+\.\d+\.\d+)\s+(?:Bcast:(\d+\.\d+\.\d+\.\d+)\s+)?Mask:(\d+\.\d+\.\d+\.\d+)",
            ),
            classic_inet6: regex(r"inet6\s+addr:\s*(\S+)/(\d+)\s+Scope:(\S*)"),
            modern_inet: regex(r"^\s*inet\s+(\S+)\s+netmask\s+(\S+)(?:\s+broadcast\s+(\S+))?"),
            modern_inet6: regex(
                r"^\s*inet6\s+(\S+)\s+prefixlen\s+(\d+)(?:\s+scopeid\s+\S*<(\w+)>)?",
            ),
            modern_ether: regex(r"^\s*ether\s+(\S+)(?:.*\((\w+)\))?"),
            classic_packets: regex(r"^\s*([RT]X) (packets:\d+.*)$"),
            classic_bytes: regex(r"RX bytes:(\d+).*TX bytes:(\d+)"),
            modern_counters: regex(r"^\s*([RT]X) ((?:packets|errors) \d+.*)$"),
            current: None,
            result: BTreeMap::new(),
        }
    }
    fn setup(&self, command: Command<IfconfigParser>) -> Command<IfconfigParser> {
        own_errors(command, "ifconfig").ret_required(false)
    }
}
