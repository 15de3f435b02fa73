//! `reboot`: [`Reboot`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `reboot`; ends without a prompt, when the connection reports it closed (`Connection to HOST
/// closed by remote host.`, `Connection closed by foreign host.`) or a console shows its login
/// question; result `{"RESULT": that line}` (Moler's shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reboot {}
builder!(Reboot {});

/// Result of [`Reboot`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootResult {
    /// The line that showed the reboot.
    #[serde(rename = "RESULT")]
    pub result: String,
}

/// Parser of [`Reboot`].
#[derive(Debug)]
pub struct RebootParser {
    closed: Arc<Regex>,
    login: Arc<Regex>,
    seen: Option<String>,
}

impl RebootParser {
    fn check(&mut self, line: &str, partial: bool) -> bool {
        if self.seen.is_none() {
            let found = if partial { self.login.find(line) } else { self.closed.find(line) };
            self.seen = found.map(|m| m.as_str().to_owned());
        }
        self.seen.is_some()
    }
}

impl Parser for RebootParser {
    type Output = RebootResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.check(line, partial);
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // A prompt regex that matches the closing line or the login question (a device config
        // may well say so) still ends it with a result: the prompt matched the whole line, so
        // neither is cut short even before its line end.
        if self.seen.is_none() {
            let found = self.closed.find(line).or_else(|| self.login.find(line));
            self.seen = found.map(|m| m.as_str().to_owned());
        }
        true
    }
    fn has_result(&self) -> bool {
        self.seen.is_some()
    }
    fn ended(&self) -> Option<End> {
        self.seen.as_ref().map(|_| End::Done)
    }
    fn finish(&mut self) -> ParseResult<RebootResult> {
        let result = self.seen.take().ok_or("the device did not go down")?;
        Ok(RebootResult { result })
    }
}

impl UnixCommand for Reboot {
    const NAME: &'static str = "reboot";
    type Parser = RebootParser;
    type Output = RebootResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("reboot".to_owned())
    }
    fn parser(&self) -> RebootParser {
        RebootParser {
            closed: regex(r"(?i)Connection\s+to\s+\S+\s+closed.*|Connection closed by .* host.*"),
            login: regex(r"(?i).*?login:\s+"),
            seen: None,
        }
    }
    fn setup(&self, command: Command<RebootParser>) -> Command<RebootParser> {
        command
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use moler_core::{Completion, Connection};

    use super::*;

    fn start(conn: &mut Connection, prompt: &str) -> Completion<RebootResult> {
        let done = conn.start(Reboot::new().command_with_prompt(prompt), Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"reboot\n");
        done
    }

    #[test]
    fn the_connection_closing_or_a_login_question_ends_it_without_a_prompt() {
        let mut conn = Connection::new("reboot");
        let done = start(&mut conn, r"^\$ $");
        conn.handle_input(b"reboot\r\nConnection to 10.0.0.2 closed by remote ", Instant::now());
        assert!(done.try_result().is_none(), "a closing line cut by a read");
        conn.handle_input(b"host.\r\n", Instant::now());
        let r = done.try_result().unwrap().unwrap();
        assert_eq!(r.result, "Connection to 10.0.0.2 closed by remote host.");

        let mut conn = Connection::new("reboot");
        let done = start(&mut conn, r"^\$ $");
        conn.handle_input(
            b"reboot\r\n[  OK  ] Reached target Reboot.\r\nhost login: ",
            Instant::now(),
        );
        assert_eq!(done.try_result().unwrap().unwrap().result, "host login: ");
    }

    #[test]
    fn the_prompt_back_is_no_end() {
        // systemd's reboot returns at once, and the shell shows its prompt before the
        // connection closes: only the closing ends it.
        let mut conn = Connection::new("reboot");
        let done = start(&mut conn, r"^\$ $");
        conn.handle_input(b"reboot\r\n$ ", Instant::now());
        assert!(done.try_result().is_none());
        conn.handle_input(b"\r\nConnection to h closed by remote host.\r\n", Instant::now());
        assert_eq!(
            done.try_result().unwrap().unwrap().result,
            "Connection to h closed by remote host."
        );
    }

    #[test]
    fn a_prompt_regex_matching_the_closing_line_still_gives_it() {
        let mut conn = Connection::new("reboot");
        let done = start(&mut conn, r"(?i)closed|login:");
        conn.handle_input(b"reboot\r\nConnection closed by foreign host.", Instant::now());
        let r = done.try_result().unwrap().unwrap();
        assert_eq!(r.result, "Connection closed by foreign host.");

        let mut conn = Connection::new("reboot");
        let done = start(&mut conn, r"(?i)closed|login:");
        conn.handle_input(b"reboot\r\nhost login: ", Instant::now());
        assert_eq!(done.try_result().unwrap().unwrap().result, "host login: ");
    }
}
