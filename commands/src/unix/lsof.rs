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
