//! `tshark`: [`Tshark`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `tshark [options]` (give `-a duration:N` or `-c N`, or it runs until stopped); result: each
/// ICMP echo packet by its number (`time`, `src`, `dst`, `proto`, `id`, `seq`, and `ttl` or
/// `hop_limit`), and `packets_captured`.
///
/// ```
/// use moler_commands::{offline, unix::Tshark, UnixCommand};
///
/// let out = "tshark -c 1 -i lo\nCapturing on 'Loopback: lo'\n    1 0.000000000    127.0.0.1 → 127.0.0.1    ICMP 98 Echo (ping) request  id=0x0b7a, seq=1/256, ttl=64\n1 packet captured\n$ ";
/// let r = offline::parse(Tshark::new().options("-c 1 -i lo").command_with_prompt(r"^\$ $"), [out.as_bytes()]);
/// let r = r.unwrap();
/// assert_eq!(r["1"]["seq"], "1/256");
/// assert_eq!(r["packets_captured"], "1");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tshark {
    /// `-a duration:5 -i lo`, `-c 10`…
    pub options: Option<String>,
}
builder!(Tshark {}, options);

/// Parser of [`Tshark`].
#[derive(Debug)]
pub struct TsharkParser {
    ttl: Arc<Regex>,
    hop_limit: Arc<Regex>,
    captured: Arc<Regex>,
    result: BTreeMap<String, Value>,
}

impl Parser for TsharkParser {
    type Output = BTreeMap<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let (c, last) = match (self.ttl.captures(line), self.hop_limit.captures(line)) {
            (Some(c), _) => (c, "ttl"),
            (None, Some(c)) => (c, "hop_limit"),
            (None, None) => {
                if let Some(c) = self.captured.captures(line) {
                    self.result.insert("packets_captured".into(), c[1].into());
                }
                return Ok(());
            }
        };
        let mut packet = Map::new();
        for key in ["time", "src", "dst", "proto", "id", "seq"] {
            packet.insert(key.into(), c[key].trim().into());
        }
        packet.insert(last.into(), c["last"].into());
        self.result.insert(c["pckt"].to_owned(), Value::Object(packet));
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

/// Moler's packet line up to `seq=`, then `ttl=` or `hop limit=`.
fn packet(last: &str) -> Arc<Regex> {
    regex(&format!(
        r"\s+(?P<pckt>\d+)\s+(?P<time>\S+)\s+(?P<src>\S+)\s+[^A-Za-z0-9\s]\s+(?P<dst>\S+)\s+(?P<proto>.*)\s+id=(?P<id>\S+),\s+seq=(?P<seq>\S+),\s+{last}=(?P<last>\S+).*$"
    ))
}

unix_command!(Tshark, "tshark", TsharkParser,
    |s| TsharkParser {
        ttl: packet("ttl"),
        hop_limit: packet("hop limit"),
        // tshark says `1 packet captured` for one.
        captured: regex(r"^(\d+) packets? captured$"),
        result: BTreeMap::new(),
    },
    line: |s| {
        let mut line = "tshark".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"^tshark: \S").ret_required(false));
