//! `du`: [`Du`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, size_in_bytes};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `du [options]`; result `{path: {"size_raw", "size_bytes"}}` (plain sizes are KiB blocks).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Du {
    /// `-h`, `-sk *`…
    pub options: Option<String>,
}
builder!(Du {}, options);

/// One path of [`Du`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuEntry {
    /// The size as printed.
    pub size_raw: String,
    /// The size in bytes.
    pub size_bytes: u64,
}

/// Parser of [`Du`].
#[derive(Debug, Default)]
pub struct DuParser {
    result: BTreeMap<String, DuEntry>,
    unit: u64,
}

impl Parser for DuParser {
    type Output = BTreeMap<String, DuEntry>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let Some((size, path)) = line.split_once(['\t', ' ']) else {
            return Ok(());
        };
        let path = path.trim();
        if let (Some(bytes), false) = (size_in_bytes(size, self.unit), path.is_empty()) {
            let entry = DuEntry { size_raw: size.to_owned(), size_bytes: bytes };
            self.result.insert(path.to_owned(), entry);
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

impl UnixCommand for Du {
    const NAME: &'static str = "du";
    type Parser = DuParser;
    type Output = BTreeMap<String, DuEntry>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "du".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> DuParser {
        let bytes = self.options.as_deref().is_some_and(|o| o.contains("-b"));
        DuParser { result: BTreeMap::new(), unit: if bytes { 1 } else { 1024 } }
    }
    fn setup(&self, command: Command<DuParser>) -> Command<DuParser> {
        own_errors(command, "du")
    }
}
