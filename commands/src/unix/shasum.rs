//! `shasum`: [`Shasum`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required};
use crate::spec::{push_opt, unix_command, UnixCommand};

/// `cmd_kind [options] path` (`shasum`, or `sha256sum`…); result `{"SUM": sum, "FILE": file,
/// "FILES": {file: sum}}`: every file's checksum, and the last one's under `SUM`/`FILE`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shasum {
    /// The file(s): `test.txt`, `*.py`.
    pub path: String,
    /// `-a 256`…
    pub options: Option<String>,
    /// The tool (default `shasum`; `sha1sum`, `sha256sum`… print the same way).
    #[serde(default = "shasum")]
    pub cmd_kind: String,
}

fn shasum() -> String {
    "shasum".to_owned()
}

impl Shasum {
    /// `shasum path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), options: None, cmd_kind: shasum() }
    }
    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }
    /// Sets `cmd_kind`.
    pub fn cmd_kind(mut self, tool: impl Into<String>) -> Self {
        self.cmd_kind = tool.into();
        self
    }
}

/// Result of [`Shasum`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShasumResult {
    /// The last file's checksum.
    #[serde(rename = "SUM")]
    pub sum: String,
    /// The last file.
    #[serde(rename = "FILE")]
    pub file: String,
    /// Every file's checksum.
    #[serde(rename = "FILES")]
    pub files: BTreeMap<String, String>,
}

/// Parser of [`Shasum`].
#[derive(Debug)]
pub struct ShasumParser {
    line: Arc<Regex>,
    result: ShasumResult,
}

impl Parser for ShasumParser {
    type Output = ShasumResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.line.captures(line) {
            self.result.sum = c[1].to_owned();
            self.result.file = c[2].to_owned();
            self.result.files.insert(c[2].to_owned(), c[1].to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.files.is_empty()
    }
    fn finish(&mut self) -> ParseResult<ShasumResult> {
        if self.result.files.is_empty() {
            return Err("no checksum in the output".into());
        }
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Shasum, "shasum", ShasumParser,
// A checksum at the start of its line (Moler searches anywhere, so a word ending in a-f
// in an error message reads as one); a name with blanks is kept whole; `*` marks binary
// mode and `\` escaped names.
|s| ShasumParser { line: regex(r"^\\?([0-9a-f]{8,})\s+\*?(.*\S)"), result: ShasumResult::default() },
line: |s| {
    let mut line = required("cmd_kind", &s.cmd_kind)?.trim().to_owned();
    push_opt(&mut line, s.options.as_deref());
    Ok(format!("{line} {}", required("path", &s.path)?))
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_checksum_starts_its_line() {
        // Moler's search reads `e  or` in this line as checksum `e` of file `or`.
        let out = "shasum -c sums\nshasum: x: no properly formatted SHA checksum lines found or\n\
                   138114f10aa62da8ccd762b93f0f1f2b83a4c47c  my file.txt\n$ ";
        let cmd = Shasum::new("-c sums").command_with_prompt(r"^\$ $");
        let r = offline::parse(cmd, [out.as_bytes()]).unwrap();
        assert_eq!(r.files.len(), 1);
        assert_eq!(r.file, "my file.txt", "a name with blanks is kept whole");
    }
}
