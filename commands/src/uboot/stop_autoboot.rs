//! `uboot.stop_autoboot`: [`StopAutoboot`] and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::UBOOT_PROMPT;
use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

/// What U-Boot prints while it counts down to booting by itself.
const AUTOBOOT: &str = r"Hit any key to stop autoboot|Press SPACE to abort autoboot";

/// Stops a board's autoboot at U-Boot's prompt: sends `command` (say `reboot`, from Linux) or
/// else an Enter (which also stops a countdown already running), sends `key` each time the
/// countdown line (`autoboot_regex`) shows, and ends at `expected_prompt` (U-Boot's, `^=> `
/// unless given). Result `{}`. Default timeout 120 s (a reboot is slow).
///
/// ```
/// use moler_commands::uboot::StopAutoboot;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("console");
/// let stop = conn.start(StopAutoboot::new().command(), Instant::now());
/// let mut sent = Vec::new();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"\n", "an Enter to start with");
/// conn.handle_input(b"U-Boot 2023.04\r\nHit any key to stop autoboot:  3 ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b" ", "the key");
/// conn.handle_input(b"\r\n=> ", Instant::now());
/// assert!(stop.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopAutoboot {
    /// Sent first (`reboot`); default: an Enter.
    pub command: Option<String>,
    /// The countdown line (default: U-Boot's `Hit any key to stop autoboot`, or `Press SPACE
    /// to abort autoboot`).
    pub autoboot_regex: Option<String>,
    /// What stops it (default a space, sent without a newline).
    pub key: Option<String>,
    /// U-Boot's prompt (default `^=> `).
    pub expected_prompt: Option<String>,
    /// The newline of U-Boot's console (a device's hop parameter).
    pub target_newline: Option<String>,
}

impl StopAutoboot {
    /// The command with its defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `command`.
    pub fn with_command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    fn autoboot(&self) -> &str {
        self.autoboot_regex.as_deref().unwrap_or(AUTOBOOT)
    }
}

/// Parser of [`StopAutoboot`]: the key at each countdown line.
#[derive(Debug)]
pub struct StopAutobootParser {
    autoboot: Arc<Regex>,
    key: String,
    /// The countdown line being answered (a partial line grows as it counts).
    answered: bool,
}

impl Parser for StopAutobootParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !self.answered && self.autoboot.is_match(line) {
            cx.send(&self.key);
            self.answered = true;
        }
        if !partial {
            self.answered = false;
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for StopAutoboot {
    const NAME: &'static str = "stop_autoboot";
    type Parser = StopAutobootParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        ParamError::regex("autoboot_regex", self.autoboot())?;
        if let Some(p) = &self.expected_prompt {
            ParamError::regex("expected_prompt", p)?;
        }
        let command = self.command.as_deref().unwrap_or("");
        if command.contains(['\r', '\n']) {
            return Err(ParamError::value("command", format!("must be one line, not {command:?}")));
        }
        Ok(command.to_owned())
    }
    fn parser(&self) -> StopAutobootParser {
        StopAutobootParser {
            autoboot: ParamError::regex("autoboot_regex", self.autoboot())
                .unwrap_or_else(|_| moler_core::cached_regex(AUTOBOOT).expect("valid")),
            key: self.key.clone().unwrap_or_else(|| " ".to_owned()),
            answered: false,
        }
    }
    fn setup(&self, command: Command<StopAutobootParser>) -> Command<StopAutobootParser> {
        command.no_default_failures().ret_required(false).expect_echo(false)
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(120)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(self.expected_prompt.as_deref().unwrap_or(UBOOT_PROMPT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sent;
    use moler_core::Connection;
    use std::time::Instant;

    /// The key goes once per countdown line, however often the line grows while it counts;
    /// a countdown line of a later boot gets it again; only U-Boot's prompt ends it.
    #[test]
    fn the_key_goes_once_per_countdown_line() {
        let mut conn = Connection::new("console");
        let t = Instant::now();
        let stop = conn.start(StopAutoboot::new().with_command("reboot").command(), t);
        assert_eq!(sent(&mut conn), "reboot\n");
        conn.handle_input(b"reboot\r\n[  OK  ] Reached target Reboot.\r\n", t);
        assert_eq!(sent(&mut conn), "", "no countdown yet");
        conn.handle_input(b"U-Boot 2023.04\r\nHit any key to stop autoboot:  3 ", t);
        assert_eq!(sent(&mut conn), " ");
        conn.handle_input(b"\x08\x08\x08 2 ", t);
        assert_eq!(sent(&mut conn), "", "the same line, answered");
        conn.handle_input(b"\r\nrebooting\r\nPress SPACE to abort autoboot in 2 seconds\r\n", t);
        assert_eq!(sent(&mut conn), " ", "a new countdown line");
        conn.handle_input(b"board => \r\n", t);
        assert!(stop.try_result().is_none(), "`=> ` at the start of the line only");
        conn.handle_input(b"=> ", t);
        assert!(stop.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_countdown_key_and_prompt_can_be_given() {
        let spec = StopAutoboot {
            autoboot_regex: Some(r"autoboot in \d+".into()),
            key: Some("\x03".into()),
            expected_prompt: Some(r"^U-Boot> $".into()),
            ..StopAutoboot::new()
        };
        let mut conn = Connection::new("console");
        let t = Instant::now();
        let stop = conn.start(spec.command(), t);
        assert_eq!(sent(&mut conn), "\n", "an Enter without a command");
        conn.handle_input(b"Hit any key to stop autoboot: 3\r\n", t);
        assert_eq!(sent(&mut conn), "", "not the countdown given");
        conn.handle_input(b"autoboot in 3 seconds\r\n=> ", t);
        assert_eq!(sent(&mut conn), "\x03");
        assert!(stop.try_result().is_none(), "not the prompt given");
        conn.handle_input(b"\r\nU-Boot> ", t);
        assert!(stop.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_command_is_one_line_and_a_reboot_has_two_minutes() {
        assert!(StopAutoboot::new().with_command("reboot\nrm -rf /").command_line().is_err());
        assert_eq!(
            StopAutoboot::new().with_command("reboot -f").command_line().unwrap(),
            "reboot -f"
        );
        assert_eq!(StopAutoboot::new().command_line().unwrap(), "");
        assert_eq!(StopAutoboot::new().default_timeout(), Duration::from_secs(120));
    }
}
