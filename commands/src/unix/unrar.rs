//! `unrar`: [`Unrar`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::bzip2::{FilesParser, FilesResult};
use super::parse::{required, Answering};
use crate::spec::{builder, unix_command, UnixCommand};

/// `unrar options archive_file`; result `{"files": [...]}`: the files extracted (absent when
/// none). Asked whether to replace a file, it answers `a` (all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unrar {
    /// `e`, `x`, `l`…
    pub options: String,
    /// The archive.
    pub archive_file: String,
}
builder!(Unrar { options: String, archive_file: String });

/// Parser of [`Unrar`] and of `7z`: answers the replace question, collects the files.
#[derive(Debug)]
pub struct ReplaceAllParser<P> {
    replace: Answering,
    files: P,
}

impl<P> ReplaceAllParser<P> {
    pub(crate) fn new(question: &str, files: P) -> Self {
        Self { replace: Answering::new(question, "a", false), files }
    }
}

impl<P: Parser> Parser for ReplaceAllParser<P> {
    type Output = P::Output;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.replace.answer(line, partial, cx) {
            return Ok(());
        }
        self.files.on_line(line, partial, cx)
    }
    fn finish(&mut self) -> ParseResult<P::Output> {
        self.files.finish()
    }
}

unix_command!(Unrar, "unrar", ReplaceAllParser<FilesParser>,
    |s| ReplaceAllParser::new(
        r"\[Y\]es, \[N\]o, \[A\]ll, n\[E\]ver, \[R\]ename, \[Q\]uit",
        FilesParser::new(r"Extracting\s+(\S+|\S.*\S)\s+OK"),
    ),
    line: |s| Ok(format!("unrar {} {}", required("options", &s.options)?, required("archive_file", &s.archive_file)?)),
    setup: |c| c
        .failure(r"Cannot open|No such file or directory|No files to extract")
        .ret_required(false));

/// The result type of [`Unrar`].
pub type UnrarResult = FilesResult;
