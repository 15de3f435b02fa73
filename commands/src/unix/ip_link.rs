//! `ip_link` (`ip link`): [`IpLink`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{ip_errors, regex, required, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

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
    header: Arc<Regex>,
    link: Arc<Regex>,
    current: Option<String>,
    result: BTreeMap<String, BTreeMap<String, String>>,
}

impl Parser for IpLinkParser {
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
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
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for IpLink {
    const NAME: &'static str = "ip_link";
    type Parser = IpLinkParser;
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn command_line(&self) -> Result<String, ParamError> {
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
