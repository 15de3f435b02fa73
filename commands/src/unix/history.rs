//! `history`: [`History`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `history`; result `{number: command}` (Moler's shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {}
builder!(History {});

/// Parser of [`History`].
#[derive(Debug)]
pub struct HistoryParser {
    entry: Arc<Regex>,
    result: BTreeMap<u64, String>,
}

impl Parser for HistoryParser {
    type Output = BTreeMap<u64, String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            // Anchored at the start, unlike Moler's search, which takes `2 files` from a
            // wrapped `ls -l | tee 2 files` line for entry 2.
            if let Some(c) = self.entry.captures(line) {
                if let Ok(n) = c[1].parse() {
                    self.result.insert(n, c[2].to_owned());
                }
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.is_empty()
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // `    9  cd ~` ends in `~`, so the generic prompt takes it for a prompt; a numbered
        // line is an entry (Moler parses it before it looks for the prompt).
        !self.entry.is_match(line)
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for History {
    const NAME: &'static str = "history";
    type Parser = HistoryParser;
    type Output = BTreeMap<u64, String>;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("history".to_owned())
    }
    fn parser(&self) -> HistoryParser {
        HistoryParser { entry: regex(r"^\s*(\d+)\s+(.+)"), result: BTreeMap::new() }
    }
    fn setup(&self, command: Command<HistoryParser>) -> Command<HistoryParser> {
        command.ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_number_inside_a_line_is_not_an_entry() {
        // Moler searches anywhere, so this wrapped line would become entry 2 `files`.
        let out = "history\n    1  ls -l | tee\n out 2 files\n$ ";
        let got =
            offline::parse_capture(History::new().command_with_prompt(r"^\$ $"), out.as_bytes());
        let got = got.unwrap();
        assert_eq!(got, BTreeMap::from([(1, "ls -l | tee".to_owned())]));
    }
}
