//! `run_script`: [`RunScript`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{required, Pattern, Patterns};
use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

fn default_error() -> Option<Patterns> {
    Some(Patterns::One(Pattern::Compiled { regex: "error".into(), flags: 2 }))
}

/// Runs `script_command` as it is; result `{}`. A line matching one of `error_regex`
/// (default: `error`, any case; null: none) fails the command, and so does the prompt coming
/// back before every one of `success_regex` matched a line.
///
/// ```
/// use moler_commands::{offline, unix::RunScript, UnixCommand};
///
/// let run = RunScript::new("./deploy.sh").success_regex(vec!["copied", "started"]);
/// let out = "./deploy.sh\ncopied\n$ ";
/// let err = offline::parse(run.command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap_err();
/// assert!(err.to_string().contains("started"), "{err}");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunScript {
    /// The line that runs the script.
    pub script_command: String,
    /// What fails it (one regex or a list).
    #[serde(default = "default_error")]
    pub error_regex: Option<Patterns>,
    /// What must show before the prompt (one regex or a list).
    pub success_regex: Option<Patterns>,
}

impl RunScript {
    /// Runs `script_command`, failing on lines with `error`.
    pub fn new(script_command: impl Into<String>) -> Self {
        Self {
            script_command: script_command.into(),
            error_regex: default_error(),
            success_regex: None,
        }
    }
    /// The regexes every one of which must match a line (one, or a list).
    pub fn success_regex(mut self, patterns: impl Into<Patterns>) -> Self {
        self.success_regex = Some(patterns.into());
        self
    }
    /// The regexes that fail the command (`None`: nothing does but the shell's usual failures).
    pub fn error_regex(mut self, patterns: Option<Patterns>) -> Self {
        self.error_regex = patterns;
        self
    }
    fn compiled(patterns: &Option<Patterns>, name: &str) -> Result<Vec<Arc<Regex>>, ParamError> {
        let list = patterns.as_ref().map(Patterns::list).unwrap_or_default();
        list.into_iter().map(|p| p.compile(name)).collect()
    }
}

/// Parser of [`RunScript`]: the success regexes still waiting.
#[derive(Debug)]
pub struct RunScriptParser {
    waiting: Vec<Arc<Regex>>,
}

impl Parser for RunScriptParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> ParseResult {
        // Moler takes one regex off per line, the first that matches.
        if let Some(i) = self.waiting.iter().position(|r| r.is_match(line)) {
            self.waiting.remove(i);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        if self.waiting.is_empty() {
            return Ok(Empty {});
        }
        let left: Vec<&str> = self.waiting.iter().map(|r| r.as_str()).collect();
        Err(format!("not every success regex matched a line; left: {left:?}").into())
    }
}

impl UnixCommand for RunScript {
    const NAME: &'static str = "run_script";
    type Parser = RunScriptParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        Self::compiled(&self.error_regex, "error_regex")?;
        Self::compiled(&self.success_regex, "success_regex")?;
        Ok(required("script_command", &self.script_command)?.to_owned())
    }
    fn parser(&self) -> RunScriptParser {
        // A regex that does not compile fails the command at its start (`command_line`).
        RunScriptParser { waiting: Self::compiled(&self.success_regex, "").unwrap_or_default() }
    }
    fn setup(&self, command: Command<RunScriptParser>) -> Command<RunScriptParser> {
        let list = self.error_regex.as_ref().map(Patterns::list).unwrap_or_default();
        list.iter().fold(command.ret_required(false), |c, p| c.failure(&p.inline()))
    }
}

#[cfg(test)]
mod tests {
    use crate::offline;
    use serde_json::json;

    #[test]
    fn moler_s_compiled_patterns_and_a_bad_regex() {
        let registry = crate::Registry::default();
        let params = json!({"script_command": "./s.sh", "success_regex": [{"__regex__": "line 2", "flags": 2}], "error_regex": null});
        let cmd = registry.command_for_prompt("run_script", &params, Some(r"^\$ $")).unwrap();
        let r = offline::parse(cmd, [b"./s.sh\nERROR but ignored\nLINE 2\n$ ".as_slice()]);
        assert!(r.is_ok(), "ignore case from Python's flags; no error regex: {r:?}");
        let bad = json!({"script_command": "./s.sh", "success_regex": "("});
        let err = registry.command("run_script", &bad).err().expect("refused").to_string();
        assert!(err.contains("invalid success_regex regex"), "{err}");
    }
}
