//! `run_script`: [`RunScript`], its parameters and its parser.

use std::collections::VecDeque;
use std::sync::Arc;

use moler_core::{Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::generic::{at_command, required_value, PyRegex, PyRegexes};
use crate::{Empty, ParamError};

/// Sends `script_command` (any AT command line) and checks its output: a line matching an
/// `error_regex` (default `error`, any case) fails it; every `success_regex` must match some
/// line (the final `OK` included) or it fails when the modem has answered. Result `{}`.
///
/// Regexes may be one or a list, each a pattern or Moler's compiled form
/// (`{"__regex__": "ok", "flags": 34}` for `re.compile("ok", re.I)`); `error_regex: null`
/// checks for no error text.
///
/// ```
/// use moler_commands::at::RunScript;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("modem");
/// let run = RunScript::new("AT+CGDATA=\"M-RNDIS\",0,0").success_regex("CONNECT");
/// let done = conn.start(run.command(), Instant::now());
/// conn.handle_input(b"AT+CGDATA=\"M-RNDIS\",0,0\r\nOK\r\n", Instant::now());
/// let err = done.try_result().unwrap().unwrap_err();
/// assert!(err.to_string().contains("success regexes not found: CONNECT"), "{err}");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunScript {
    /// The line to send.
    pub script_command: String,
    /// What fails the command when a line shows it (default `error`, any case).
    #[serde(default = "default_error_regex")]
    pub error_regex: Option<PyRegexes>,
    /// What the output must show, each somewhere.
    #[serde(default)]
    pub success_regex: Option<PyRegexes>,
}

fn default_error_regex() -> Option<PyRegexes> {
    Some(PyRegexes::One(PyRegex::Compiled { pattern: "error".into(), flags: 2 }))
}

impl RunScript {
    /// Sends `script_command`, with the default `error_regex` and no `success_regex`.
    pub fn new(script_command: impl Into<String>) -> Self {
        Self {
            script_command: script_command.into(),
            error_regex: default_error_regex(),
            success_regex: None,
        }
    }

    /// Sets `error_regex` (one pattern).
    pub fn error_regex(mut self, pattern: &str) -> Self {
        self.error_regex = Some(pattern.into());
        self
    }

    /// Sets `success_regex` (one pattern).
    pub fn success_regex(mut self, pattern: &str) -> Self {
        self.success_regex = Some(pattern.into());
        self
    }

    fn regexes(&self) -> Result<[VecDeque<Arc<Regex>>; 2], ParamError> {
        let compile = |r: &Option<PyRegexes>, name| match r {
            None => Ok(VecDeque::new()),
            Some(r) => r.compile(name),
        };
        Ok([
            compile(&self.error_regex, "error_regex")?,
            compile(&self.success_regex, "success_regex")?,
        ])
    }
}

/// Parser of [`RunScript`].
#[derive(Debug, Default)]
pub struct RunScriptParser {
    errors: VecDeque<Arc<Regex>>,
    /// The success regexes not matched yet.
    successes: VecDeque<Arc<Regex>>,
    failure: Option<String>,
}

impl Parser for RunScriptParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || self.failure.is_some() {
            return Ok(());
        }
        if let Some(e) = self.errors.iter().find(|e| e.is_match(line)) {
            self.failure = Some(format!("found error regex '{}' in line '{line}'", e.as_str()));
        } else if let Some(i) = self.successes.iter().position(|s| s.is_match(line)) {
            // One per line, as Moler takes them.
            self.successes.remove(i);
        }
        Ok(())
    }
    fn on_prompt(&mut self, _: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // A whole prompt line was read already (the AT parser gives it first); a partial one
        // ends the command only when nothing is left to find (its whole line may be it).
        if partial || self.failure.is_some() {
            return self.failure.is_none() && self.successes.is_empty();
        }
        if !self.successes.is_empty() {
            let left: Vec<&str> = self.successes.iter().map(|s| s.as_str()).collect();
            self.failure = Some(format!("success regexes not found: {}", left.join(", ")));
        }
        self.failure.is_none()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
    fn ended(&self) -> Option<End> {
        self.failure.clone().map(End::Failed)
    }
}

at_command!(RunScript, "run_script", RunScriptParser, |s| {
    let [errors, successes] = s.regexes().unwrap_or_default();
    RunScriptParser { errors, successes, failure: None }
}, line: |l| {
    l.regexes()?;
    Ok(required_value("script_command", &l.script_command)?.to_owned())
}, setup: |c| c.ret_required(false));
