//! `ipsec`: [`Ipsec`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, required};
use crate::spec::{builder, unix_command, UnixCommand};

/// `ipsec options` (strongSwan: `statusall`, `start`…); result: what `statusall` prints, by
/// section with Moler's keys (`Status of IKE charon daemon`, `Listening IP addresses`,
/// `Connections`, `Security Associations`); `{}` for commands that print no status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipsec {
    /// The ipsec command and its options (`statusall`).
    pub options: String,
}
builder!(Ipsec { options: String });

/// Which part of `statusall` the lines belong to.
#[derive(Debug, Default)]
struct Sections {
    status: Option<String>,
    listening: bool,
    connections: bool,
    associations: bool,
}

/// Parser of [`Ipsec`]: Moler's rules in Moler's order.
#[derive(Debug)]
pub struct IpsecParser {
    re: [Arc<Regex>; 12],
    at: Sections,
    result: Map<String, Value>,
}

const LISTENING: &str = "Listening IP addresses";
const CONNECTIONS: &str = "Connections";
const ASSOCIATIONS: &str = "Security Associations";

/// The mapping under `key`, made (or made a mapping) if need be.
fn sub<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("made a mapping above")
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

impl IpsecParser {
    fn parse(&mut self, line: &str) {
        let [status, listening, associations, connections, conn_kv_kv, conn_tunnel, conn_kv, key_value, ip, established, ike, child] =
            &self.re;
        let at = &mut self.at;
        let r = &mut self.result;
        if let Some(c) = status.captures(line) {
            at.status = Some(c[1].to_owned());
            let mut daemon = Map::new();
            daemon.insert(c[2].to_owned(), text(&c[3]));
            r.insert(c[1].to_owned(), Value::Object(daemon));
        } else if listening.is_match(line) {
            (at.listening, at.status) = (true, None);
            r.insert(LISTENING.into(), Value::Array(Vec::new()));
        } else if associations.is_match(line) {
            (at.associations, at.connections) = (true, false);
            r.insert(ASSOCIATIONS.into(), Value::Object(Map::new()));
        } else if connections.is_match(line) {
            (at.connections, at.listening) = (true, false);
            r.insert(CONNECTIONS.into(), Value::Object(Map::new()));
        } else if let Some(c) = conn_kv_kv.captures(line).filter(|_| at.connections) {
            let conn = sub(sub(r, CONNECTIONS), &c["conn"]);
            conn.insert(c["key"].to_owned(), text(&c["value"]));
            conn.insert(c["key2"].to_owned(), text(&c["value2"]));
        } else if let Some(c) = conn_tunnel.captures(line).filter(|_| at.connections) {
            let key = sub(sub(sub(r, CONNECTIONS), &c["conn"]), &c["key"]);
            key.insert("TUNNEL".into(), text(&c["tunnel"]));
            key.insert(c["key2"].to_owned(), text(&c["value"]));
        } else if let Some(c) = conn_kv.captures(line).filter(|_| at.connections) {
            sub(sub(r, CONNECTIONS), &c["conn"]).insert(c["key"].to_owned(), text(&c["value"]));
        } else if let Some((c, section)) =
            at.status.as_deref().and_then(|s| Some((key_value.captures(line)?, s)))
        {
            let (key, value) = (&c["key"], &c["value"]);
            let section = sub(r, section);
            match key {
                "malloc" => {
                    let malloc = sub(section, key);
                    for part in value.split(',') {
                        let words: Vec<&str> = part.trim().split(' ').collect();
                        if let [k, v, ..] = words.as_slice() {
                            malloc.insert((*k).to_owned(), text(v));
                        }
                    }
                }
                "worker threads" => {
                    let threads = sub(section, key);
                    for part in value.split(',').map(str::trim) {
                        match part.split_once(':') {
                            // `job queue: 0/0/0/0`
                            Some((k, rest)) => {
                                let v = rest.split(':').next().unwrap_or("").trim();
                                threads.insert(k.trim().to_owned(), text(v));
                            }
                            // `11 of 16 idle`: the last word names what comes before it.
                            None => {
                                let k = part.rsplit(' ').next().unwrap_or(part);
                                let v = part.split(k).next().unwrap_or("").trim();
                                threads.insert(k.to_owned(), text(v));
                            }
                        }
                    }
                }
                _ => {
                    section.insert(key.to_owned(), text(value));
                }
            }
        } else if let Some(c) = ip.captures(line).filter(|_| at.listening) {
            if let Some(Value::Array(ips)) = r.get_mut(LISTENING) {
                ips.push(text(&c[1]));
            }
        } else if at.associations {
            let sa = sub(r, ASSOCIATIONS);
            if let Some(c) = established.captures(line) {
                let est = sub(sub(sub(sa, &c["conn"]), "IKEgroup"), "ESTABLISHED");
                est.clear();
                est.insert("ago".into(), text(&c["ago"]));
                est.insert("local_tunnel_endpoint".into(), text(&c["local"]));
                est.insert("remote_tunnel_endpoint".into(), text(&c["remote"]));
            } else if let Some(c) = ike.captures(line) {
                sub(sub(sa, &c["conn"]), "IKEgroup").insert(c["key"].to_owned(), text(&c["value"]));
            } else if let Some(c) = child.captures(line) {
                let group =
                    sub(sa, &c[1]).entry("CHILDgroup").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(lines) = group {
                    lines.push(text(&c[2]));
                }
            }
        }
    }
}

