//! `socat`: [`Socat`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `socat [options] [input_options] [output_options]`; result (Moler's shape) `{"RESULT":
/// [output lines], "INFO": [socat's N/W/I/D messages], "FEATURES": {"defined": {name: value},
/// "undefined": [name]}}` (features from `socat -V`). socat's E and F messages fail it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Socat {
    /// The first address (`SYSTEM:date`, `-`, `TCP-LISTEN:8080`…).
    pub input_options: Option<String>,
    /// The second address.
    pub output_options: Option<String>,
    /// `-d -d`, `-V`, `-u`…
    pub options: Option<String>,
}
builder!(Socat {}, input_options, output_options, options);

/// Result of [`Socat`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocatResult {
    /// What the addresses printed.
    #[serde(rename = "RESULT")]
    pub result: Vec<String>,
    /// socat's notices, warnings, infos and debug messages (`W open(…): …`).
    #[serde(rename = "INFO")]
    pub info: Vec<String>,
    /// Compile-time features (`socat -V`).
    #[serde(rename = "FEATURES")]
    pub features: SocatFeatures,
}

/// The features `socat -V` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocatFeatures {
    /// `#define NAME VALUE`.
    pub defined: BTreeMap<String, String>,
    /// `#undef NAME`.
    pub undefined: Vec<String>,
}

/// Parser of [`Socat`].
#[derive(Debug)]
pub struct SocatParser {
    error: Arc<Regex>,
    info: Arc<Regex>,
    define: Arc<Regex>,
    undef: Arc<Regex>,
    result: SocatResult,
}

impl Parser for SocatParser {
    type Output = SocatResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if self.error.is_match(line) {
            return Err(ParseError::at_line(line, "socat reported an error"));
        }
        if line.contains("features:") {
            return Ok(());
        }
        if let Some(c) = self.info.captures(line) {
            self.result.info.push(c[1].to_owned());
        } else if let Some(c) = self.define.captures(line) {
            self.result.features.defined.insert(c[1].to_owned(), c[2].to_owned());
        } else if let Some(c) = self.undef.captures(line) {
            self.result.features.undefined.push(c[1].to_owned());
        } else {
            self.result.result.push(line.trim().to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<SocatResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Socat {
    const NAME: &'static str = "socat";
    type Parser = SocatParser;
    type Output = SocatResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "socat".to_owned();
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.input_options.as_deref());
        push_opt(&mut line, self.output_options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> SocatParser {
        SocatParser {
            error: regex(r".* socat\[\d*\]\s[EF]\s(.*)"),
            info: regex(r".* socat\[\d*\]\s([NWID].*)"),
            define: regex(r"#define\s+(.*_.*)\s+(\d+)"),
            undef: regex(r"#undef\s+(.*_.*)"),
            result: SocatResult::default(),
        }
    }
    fn setup(&self, command: Command<SocatParser>) -> Command<SocatParser> {
        // socat's own messages are judged by their level (`E`, `F`), not by their words: `W
        // open("/dev/tty"…): No such device or address` is a warning.
        command.no_default_failures().failure("command not found")
    }
}
