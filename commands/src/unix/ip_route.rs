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
    /// The gateway of the default route, as Moler's `get_default_route` finds it: the last
    /// default route through a gateway (`VIA["default"]`), unless a default route with a
    /// metric comes in the list (then the last of those); none without a default route through
    /// a gateway.
    pub fn default_route(&self) -> Option<&str> {
        let mut chosen = self.via.get("default")?.get("VIA")?;
        for route in &self.all {
            if route.get("ADDRESS").is_some_and(|a| a == "default") && route.contains_key("METRIC")
            {
                // (Moler's fails on a default route with a metric and no gateway.)
                chosen = route.get("VIA").unwrap_or(chosen);
            }
        }
        Some(chosen)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    fn routes(lines: &str) -> IpRouteResult {
        let output = format!("host:~ # ip route\n{lines}host:~ # ");
        offline::parse(IpRoute::new().command_with_prompt("^host:~ # $"), [output.as_bytes()])
            .unwrap()
    }

    /// Moler's `get_default_route`: the last default route through a gateway, unless some
    /// default route has a metric (the last of those).
    #[test]
    fn the_default_route_is_molers() {
        let two = "default via 10.0.0.1 dev eth0\ndefault via 10.0.0.2 dev eth1 table 7\n";
        assert_eq!(routes(two).default_route(), Some("10.0.0.2"), "the last one");
        let metric = "default via 10.0.0.1 dev eth0 metric 100\n\
                      default via 10.0.0.2 dev eth1\n\
                      default via 10.0.0.3 dev eth2 metric 200\n\
                      default via 10.0.0.4 dev eth3\n";
        assert_eq!(routes(metric).default_route(), Some("10.0.0.3"), "the last with a metric");
        let no_gateway = "default via 10.0.0.1 dev eth0\ndefault dev ppp0 metric 5\n";
        assert_eq!(routes(no_gateway).default_route(), Some("10.0.0.1"));
        assert_eq!(routes("default dev ppp0 scope link\n").default_route(), None);
        assert_eq!(routes("10.0.0.0/8 via 10.0.0.1 dev eth0\n").default_route(), None);
        assert_eq!(IpRouteResult::default().default_route(), None);
    }

    #[test]
    fn the_command_line_gets_an_address_from_another() {
        let line = |r: IpRoute| r.command_line().map_err(|e| e.to_string());
        assert_eq!(line(IpRoute::new()).unwrap(), "ip route");
        assert_eq!(line(IpRoute { is_ipv6: true, ..IpRoute::new() }).unwrap(), "ip -6 route");
        let get = IpRoute::new().addr_get("10.0.0.5");
        assert_eq!(line(get.clone()).unwrap(), "ip route get 10.0.0.5");
        assert_eq!(
            line(get.clone().addr_from("10.0.0.9")).unwrap(),
            "ip route get 10.0.0.5 from 10.0.0.9"
        );
        assert_eq!(line(get.addr_from(" ")).unwrap(), "ip route get 10.0.0.5", "a blank is none");
        assert!(line(IpRoute::new().addr_from("10.0.0.9")).unwrap_err().contains("addr_get"));
    }

    /// A route is its destination and at least one key with its value; `ip route get`'s
    /// second line (`cache …`) is none.
    #[test]
    fn a_route_has_a_key_and_a_value_and_cache_lines_are_none() {
        let got = routes(
            "10.0.0.5 via 10.0.0.1 dev eth0 src 10.0.0.9 uid 0\n    cache expires 285sec mtu 1400\n\
             10.2.0.0/16 dev eth9\nblackhole 10.1.0.0/16\nlonely\n",
        );
        let addresses: Vec<&str> = got.all.iter().map(|r| r["ADDRESS"].as_str()).collect();
        assert_eq!(addresses, ["10.0.0.5", "10.2.0.0/16"]);
        assert_eq!(got.via["10.0.0.5"]["SRC"], "10.0.0.9");
        assert_eq!(got.address["10.2.0.0/16"]["DEV"], "eth9");
    }
}