impl Parser for IpsecParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.parse(line);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Ipsec, "ipsec", IpsecParser,
    |s| IpsecParser {
        re: [
            regex(r"^(Status[\w\s]*\w)\s*\((\S+)\s+(\S+),.*\):$"),
            regex(r"^Listening"),
            regex(r"^Security Associations"),
            regex(r"^Connections"),
            regex(
                r"^\s+(?P<conn>\w[\w\s]*\w)\s*:\s+(?P<value>\d+.\d+.\d+.\d+...\d+.\d+.\d+.\d+)\s+(?P<key>\S+),\s+(?P<key2>\S+)=(?P<value2>\S+)$",
            ),
            regex(
                r"(?P<conn>\w[\w\s]*\w)\s*:\s+(?P<key>\S+):\s+(?P<tunnel>.*)\s+TUNNEL,\s+(?P<key2>\S+)=(?P<value>\S+)",
            ),
            regex(r"^\s+(?P<conn>\w[\w\s]*\w)\s*:\s+(?P<key>\S+):\s+(?P<value>\S.*\S)$"),
            regex(r"^\s+(?P<key>\w[\w\s]*\w)\s*:\s+(?P<value>\S.*\S)$"),
            regex(r"^\s+(\S.*\S)$"),
            regex(
                r"(?P<conn>[^\[\s]+)\[\d+\]:\s+ESTABLISHED\s+(?P<ago>.*)\s+ago,\s+(?P<local>[\d+.]+\[.*\])...(?P<remote>[\d+.]+\[.*\])$",
            ),
            regex(r"(?P<conn>[^\[\s]+)\[\d+\]:\s+(?P<key>.*):\s+(?P<value>.*)"),
            regex(r"([^\[\s]+)\{\d+\}:\s+(.*)"),
        ],
        at: Sections::default(),
        result: Map::new(),
    },
    line: |s| Ok(format!("ipsec {}", required("options", &s.options)?.trim())),
    setup: |c| c.ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn sections_and_odd_lines() {
        let out = "ipsec statusall\n\
            Status of IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64):\n\
            \x20 uptime: 2 minutes, since Nov 30 10:00:00 2026\n\
            \x20 worker threads: 11 of 16 idle, 5/0/0/0 working, job queue: 0/0/0/0, scheduled: 0\n\
            \x20 malloc: sbrk 2, odd\n\
            Listening IP addresses:\n\
            \x20 10.0.0.1\n\
            Connections:\n\
            Security Associations (0 up, 0 connecting):\n\
            \x20 none\n\
            \x20    vpn[3]: IKE proposal: AES_CBC_128\n$ ";
        let cmd = Ipsec::new("statusall").command_with_prompt(r"^\$ $");
        let r = offline::parse(cmd, [out.as_bytes()]).unwrap();
        let status = &r["Status of IKE charon daemon"];
        assert_eq!(status["strongSwan"], "5.9.8");
        assert_eq!(status["worker threads"]["idle"], "11 of 16");
        assert_eq!(status["worker threads"]["job queue"], "0/0/0/0");
        assert_eq!(status["malloc"]["sbrk"], "2", "a part without a value is skipped");
        assert_eq!(r["Listening IP addresses"], serde_json::json!(["10.0.0.1"]));
        assert_eq!(
            r["Security Associations"]["vpn"]["IKEgroup"]["IKE proposal"], "AES_CBC_128",
            "no ESTABLISHED line first: the group is made"
        );
    }
}
