//! `lxc_attach`: [`LxcAttach`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::dialog::Dialog;
use super::parse::{regex, required};
use crate::spec::{builder, push_opt, Empty, UnixCommand};
use crate::ParamError;

/// `lxc-attach --name=name [options]`: enters a container's shell, ending at
/// `expected_prompt` (default: the shell's prompt); result `{}`. Built for a shell with a known
/// prompt and another `expected_prompt`, it fails if the shell's prompt comes back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LxcAttach {
    /// The container.
    pub name: String,
    /// `--quiet`, `--clear-env`…
    pub options: Option<String>,
    /// The prompt inside the container.
    pub expected_prompt: Option<String>,
}
builder!(LxcAttach { name: String }, options, expected_prompt);

/// Parser of [`LxcAttach`].
#[derive(Debug)]
pub struct LxcAttachParser {
    dialog: Dialog,
    error: Arc<Regex>,
}

impl Parser for LxcAttachParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.dialog.back_at_start(line) {
            return Ok(());
        }
        if !partial {
            if let Some(m) = self.error.find(line) {
                self.dialog.fail(format!("ERROR: {}", m.as_str()));
            }
        }
        self.dialog.on_line(line, partial, cx);
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        if self.dialog.back_at_start(line) {
            return false;
        }
        if self.dialog.failure.is_some() {
            self.dialog.back_home = true;
            return false;
        }
        self.dialog.is_final(partial)
    }
    fn ended(&self) -> Option<End> {
        self.dialog.ended()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for LxcAttach {
    const NAME: &'static str = "lxc_attach";
    type Parser = LxcAttachParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if let Some(p) = &self.expected_prompt {
            ParamError::regex("expected_prompt", p)?;
        }
        let mut line = format!("lxc-attach --name={}", required("name", &self.name)?.trim());
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> LxcAttachParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> LxcAttachParser {
        let expected = self.end_prompt(shell_prompt).unwrap_or(moler_core::DEFAULT_PROMPT);
        let dialog = Dialog::new(&None, [expected, expected], shell_prompt, true, [&None, &None]);
        LxcAttachParser { dialog, error: regex(r"(?i)lxc-attach:\s+.+") }
    }
    fn setup(&self, command: Command<LxcAttachParser>) -> Command<LxcAttachParser> {
        command.ret_required(false)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn an_unknown_container_fails_back_at_the_shell() {
        let out = "h$ lxc-attach --name=nope\nlxc-attach: nope: attach.c: 1 - Failed to get init pid\nh$ ";
        let cmd = LxcAttach::new("nope").expected_prompt("^c# ").command_with_prompt(r"^h\$ $");
        let err = offline::parse(cmd, [out.as_bytes()]).unwrap_err().to_string();
        assert!(err.contains("ERROR: lxc-attach: nope"), "{err}");
    }
}
