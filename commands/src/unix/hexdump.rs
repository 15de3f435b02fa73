//! `hexdump`: [`Hexdump`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{ResultLines, Words};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `hexdump [options] files…`; result `{"RESULT": [words]}`: the data words of every line in
/// order, without the offsets (Moler drops the first line's offset only and keeps the others
/// among the data, ending with the length). `-C`'s text column (`|Aga.|`) is split into words
/// too, as in Moler.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hexdump {
    /// The files: a list (or one string).
    pub files: Words,
    /// `-b`, `-c`, `-x`…
    pub options: Option<String>,
}
builder!(Hexdump { files: Words }, options);

/// Parser of [`Hexdump`].
#[derive(Debug, Default)]
pub struct HexdumpParser(ResultLines);

impl Parser for HexdumpParser {
    type Output = ResultLines;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            // Every line starts with its offset; the last holds only the length.
            self.0.result.extend(line.split_whitespace().skip(1).map(str::to_owned));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<ResultLines> {
        Ok(std::mem::take(&mut self.0))
    }
}

unix_command!(Hexdump, "hexdump", HexdumpParser, |s| HexdumpParser::default(),
    line: |s| {
        let mut line = "hexdump".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, Some(&s.files.joined()));
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)hexdump:\s").ret_required(false));
