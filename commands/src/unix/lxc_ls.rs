//! `lxc_ls`: [`LxcLs`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `lxc-ls [options]`: containers; result `{"RESULT": [...]}`: with `-f` (a table) one mapping
/// per container (`Name`, `State`, `Autostart`, `Groups`, `IPv4`, `IPv6`), else the names of each
/// line as a list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LxcLs {
    /// `-f`, `--nesting=3`…
    pub options: Option<String>,
}
builder!(LxcLs {}, options);

/// Result of [`LxcLs`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LxcLsResult {
    /// A mapping per table row, or a list of names per line.
    #[serde(rename = "RESULT")]
    pub result: Vec<Value>,
}

const HEADERS: [&str; 6] = ["Name", "State", "Autostart", "Groups", "IPv4", "IPv6"];

/// Parser of [`LxcLs`].
#[derive(Debug)]
pub struct LxcLsParser {
    headers: Arc<Regex>,
    /// A blank run not after a comma: the column separator (`10.1.1.1, 10.1.1.2` is one cell).
    separator: Arc<Regex>,
    table: bool,
    result: LxcLsResult,
}

impl LxcLsParser {
    /// The cells of a table row: split at blank runs that follow no comma.
    fn cells<'a>(&self, line: &'a str) -> Vec<&'a str> {
        let mut cells = Vec::new();
        let mut start = 0;
        for c in self.separator.captures_iter(line) {
            let (whole, kept) = (c.get(0).expect("group 0"), c.get(1).expect("one group"));
            cells.push(&line[start..kept.end()]);
            start = whole.end();
        }
        cells.push(&line[start..]);
        cells
    }
}

impl Parser for LxcLsParser {
    type Output = LxcLsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if self.headers.is_match(line) {
            self.table = true;
        } else if self.table {
            let row: Map<String, Value> = HEADERS
                .iter()
                .zip(self.cells(line))
                .map(|(h, v)| ((*h).to_owned(), Value::String(v.to_owned())))
                .collect();
            self.result.result.push(Value::Object(row));
        } else {
            let names = line.split_whitespace().map(|w| Value::String(w.to_owned())).collect();
            self.result.result.push(Value::Array(names));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<LxcLsResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(LxcLs, "lxc_ls", LxcLsParser,
    |s| LxcLsParser {
        headers: regex(r"(?i)NAME\s+STATE\s+AUTOSTART\s+GROUPS\s+IPV4\s+IPV6"),
        separator: regex(r"([^,])\s+"),
        table: false,
        result: LxcLsResult::default(),
    },
    line: |s| {
        let mut line = "lxc-ls".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)lxc-ls:\s+.+"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_table_row_keeps_comma_separated_addresses_in_one_cell() {
        let out = "lxc-ls -f\n\
            NAME STATE   AUTOSTART GROUPS IPV4                IPV6\n\
            c1   RUNNING 1         web    10.0.0.2, 10.0.0.3  -\n\
            c2   STOPPED 0         -      -                   -\n$ ";
        let cmd = LxcLs::new().options("-f").command_with_prompt(r"^\$ $");
        let r = offline::parse(cmd, [out.as_bytes()]).unwrap();
        assert_eq!(r.result[0]["IPv4"], "10.0.0.2, 10.0.0.3");
        assert_eq!(
            (r.result[0]["Groups"].as_str(), r.result[1]["State"].as_str()),
            (Some("web"), Some("STOPPED"))
        );
        let plain = offline::parse(
            LxcLs::new().command_with_prompt(r"^\$ $"),
            [b"lxc-ls\nc1  c2\n$ ".as_slice()],
        );
        assert_eq!(plain.unwrap().result, [serde_json::json!(["c1", "c2"])]);
    }
}
