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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    fn interfaces(output: &str) -> BTreeMap<String, IfconfigInterface> {
        let output = format!("host:~ # ifconfig\n{output}host:~ # ");
        offline::parse(Ifconfig::new().command_with_prompt("^host:~ # $"), [output.as_bytes()])
            .unwrap()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The current net-tools format: `RX packets N  bytes N (…)` then `RX errors 0  dropped 0 …`;
    /// the bytes apart, the unit in brackets left out; RX and TX each their own.
    #[test]
    fn counters_of_the_current_format() {
        let got = interfaces(
            "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n\
             \x20       inet 127.0.0.1  netmask 255.0.0.0\n\
             \x20       RX packets 71  bytes 2113 (2.0 KiB)\n\
             \x20       RX errors 1  dropped 2  overruns 3  frame 4\n\
             \x20       TX packets 72  bytes 2114 (2.0 KiB)\n\
             \x20       TX errors 5  dropped 6 overruns 7  carrier 8  collisions 9\n\n",
        );
        let lo = &got["lo"];
        let rx = lo.rx.as_ref().unwrap();
        assert_eq!(rx.bytes, map(&[("bytes_raw", "2113")]));
        let want = [("packets", "71"), ("errors", "1"), ("dropped", "2"), ("overruns", "3")];
        assert_eq!(rx.packets, map(&[&want[..], &[("frame", "4")]].concat()));
        let tx = lo.tx.as_ref().unwrap();
        assert_eq!(tx.bytes, map(&[("bytes_raw", "2114")]));
        assert_eq!(tx.packets["packets"], "72");
        assert_eq!(tx.packets["collisions"], "9");
        assert_eq!(tx.packets.len(), 6);
        assert_eq!(lo.content, ["inet 127.0.0.1  netmask 255.0.0.0"], "counters are no content");
    }

    /// The classic format: `RX packets:N errors:N …`, and both byte counts on one line.
    #[test]
    fn counters_of_the_classic_format() {
        let got = interfaces(
            "eth0      Link encap:Ethernet  HWaddr 00:11:22:33:44:55\n\
             \x20         inet addr:10.0.0.2  Bcast:10.0.0.255  Mask:255.255.255.0\n\
             \x20         RX packets:3625 errors:1 dropped:2 overruns:3 frame:4\n\
             \x20         TX packets:3626 errors:5 dropped:6 overruns:7 carrier:8\n\
             \x20         collisions:0 txqueuelen:1000\n\
             \x20         RX bytes:1000 (1.0 KB)  TX bytes:2000 (2.0 KB)\n\n",
        );
        let eth0 = &got["eth0"];
        let rx = eth0.rx.as_ref().unwrap();
        assert_eq!(rx.packets["packets"], "3625");
        assert_eq!(rx.packets["frame"], "4");
        assert_eq!(rx.bytes, map(&[("bytes_raw", "1000")]));
        let tx = eth0.tx.as_ref().unwrap();
        assert_eq!(tx.packets["packets"], "3626");
        assert_eq!(tx.packets["carrier"], "8");
        assert_eq!(tx.bytes, map(&[("bytes_raw", "2000")]));
        assert_eq!(eth0.ipv4[0].ip, "10.0.0.2");
        assert_eq!(eth0.link[0].mac, "00:11:22:33:44:55");
    }
}
