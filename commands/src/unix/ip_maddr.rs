//! `ip_maddr` (`ip maddr`): [`IpMaddr`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{ip_errors, regex};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ip maddr [options]`; result `{index: {"interface": name, "items": [{"type": "inet",
/// "value": "224.0.0.1"}…]}}` (Moler's shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpMaddr {
    /// `show`, `show dev eth0`, `add …`…
    pub options: Option<String>,
}
builder!(IpMaddr {}, options);

/// The multicast addresses of one interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaddrInterface {
    /// The interface name.
    pub interface: String,
    /// Its addresses, in order.
    pub items: Vec<MaddrItem>,
}

/// One multicast address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaddrItem {
    /// `link`, `inet` or `inet6`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The address and what follows it (`ff02::1 users 2`).
    pub value: String,
}

/// Parser of [`IpMaddr`].
#[derive(Debug)]
pub struct IpMaddrParser {
    interface: Arc<Regex>,
    item: Arc<Regex>,
    current: Option<u32>,
    result: BTreeMap<u32, MaddrInterface>,
}

impl Parser for IpMaddrParser {
    type Output = BTreeMap<u32, MaddrInterface>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.interface.captures(line) {
            let Ok(nr) = c[1].parse() else { return Ok(()) };
            let entry = MaddrInterface { interface: c[2].to_owned(), items: Vec::new() };
            self.result.insert(nr, entry);
            self.current = Some(nr);
        } else if let Some(c) = self.item.captures(line) {
            if let Some(entry) = self.current.and_then(|nr| self.result.get_mut(&nr)) {
                entry.items.push(MaddrItem { kind: c[1].to_owned(), value: c[2].to_owned() });
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.is_empty()
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for IpMaddr {
    const NAME: &'static str = "ip_maddr";
    type Parser = IpMaddrParser;
    type Output = BTreeMap<u32, MaddrInterface>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ip maddr".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IpMaddrParser {
        IpMaddrParser {
            interface: regex(r"^(\d+):\s*(\S+)"),
            item: regex(r"^\s+(\S+)\s+(\S.*\S)"),
            current: None,
            result: BTreeMap::new(),
        }
    }
    fn setup(&self, command: Command<IpMaddrParser>) -> Command<IpMaddrParser> {
        // Moler waits for a result only for `show`; `add`/`del` print nothing.
        let show = self.options.as_deref().is_some_and(|o| o.trim() == "show");
        ip_errors(command).ret_required(show)
    }
}
