//! `hciconfig`: [`Hciconfig`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `hciconfig [options]`: Bluetooth interfaces; result: by interface (`hci0`), Moler's keys
/// (`TYPE`, `BUS`, `BD_ADDRESS`, `ACL_MTU`, `SCO_MTU`, `RX`/`TX` counters, `HCI`/`LMP`
/// versions, each `Key: value` line, and `content`: the interface's lines).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hciconfig {
    /// `-a`, an interface…
    pub options: Option<String>,
}
builder!(Hciconfig {}, options);

/// Parser of [`Hciconfig`]: Moler's rules in Moler's order.
#[derive(Debug)]
pub struct HciconfigParser {
    interface: Arc<Regex>,
    content: Arc<Regex>,
    bd_address: Arc<Regex>,
    counters: Arc<Regex>,
    counter: Arc<Regex>,
    version: Arc<Regex>,
    details: Arc<Regex>,
    current: Option<String>,
    result: BTreeMap<String, Map<String, Value>>,
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

impl Parser for HciconfigParser {
    type Output = BTreeMap<String, Map<String, Value>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(ifc) = self.current.as_ref().and_then(|i| self.result.get_mut(i)) {
            if let Some(c) = self.content.captures(line) {
                if let Some(Value::Array(content)) = ifc.get_mut("content") {
                    content.push(text(&c[1]));
                }
            }
        }
        if let Some(c) = self.interface.captures(line) {
            let mut ifc = Map::new();
            ifc.insert("content".into(), Value::Array(vec![text(line)]));
            ifc.insert("TYPE".into(), text(&c[2]));
            ifc.insert("BUS".into(), text(&c[3]));
            self.current = Some(c[1].to_owned());
            self.result.insert(c[1].to_owned(), ifc);
            return Ok(());
        }
        // Lines before the first interface belong to none.
        let Some(ifc) = self.current.as_ref().and_then(|i| self.result.get_mut(i)) else {
            return Ok(());
        };
        if let Some(c) = self.bd_address.captures(line) {
            ifc.insert("BD_ADDRESS".into(), text(&c[1]));
            ifc.insert("ACL_MTU".into(), text(&c[2]));
            ifc.insert("SCO_MTU".into(), text(&c[3]));
        } else if let Some(c) = self.counters.captures(line) {
            let counters: Map<String, Value> =
                self.counter.captures_iter(line).map(|k| (k[1].to_owned(), text(&k[2]))).collect();
            ifc.insert(c[1].to_owned(), Value::Object(counters));
        } else if let Some(c) = self.version.captures(line) {
            let mut version = Map::new();
            version.insert("VERSION".into(), text(&c["version"]));
            version.insert(c["key"].to_owned(), text(&c["value"]));
            ifc.insert(c["kind"].to_owned(), Value::Object(version));
        } else if let Some(c) = self.details.captures(line) {
            ifc.insert(c[1].to_owned(), text(&c[2]));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Hciconfig, "hciconfig", HciconfigParser,
    |s| HciconfigParser {
        interface: regex(r"^(\S+):\s+Type:\s(.*)\s+Bus:\s+(.*)$"),
        content: regex(r"\s+(.*)"),
        bd_address: regex(r"\s+(\S+)\s+ACL MTU:\s+(\S+)\s+SCO MTU:\s+(\S+)"),
        counters: regex(r"(RX|TX)"),
        counter: regex(r"(\w+):(\d+)"),
        version: regex(
            r"\s+(?P<kind>.*)\s+Version:\s(?P<version>.*)\s\s(?P<key>\w+):\s(?P<value>\w+)",
        ),
        details: regex(r"\s+(.*):\s+(.*)"),
        current: None,
        result: BTreeMap::new(),
    },
    line: |s| {
        let mut line = "hciconfig".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"^Can't get device info|^Can't open HCI socket"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn two_interfaces_each_with_its_lines() {
        let out = "hciconfig\n\
            hci1:   Type: Primary  Bus: USB\n\
            \tBD Address: 00:1A:7D:DA:71:13  ACL MTU: 310:10  SCO MTU: 64:8\n\
            \tDOWN\n\
            \tRX bytes:574 acl:0 sco:0 events:30 errors:0\n\
            hci0:   Type: Primary  Bus: UART\n\
            \tBD Address: B8:27:EB:00:00:01  ACL MTU: 1021:8  SCO MTU: 64:1\n\
            \tUP RUNNING\n$ ";
        let cmd = Hciconfig::new().command_with_prompt(r"^\$ $");
        let r = offline::parse(cmd, [out.as_bytes()]).unwrap();
        assert_eq!(r["hci1"]["BUS"], "USB");
        assert_eq!(r["hci1"]["RX"]["events"], "30");
        assert_eq!(r["hci0"]["BD_ADDRESS"], "B8:27:EB:00:00:01");
        // Moler's content rule: the next interface's first words end the previous one's lines.
        assert_eq!(
            r["hci1"]["content"].as_array().unwrap().last().unwrap(),
            "Type: Primary  Bus: UART"
        );
        assert_eq!(r["hci0"]["content"][2], "UP RUNNING");
    }
}
