//! `grep`: [`Grep`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, regex, required};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `grep options` (pattern and files included: `-nH PREROUTING /etc/iptables/rules.v4`);
/// result `{"LINES": [...]}`, each a `{PATH?, NUMBER?, BYTES?, LINE}` mapping when grep printed
/// a file name (`-H`), a line number (`-n`) or a byte offset (`-b`), else the line itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grep {
    /// Everything after `grep`.
    pub options: String,
}
builder!(Grep { options: String });

/// Result of [`Grep`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrepResult {
    /// The matches, in order.
    #[serde(rename = "LINES")]
    pub lines: Vec<GrepLine>,
}

/// One line of grep's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrepLine {
    /// A line with a prefix (file, line number, byte offset).
    Match(GrepMatch),
    /// A bare line.
    Text(String),
}

/// A matching line with grep's prefixes (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrepMatch {
    /// The file (`-H`); Moler recognises absolute paths only.
    #[serde(rename = "PATH", skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// The line number (`-n`), as printed.
    #[serde(rename = "NUMBER", skip_serializing_if = "Option::is_none", default)]
    pub number: Option<String>,
    /// The byte offset (`-b`), as printed.
    #[serde(rename = "BYTES", skip_serializing_if = "Option::is_none", default)]
    pub bytes: Option<String>,
    /// The text of the line.
    #[serde(rename = "LINE")]
    pub line: String,
}

/// Parser of [`Grep`].
#[derive(Debug)]
pub struct GrepParser {
    prefixed: Arc<Regex>,
    result: GrepResult,
}

impl Parser for GrepParser {
    type Output = GrepResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let entry = match self.prefixed.captures(line) {
            Some(c) if c.name("path").is_some() || c.name("num").is_some() => {
                GrepLine::Match(GrepMatch {
                    path: c.name("path").map(|m| m.as_str().to_owned()),
                    number: c.name("num").map(|m| m.as_str().to_owned()),
                    bytes: c.name("bytes").map(|m| m.as_str().to_owned()),
                    line: c["line"].to_owned(),
                })
            }
            _ => GrepLine::Text(line.to_owned()),
        };
        self.result.lines.push(entry);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<GrepResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Grep {
    const NAME: &'static str = "grep";
    type Parser = GrepParser;
    type Output = GrepResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("grep {}", required("options", &self.options)?))
    }
    fn parser(&self) -> GrepParser {
        // Moler's order of preference: path:number:bytes, path:number, path, number:bytes,
        // number. The path is an absolute one without blanks.
        GrepParser {
            prefixed: regex(
                r"^(?:(?P<path>/\S+?):)?(?:(?P<num>\d+):(?:(?P<bytes>\d+):)?)?(?P<line>.*)$",
            ),
            result: GrepResult::default(),
        }
    }
    fn setup(&self, command: Command<GrepParser>) -> Command<GrepParser> {
        own_errors(command, "grep").ret_required(false)
    }
}
