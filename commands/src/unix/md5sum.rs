//! `md5sum`: [`Md5sum`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `md5sum path [options]`; result `{"FILE": path, "SUM": hex}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Md5sum {
    /// The file.
    pub path: String,
    /// Options.
    pub options: Option<String>,
}
builder!(Md5sum { path: String }, options);

/// Result of [`Md5sum`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Md5sumResult {
    /// The file.
    #[serde(rename = "FILE")]
    pub file: String,
    /// The checksum.
    #[serde(rename = "SUM")]
    pub sum: String,
}

/// Parser of [`Md5sum`].
#[derive(Debug, Default)]
pub struct Md5sumParser(Option<Md5sumResult>);

impl Parser for Md5sumParser {
    type Output = Md5sumResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || self.0.is_some() {
            return Ok(());
        }
        if let Some((sum, file)) = line.split_once(char::is_whitespace) {
            if sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                let file = file.trim_start().trim_start_matches('*').to_owned();
                self.0 = Some(Md5sumResult { file, sum: sum.to_owned() });
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> ParseResult<Md5sumResult> {
        self.0.take().ok_or_else(|| "no checksum in the output".into())
    }
}

unix_command!(Md5sum, "md5sum", Md5sumParser, |s| Md5sumParser::default(), line: |s| {
    let mut line = format!("md5sum {}", required("path", &s.path)?);
    push_opt(&mut line, s.options.as_deref());
    Ok(line)
}, setup: |c| own_errors(c, "md5sum"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    /// The first checksum line is the result (`md5sum a b` prints two): 32 hexadecimal digits.
    #[test]
    fn the_first_checksum_is_the_result() {
        let output = "host:~ # md5sum a b\nbeef cafe\nd41d8cd98f00b204e9800998ecf8427e  a\n\
                      0cc175b9c0f1b6a831c399e269772661 *b\nhost:~ # ";
        let md5 = Md5sum::new("a b").command_with_prompt("^host:~ # $");
        let result = offline::parse(md5, [output.as_bytes()]).unwrap();
        assert_eq!(
            (result.sum.as_str(), result.file.as_str()),
            ("d41d8cd98f00b204e9800998ecf8427e", "a")
        );
        // No checksum: no result (Moler's `ret_required`).
        let md5 = Md5sum::new("a").command_with_prompt("^host:~ # $");
        let err =
            offline::parse(md5, [&b"host:~ # md5sum a\nbeef cafe\nhost:~ # "[..]]).unwrap_err();
        assert!(err.to_string().contains("the output gave the command no result"), "{err}");
    }
}
