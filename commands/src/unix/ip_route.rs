//! `ip_route` (`ip route`): [`IpRoute`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{ip_errors, words};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

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
pub type IpRouteEntry = BTreeMap<String, String>;

/// Result of [`IpRoute`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRouteResult {
    /// Routes through a gateway, by destination.
    #[serde(rename = "VIA")]
    pub via: BTreeMap<String, IpRouteEntry>,
    /// Every route, in order.
    #[serde(rename = "ALL")]
    pub all: Vec<IpRouteEntry>,
    /// Routes without a gateway, by destination.
    #[serde(rename = "ADDRESS")]
    pub address: BTreeMap<String, IpRouteEntry>,
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
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
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
        let mut route = IpRouteEntry::new();
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
    fn finish(&mut self) -> ParseResult<IpRouteResult> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl UnixCommand for IpRoute {
    const NAME: &'static str = "ip_route";
    type Parser = IpRouteParser;
    type Output = IpRouteResult;
    fn command_line(&self) -> Result<String, ParamError> {
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
