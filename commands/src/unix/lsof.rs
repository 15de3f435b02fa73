//! `lsof`: [`Lsof`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::words;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `lsof [options]`; result `{"VALUES": [row], "NUMBER": n}`: each row by the header's names
/// (`COMMAND`, `PID`, `USER`, `FD`, `TYPE`, `NAME`…), `null` where a column is empty, and the
/// number of rows (or the count a `| wc -l` prints).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lsof {
    /// `-i :22`, `-p 1`, `| wc -l`…
    pub options: Option<String>,
}
builder!(Lsof {}, options);

/// Result of [`Lsof`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LsofResult {
    /// The rows.
    #[serde(rename = "VALUES")]
    pub values: Vec<BTreeMap<String, Option<String>>>,
    /// How many rows, or the number printed alone on a line.
    #[serde(rename = "NUMBER")]
    pub number: u64,
}

/// Parser of [`Lsof`]: a value belongs to the column whose header it lies under (lsof leaves
/// columns empty, so words alone cannot say which is which).
#[derive(Debug, Default)]
pub struct LsofParser {
    /// Headers and where each starts.
    headers: Vec<(usize, String)>,
    result: LsofResult,
}

impl LsofParser {
    /// Whether a value starting at `at` lies under header `i`: where the header starts, or
    /// after the previous header's start and before this one's end (right-aligned numbers).
    fn under(&self, i: usize, at: usize) -> bool {
        let (start, name) = &self.headers[i];
        if *start == at {
            return true;
        }
        let after_previous = i == 0 || at > self.headers[i - 1].0;
        let before_end = i + 1 == self.headers.len() || at < start + name.len();
        after_previous && before_end
    }
}

impl Parser for LsofParser {
    type Output = LsofResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.contains("can't stat") || line.contains("may be incomplete") {
            return Ok(());
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            self.result.number = trimmed.parse()?;
            return Ok(());
        }
        if self.headers.is_empty() {
            self.headers = words(line).map(|(at, w)| (at, w.to_owned())).collect();
            return Ok(());
        }
        let values: Vec<(usize, &str)> = words(line).collect();
        if values.len() < 2 {
            return Ok(());
        }
        let last = self.headers.len() - 1;
        let mut row: BTreeMap<String, Option<String>> =
            self.headers.iter().map(|(_, h)| (h.clone(), None)).collect();
        let mut next = values.iter().peekable();
        for i in 0..self.headers.len() {
            let Some(&&(at, value)) = next.peek() else { break };
            if self.under(i, at) {
                // The name holds blanks (`/proc/1/cwd (readlink: Permission denied)`).
                let value = if i == last { line[at..].trim_end() } else { value };
                row.insert(self.headers[i].1.clone(), Some(value.to_owned()));
                next.next();
            }
        }
        self.result.values.push(row);
        self.result.number += 1;
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<LsofResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Lsof, "lsof", LsofParser, |s| LsofParser::default(),
    line: |s| {
        let mut line = "lsof".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    // lsof notes what it could not read in the name column; the row is still output.
    setup: |c| c.failure_exception(r"\((?:readlink|stat): "));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    fn rows(output: &str) -> Vec<BTreeMap<String, Option<String>>> {
        let output = format!("host:~ # lsof\n{output}host:~ # ");
        let lsof = Lsof::new().command_with_prompt("^host:~ # $");
        offline::parse(lsof, [output.as_bytes()]).unwrap().values
    }

    fn row(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned))).collect()
    }

    /// Empty columns (a process's `TID` and `TASKCMD`) stay empty: each value goes to the
    /// column it lies under, numbers right-aligned to their header's end, text from its start.
    #[test]
    fn values_go_to_the_columns_they_lie_under() {
        let got = rows(
            "COMMAND     PID   TID TASKCMD   USER   FD      TYPE DEVICE SIZE/OFF NODE NAME\n\
             systemd       1                 root  cwd       DIR  253,0     4096    2 /\n\
             rs:main     660   700 in:imuxs  root    3u     IPv4  18231      0t0  TCP *:22 (LISTEN)\n",
        );
        let none = None;
        assert_eq!(
            got[0],
            row(&[
                ("COMMAND", Some("systemd")),
                ("PID", Some("1")),
                ("TID", none),
                ("TASKCMD", none),
                ("USER", Some("root")),
                ("FD", Some("cwd")),
                ("TYPE", Some("DIR")),
                ("DEVICE", Some("253,0")),
                ("SIZE/OFF", Some("4096")),
                ("NODE", Some("2")),
                ("NAME", Some("/")),
            ])
        );
        assert_eq!(got[1]["TID"].as_deref(), Some("700"));
        assert_eq!(got[1]["TASKCMD"].as_deref(), Some("in:imuxs"));
        assert_eq!(got[1]["NAME"].as_deref(), Some("*:22 (LISTEN)"));
        assert_eq!(got[1]["NODE"].as_deref(), Some("TCP"));
    }

    /// A value that starts right where a header ends is not that header's (a right-aligned
    /// number ends there, it does not start there): it is the next column's.
    #[test]
    fn a_value_starting_at_a_headers_end_is_the_next_columns() {
        let got =
            rows("COMMAND   PID USER   FD\nbash        1 root  cwd\nbash         12 root  cwd\n");
        assert_eq!(got[0]["PID"].as_deref(), Some("1"));
        assert_eq!(got[1]["PID"], None);
        assert_eq!(got[1]["USER"].as_deref(), Some("12"));
    }

    /// A row has at least two values; a lone word is no row, and the number of rows counts
    /// only rows.
    #[test]
    fn a_row_has_two_values_at_least() {
        let output = "host:~ # lsof\nCOMMAND   PID USER\nbash        1\ntruncated\nhost:~ # ";
        let lsof = Lsof::new().command_with_prompt("^host:~ # $");
        let result = offline::parse(lsof, [output.as_bytes()]).unwrap();
        assert_eq!(result.number, 1);
        assert_eq!(
            result.values,
            [row(&[("COMMAND", Some("bash")), ("PID", Some("1")), ("USER", None)])]
        );
    }
}
