//! `run_serial_proxy`: [`RunSerialProxy`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required};
use super::ssh::default_newline;
use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

/// `python -i moler_serial_proxy.py serial_devname`: starts Moler's serial proxy on a serial
/// port and ends at its prompt `serial_devname>` (a line end may follow it); result `{}`.
/// Should the proxy die into Python's interactive shell (`>>> `), it sends `exit()` there, and
/// the command fails when the shell's prompt is back; a traceback fails it too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSerialProxy {
    /// The serial device (`COM5`, `/dev/ttyUSB0`).
    pub serial_devname: String,
    /// The proxy's newline (default `\n`).
    #[serde(default = "default_newline")]
    pub target_newline: String,
}

impl RunSerialProxy {
    /// The proxy for `serial_devname`.
    pub fn new(serial_devname: impl Into<String>) -> Self {
        Self { serial_devname: serial_devname.into(), target_newline: default_newline() }
    }
}

/// Parser of [`RunSerialProxy`].
#[derive(Debug)]
pub struct RunSerialProxyParser {
    proxy_prompt: Arc<Regex>,
    python: Arc<Regex>,
    target_newline: String,
    exit_sent: bool,
    end: Option<End>,
}

impl RunSerialProxyParser {
    /// Python's prompt gets `exit()` (once); `true` when the line is it.
    fn python_prompt(&mut self, line: &str, cx: &mut Context<'_>) -> bool {
        if !self.python.is_match(line) {
            return false;
        }
        if !self.exit_sent {
            cx.send(&format!("exit(){}", self.target_newline));
            self.exit_sent = true;
        }
        true
    }
}

impl Parser for RunSerialProxyParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, _: bool, cx: &mut Context<'_>) -> ParseResult {
        if !self.python_prompt(line, cx) && self.end.is_none() && self.proxy_prompt.is_match(line) {
            self.end = Some(End::Done);
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, cx: &mut Context<'_>) -> bool {
        if self.python_prompt(line, cx) {
            return false;
        }
        if self.exit_sent && !self.proxy_prompt.is_match(line) {
            // Back at the shell: the proxy is not running.
            self.end = Some(End::Failed(format!(
                "the proxy stopped in Python's shell, left with exit(); back at {:?}",
                line.trim()
            )));
            return false;
        }
        true
    }
    fn ended(&self) -> Option<End> {
        self.end.clone()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for RunSerialProxy {
    const NAME: &'static str = "run_serial_proxy";
    type Parser = RunSerialProxyParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let dev = required("serial_devname", &self.serial_devname)?.trim();
        Ok(format!("python -i moler_serial_proxy.py {dev}"))
    }
    fn parser(&self) -> RunSerialProxyParser {
        RunSerialProxyParser {
            proxy_prompt: regex(&format!("{}>", regex::escape(self.serial_devname.trim()))),
            python: regex(r">>>\s"),
            target_newline: self.target_newline.clone(),
            exit_sent: false,
            end: None,
        }
    }
    fn setup(&self, command: Command<RunSerialProxyParser>) -> Command<RunSerialProxyParser> {
        command.failure("(?i)traceback").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn python_s_shell_gets_exit_and_the_command_fails_at_the_shell() {
        let mut conn = Connection::new("t");
        let cmd = RunSerialProxy::new("COM5").command_with_prompt(r"^\$ $");
        let done = conn.start(cmd, Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"python -i moler_serial_proxy.py COM5\r\nTraceback (most recent call last):\r\n>>> ",
            Instant::now(),
        );
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"exit()\n");
        conn.handle_input(b"exit()\r\n$ ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("Traceback"), "{err}");
    }
}
