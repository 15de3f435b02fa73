//! `bzip2`: [`Bzip2`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, Words};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `bzip2 [options] files`; result `{"files": [...]}`: the files `-v` reports (absent when it
/// reports none).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bzip2 {
    /// The files: one string as it is (`"*.bz2"`) or a list.
    pub files: Words,
    /// `-z`, `-d`, `-k`, `-v`…
    pub options: Option<String>,
}
builder!(Bzip2 { files: Words }, options);

/// Result of [`Bzip2`] (and of `unrar`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesResult {
    /// The files the tool reported, in order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub files: Option<Vec<String>>,
}

/// Collects the first group of every line `file` matches into [`FilesResult`].
#[derive(Debug)]
pub struct FilesParser {
    file: Arc<Regex>,
    result: FilesResult,
}

impl FilesParser {
    pub(crate) fn new(file: &str) -> Self {
        Self { file: regex(file), result: FilesResult::default() }
    }
}

impl Parser for FilesParser {
    type Output = FilesResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            if let Some(c) = self.file.captures(line) {
                self.result.files.get_or_insert_with(Vec::new).push(c[1].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<FilesResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Bzip2, "bzip2", FilesParser,
    |s| FilesParser::new(r"(\S+|\S.*\S)\s*:\s*(?:done|no data compressed|\d+)"),
    line: |s| {
        let mut line = "bzip2".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, Some(&s.files.joined()));
        Ok(line)
    },
    setup: |c| c
        .failure(r"Can't open input file|No such file or directory|already has\s+\.bz2 suffix")
        .ret_required(false));
