//! `wget`: [`Wget`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `wget options` (the options hold the URLs); result (Moler's shape) `{"RESULT": [lines of
/// saved files: "2012-10-02 11:28:38 (58.9 KB/s) - name"]}`, with `log_progress_bar` also
/// `"PROGRESS_LOG": [progress bar lines]`. `wget: …`, a failed connection and an HTTP error
/// (`ERROR 404: …`, which Moler lets pass) fail it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wget {
    /// Options and URLs.
    pub options: String,
    /// Keep the progress bar lines.
    #[serde(default)]
    pub log_progress_bar: bool,
}
builder!(Wget { options: String });

impl Wget {
    /// Sets `log_progress_bar`.
    pub fn log_progress_bar(mut self, on: bool) -> Self {
        self.log_progress_bar = on;
        self
    }
}

/// Result of [`Wget`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WgetResult {
    /// One line per file saved.
    #[serde(rename = "RESULT")]
    pub result: Vec<String>,
    /// The progress bar lines, with `log_progress_bar`.
    #[serde(rename = "PROGRESS_LOG", default, skip_serializing_if = "Option::is_none")]
    pub progress_log: Option<Vec<String>>,
}

/// Parser of [`Wget`].
#[derive(Debug)]
pub struct WgetParser {
    progress: Option<Arc<Regex>>,
    saved: Arc<Regex>,
    result: WgetResult,
}

impl Parser for WgetParser {
    type Output = WgetResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(m) = self.progress.as_ref().and_then(|r| r.find(line)) {
            if let Some(log) = self.result.progress_log.as_mut() {
                log.push(m.as_str().to_owned());
            }
        } else if let Some(m) = self.saved.find(line) {
            self.result.result.push(m.as_str().to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<WgetResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Wget {
    const NAME: &'static str = "wget";
    type Parser = WgetParser;
    type Output = WgetResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("wget {}", required("options", &self.options)?.trim()))
    }
    fn parser(&self) -> WgetParser {
        WgetParser {
            progress: self.log_progress_bar.then(|| regex(r"(?i)\d{1,3}%\s?\[\s*[=+>]*\s*\].+")),
            saved: regex(r"(?i)\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}\s\(\d+.\d+\s\w{2}/s\)\s-\s.*"),
            result: WgetResult {
                progress_log: self.log_progress_bar.then(Vec::new),
                ..WgetResult::default()
            },
        }
    }
    fn setup(&self, command: Command<WgetParser>) -> Command<WgetParser> {
        // An HTTP error (`ERROR 404: Not Found.`) fails it too; Moler's patterns miss it.
        command.failure(r"(?i)Connecting\sto\s.*\sfailed:|wget:\s|\sERROR \d{3}: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn an_http_error_fails_it() {
        // Moler returns `{"RESULT": []}` here, as if nothing went wrong.
        let out = "wget http://h/x\n--2026-11-30 08:20:00--  http://h/x\nHTTP request sent, \
                   awaiting response... 404 File not found\n2026-11-30 08:20:00 ERROR 404: File not \
                   found.\n\n$ ";
        let got = offline::parse_capture(
            Wget::new("http://h/x").command_with_prompt(r"^\$ $"),
            out.as_bytes(),
        );
        assert!(got.unwrap_err().to_string().contains("ERROR 404"));
    }
}
