//! `ip_addr` (`ip addr`): [`IpAddr`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{ip_errors, moler_list, regex};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

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
    interface: Arc<Regex>,
    inet: Arc<Regex>,
    inet6: Arc<Regex>,
    link: Arc<Regex>,
    current: Option<String>,
    result: BTreeMap<String, IpAddrInterface>,
}

impl Parser for IpAddrParser {
    type Output = BTreeMap<String, IpAddrInterface>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
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
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for IpAddr {
    const NAME: &'static str = "ip_addr";
    type Parser = IpAddrParser;
    type Output = BTreeMap<String, IpAddrInterface>;
    fn command_line(&self) -> Result<String, ParamError> {
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
