//! Network interfaces and routes: ip addr, ip link, ip route, ifconfig.

use std::collections::BTreeMap;

use moler_core::{Command, Context, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize, Serializer};

use super::basic::own_errors;
use super::parse::{regex, required, words};
use crate::spec::{builder, push_opt, UnixCommand};

/// Moler's lists of addresses hold one empty mapping when there is none (`"IPV4": [{}]`); the
/// typed list is simply empty.
fn moler_list<T: Serialize, S: Serializer>(list: &[T], s: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        [BTreeMap::<String, String>::new()].serialize(s)
    } else {
        list.serialize(s)
    }
}

/// An address with its prefix or mask, and its broadcast address when printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InetAddr {
    /// The address.
    #[serde(rename = "IP")]
    pub ip: String,
    /// Prefix length (`24`) or netmask (`255.255.255.0`), as printed.
    #[serde(rename = "MASK")]
    pub mask: String,
    /// Broadcast address.
    #[serde(rename = "BRD", skip_serializing_if = "Option::is_none", default)]
    pub brd: Option<String>,
    /// Scope (ifconfig's IPv6 addresses).
    #[serde(rename = "SCOPE", skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
}

/// A hardware address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAddr {
    /// The MAC address.
    #[serde(rename = "MAC")]
    pub mac: String,
    /// Broadcast address (ip addr).
    #[serde(rename = "BRD", skip_serializing_if = "Option::is_none", default)]
    pub brd: Option<String>,
    /// Encapsulation (ifconfig: `Ethernet`).
    #[serde(rename = "ENCAP", skip_serializing_if = "Option::is_none", default)]
    pub encap: Option<String>,
}

// ---------------------------------------------------------------------------------------------

/// `ip addr [options]`; result: one entry per interface with its IPv4, IPv6 and link addresses.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpAddr {
    /// `show`, `show dev eth0`…
    pub options: Option<String>,
}
builder!(IpAddr {}, options);

/// One interface of [`IpAddr`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpAddrInterface {
    /// IPv4 addresses.
    #[serde(rename = "IPV4", serialize_with = "moler_list")]
    pub ipv4: Vec<InetAddr>,
    /// IPv6 addresses.
    #[serde(rename = "IPV6", serialize_with = "moler_list")]
    pub ipv6: Vec<InetAddr>,
    /// Hardware addresses.
    #[serde(rename = "LINK", serialize_with = "moler_list")]
    pub link: Vec<LinkAddr>,
}

/// Parser of [`IpAddr`].
#[derive(Debug)]
pub struct IpAddrParser {
    interface: Regex,
    inet: Regex,
    inet6: Regex,
    link: Regex,
    current: Option<String>,
    result: BTreeMap<String, IpAddrInterface>,
}

