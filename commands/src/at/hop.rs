//! The dialog of the commands that open a serial line from a shell (`cu`, `plink_serial`):
//! they end on the line's own prompt, and fail on the tool's complaints or on the shell's
//! prompt coming back.

use std::sync::Arc;

use moler_core::{Context, End, ParseResult, Parser, DEFAULT_PROMPT};
use regex::Regex;

use super::generic::regex;
use crate::{Empty, ParamError};

/// `value`, checked to be a serial port's name (`5`, `COM5`, `ttyUSB0`, `usb-modem.1`; with
/// `paths`, also `/dev/ttyUSB0`): it goes into a shell command line, so nothing the shell would
/// read as more than a word.
pub(crate) fn port_name<'a>(
    name: &str,
    value: &'a str,
    paths: bool,
) -> Result<&'a str, ParamError> {
    let value = super::generic::required_value(name, value)?;
    let allowed = if paths { "-_.:/" } else { "-_.:" };
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || allowed.contains(c));
    if plain && !value.starts_with('-') {
        Ok(value)
    } else {
        let why =
            format!("must be a serial port's name (letters, digits, `{allowed}`), not {value:?}");
        Err(ParamError::value(name, why))
    }
}

/// Moler's unix failure causes (`genericunix.cmd_failure_causes`), as alternatives of a regex
/// literal (the hops search them in any case).
macro_rules! unix_failures {
    () => {
        "not found|No such file or directory|running it may require superuser privileges|\
         Cannot find device|Input/output error"
    };
}
pub(crate) use unix_failures;

/// Parser of [`Cu`](super::Cu) and [`PlinkSerial`](super::PlinkSerial).
///
/// Verified, never assumed: the prompt of the shell the command started from (when known)
/// coming back fails it, checked on every line before the line's prompt; a complaint of the
/// tool (`failures`) fails it once that shell prompt (or, unknown, the generic one) is back, so
/// the shell stays usable.
#[derive(Debug)]
pub struct SerialHopParser {
    /// The shell's prompt, when known.
    start: Option<Arc<Regex>>,
    failures: Arc<Regex>,
    failure: Option<String>,
    last_line: Option<String>,
    back_home: bool,
}

impl SerialHopParser {
    /// A hop from a shell whose prompt is `start` (`None`: unknown), failing on lines that
    /// `failures` (a regex of the family) finds.
    pub(crate) fn new(start: Option<&str>, failures: &str) -> Self {
        let start =
            start.map(|s| moler_core::cached_regex(s).unwrap_or_else(|_| regex(&regex::escape(s))));
        Self { start, failures: regex(failures), failure: None, last_line: None, back_home: false }
    }

    /// Whether `line` shows the shell the command started from: then the command has failed.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.back_home {
            return true;
        }
        let shows =
            |r: &Regex| r.is_match(line) || line.strip_prefix("^C").is_some_and(|l| r.is_match(l));
        let start = match (&self.start, &self.failure) {
            (Some(s), _) => shows(s),
            // Unknown: after a failure, the generic prompt is taken for it.
            (None, Some(_)) => shows(&regex(DEFAULT_PROMPT)),
            (None, None) => false,
        };
        if start {
            let prompt = line.trim();
            let why = match (&self.failure, &self.last_line) {
                (Some(f), _) => f.clone(),
                (None, Some(last)) => format!("{last} (back at the start prompt {prompt:?})"),
                (None, None) => format!("back at the start prompt {prompt:?} with no output"),
            };
            self.failure = Some(why);
            self.back_home = true;
        }
        self.back_home
    }
}

impl Parser for SerialHopParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if self.back_at_start(line) || partial {
            return Ok(());
        }
        if self.failure.is_none() && self.failures.is_match(line) {
            self.failure = Some(format!("found error regex in line '{}'", line.trim()));
        }
        if !line.trim().is_empty() {
            self.last_line = Some(line.trim().to_owned());
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // The shell's prompt first; after a complaint, only the shell's prompt ends it.
        !self.back_at_start(line) && self.failure.is_none()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
    fn ended(&self) -> Option<End> {
        self.back_home.then(|| End::Failed(self.failure.clone().unwrap_or_default()))
    }
}