impl Parser for IpAddrParser {
    type Output = BTreeMap<String, IpAddrInterface>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.interface.captures(line) {
            let name = c[1].to_owned();
            self.result.insert(name.clone(), IpAddrInterface::default());
            self.current = Some(name);
            return Ok(());
        }
        let Some(entry) = self.current.as_ref().and_then(|n| self.result.get_mut(n)) else {
            return Ok(());
        };
        let get = |c: &regex::Captures<'_>, i: usize| c.get(i).map(|m| m.as_str().to_owned());
        if let Some(c) = self.inet.captures(line) {
            entry.ipv4.push(InetAddr {
                ip: c[1].into(),
                mask: c[2].into(),
                brd: get(&c, 3),
                scope: None,
            });
        } else if let Some(c) = self.inet6.captures(line) {
            entry.ipv6.push(InetAddr {
                ip: c[1].into(),
                mask: c[2].into(),
                brd: None,
                scope: None,
            });
        } else if let Some(c) = self.link.captures(line) {
            entry.link.push(LinkAddr { mac: c[1].into(), brd: get(&c, 2), encap: None });
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<Self::Output, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for IpAddr {
    const NAME: &'static str = "ip_addr";
    type Parser = IpAddrParser;
    type Output = BTreeMap<String, IpAddrInterface>;
    fn command_line(&self) -> Result<String, String> {
        let mut line = "ip addr".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IpAddrParser {
        IpAddrParser {
            interface: regex(r"^\d+:\s+([^\s:]+):"),
            inet: regex(r"^\s*inet\s+(\d+\.\d+\.\d+\.\d+)/(\d+)(?:\s+brd\s+(\S+))?\s+scope\s"),
            inet6: regex(r"^\s*inet6\s+(\S+)/(\d+)\s+scope\s"),
            link: regex(r"^\s*link/\S+\s+(\S+)\s+brd\s+(\S+)"),
            current: None,
            result: BTreeMap::new(),
        }
    }
    fn setup(&self, command: Command<IpAddrParser>) -> Command<IpAddrParser> {
        ip_errors(command).ret_required(false)
    }
}

/// `ip`'s own complaints, and unknown devices.
fn ip_errors<P: Parser>(command: Command<P>) -> Command<P> {
    own_errors(command, "ip").failure(
        r#"^(?:Error|Command ".*" is unknown|Device ".*" does not exist|Cannot find device)"#,
    )
}

// ---------------------------------------------------------------------------------------------

/// `ip link action [options]`; result: one mapping per interface index (`"1"`, `"2"`) with
/// `interface`, `transmission` (the flags), `mtu`, `qdisc`, `state`, `mode`, `group`, `qlen`, the
/// link type (`link/ether`) and `brd`, all as printed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpLink {
    /// `show`, `set`…
    pub action: String,
    /// What follows the action.
    pub options: Option<String>,
}
builder!(IpLink { action: String }, options);

/// Parser of [`IpLink`].
#[derive(Debug)]
pub struct IpLinkParser {
    header: Regex,
    link: Regex,
    current: Option<String>,
    result: BTreeMap<String, BTreeMap<String, String>>,
}

impl Parser for IpLinkParser {
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.header.captures(line) {
            let mut entry = BTreeMap::new();
            entry.insert("interface".to_owned(), c[2].to_owned());
            entry.insert("transmission".to_owned(), c[3].to_owned());
            let rest: Vec<&str> = words(&c[4]).map(|(_, w)| w).collect();
            for pair in rest.chunks_exact(2) {
                entry.insert(pair[0].to_owned(), pair[1].to_owned());
            }
            self.result.insert(c[1].to_owned(), entry);
            self.current = Some(c[1].to_owned());
        } else if let Some(c) = self.link.captures(line) {
            if let Some(entry) = self.current.take().and_then(|i| self.result.get_mut(&i)) {
                entry.insert(c[1].to_owned(), c[2].to_owned());
                if let Some(brd) = c.get(3) {
                    entry.insert("brd".to_owned(), brd.as_str().to_owned());
                }
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<Self::Output, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for IpLink {
    const NAME: &'static str = "ip_link";
    type Parser = IpLinkParser;
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn command_line(&self) -> Result<String, String> {
        let mut line = format!("ip link {}", required("action", &self.action)?);
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IpLinkParser {
        IpLinkParser {
            header: regex(r"^(\d+):\s+(\S+):\s+(<\S*>)\s+(.*)$"),
            link: regex(r"^\s+(link/\S+)\s+(\S+)(?:\s+brd\s+(\S+))?"),
            current: None,
            result: BTreeMap::new(),
        }
    }
    fn setup(&self, command: Command<IpLinkParser>) -> Command<IpLinkParser> {
        ip_errors(command).ret_required(false)
    }
}

// ---------------------------------------------------------------------------------------------

/// `ip [-6] route [get addr_get [from addr_from]]`; result `{"ALL": [routes], "VIA": {address:
/// route with a gateway}, "ADDRESS": {address: route without one}}`, each route a mapping of
/// upper-case keys (`ADDRESS`, `VIA`, `DEV`, `PROTO`, `SCOPE`, `SRC`, `METRIC`…).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpRoute {
    /// `ip -6 route`.
    #[serde(default)]
    pub is_ipv6: bool,
    /// `get ADDRESS`.
    pub addr_get: Option<String>,
    /// `from ADDRESS` (with `addr_get`).
    pub addr_from: Option<String>,
}
builder!(IpRoute {}, addr_get, addr_from);

/// A route: upper-case keys as `ip` prints them (`DEV`, `VIA`…), values as printed.
pub type Route = BTreeMap<String, String>;

/// Result of [`IpRoute`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRouteResult {
    /// Routes through a gateway, by destination.
    #[serde(rename = "VIA")]
    pub via: BTreeMap<String, Route>,
    /// Every route, in order.
    #[serde(rename = "ALL")]
    pub all: Vec<Route>,
    /// Routes without a gateway, by destination.
    #[serde(rename = "ADDRESS")]
    pub address: BTreeMap<String, Route>,
}

impl IpRouteResult {
    /// The gateway of the default route (the one with a metric when there are several, as
    /// Moler's `get_default_route`).
    pub fn default_route(&self) -> Option<&str> {
        let defaults = self.all.iter().filter(|r| r.get("ADDRESS").is_some_and(|a| a == "default"));
        let mut chosen = None;
        for route in defaults {
            if chosen.is_none() || route.contains_key("METRIC") {
                chosen = route.get("VIA").map(String::as_str).or(chosen);
            }
        }
        chosen
    }
}

/// Parser of [`IpRoute`].
#[derive(Debug, Default)]
pub struct IpRouteParser(IpRouteResult);

/// Route types that may come before the destination (`broadcast 10.0.2.0 dev eth0`).
const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "multicast",
    "throw",
    "unreachable",
    "prohibit",
    "blackhole",
    "nat",
    "anycast",
];

/// Words of a route that stand alone (no value follows).
const ROUTE_FLAGS: &[&str] = &["onlink", "linkdown", "dead", "pervasive", "offload", "trap"];

impl Parser for IpRouteParser {
    type Output = IpRouteResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial {
            return Ok(());
        }
        let mut w = words(line).map(|(_, w)| w).peekable();
        let Some(mut first) = w.next() else { return Ok(()) };
        if first == "cache" || first.starts_with('<') {
            return Ok(()); // the second line of `ip route get`
        }
        if ROUTE_TYPES.contains(&first) {
            match w.next() {
                Some(address) => first = address,
                None => return Ok(()),
            }
        }
        let mut route = Route::new();
        route.insert("ADDRESS".to_owned(), first.to_owned());
        while let Some(key) = w.next() {
            if ROUTE_FLAGS.contains(&key) {
                continue;
            }
            match w.next() {
                Some(value) => route.insert(key.to_ascii_uppercase(), value.to_owned()),
                None => break,
            };
        }
        if route.len() < 2 {
            return Ok(()); // not a route line
        }
        let target = if route.contains_key("VIA") && !route.contains_key("FROM") {
            &mut self.0.via
        } else {
            &mut self.0.address
        };
        target.insert(first.to_owned(), route.clone());
        self.0.all.push(route);
        Ok(())
    }
    fn finish(&mut self) -> Result<IpRouteResult, String> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl UnixCommand for IpRoute {
    const NAME: &'static str = "ip_route";
    type Parser = IpRouteParser;
    type Output = IpRouteResult;
    fn command_line(&self) -> Result<String, String> {
        let mut line = if self.is_ipv6 { "ip -6 route" } else { "ip route" }.to_owned();
        if let Some(get) = self.addr_get.as_deref().filter(|a| !a.trim().is_empty()) {
            line = format!("{line} get {get}");
            if let Some(from) = self.addr_from.as_deref().filter(|a| !a.trim().is_empty()) {
                line = format!("{line} from {from}");
            }
        } else if self.addr_from.is_some() {
            return Err("`addr_from` needs `addr_get`".into());
        }
        Ok(line)
    }
    fn parser(&self) -> IpRouteParser {
        IpRouteParser::default()
    }
    fn setup(&self, command: Command<IpRouteParser>) -> Command<IpRouteParser> {
        ip_errors(command).ret_required(false)
    }
}

// ---------------------------------------------------------------------------------------------

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
    modern_header: Regex,
    classic_link: Regex,
    classic_inet: Regex,
    classic_inet6: Regex,
    modern_inet: Regex,
    modern_inet6: Regex,
    modern_ether: Regex,
    classic_packets: Regex,
    classic_bytes: Regex,
    modern_counters: Regex,
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
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
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
    fn finish(&mut self) -> Result<Self::Output, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ifconfig {
    const NAME: &'static str = "ifconfig";
    type Parser = IfconfigParser;
    type Output = BTreeMap<String, IfconfigInterface>;
    fn command_line(&self) -> Result<String, String> {
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
