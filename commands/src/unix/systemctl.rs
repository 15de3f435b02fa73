//! `systemctl`: [`Systemctl`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, yes};
use super::service::ServiceParser;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `systemctl [options] [service]`; answers polkit's `Password:` with `password` and the pager
/// with space (`q` at its end). Result (Moler's shape): the unit list as `{unit: {"LOAD",
/// "ACTIVE", "SUB", "DESCRIPTION"}}`, a status as [`Service`](super::Service)'s, and
/// `{"USER": user}` after polkit's "Authenticating as".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Systemctl {
    /// `status`, `start`, `list-units --all`…
    pub options: Option<String>,
    /// The unit.
    pub service: Option<String>,
    /// The password for polkit's authentication, if it asks.
    pub password: Option<String>,
    /// Hide the password in logs (always done; kept for Moler's configs).
    #[serde(default = "yes")]
    pub encrypt_password: bool,
}
builder!(Systemctl {}, options, service, password);

/// Parser of [`Systemctl`].
#[derive(Debug)]
pub struct SystemctlParser {
    password: Option<String>,
    password_sent: bool,
    header_found: bool,
    pager_answered: bool,
    password_question: Arc<Regex>,
    authenticating_as: Arc<Regex>,
    header: Arc<Regex>,
    unit: Arc<Regex>,
    pager: Arc<Regex>,
    status: ServiceParser,
}

impl Parser for SystemctlParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.handle(line, partial, cx);
        // Each pager question gets one answer; a whole line means the output moved on. (Moler
        // re-arms only after a line one of its own patterns took, so a status shown through
        // the pager gets its first space and then hangs.)
        if !partial {
            self.pager_answered = false;
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.status.result))
    }
}

impl SystemctlParser {
    /// Moler's line kinds in Moler's order.
    fn handle(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        if self.password_question.is_match(line) {
            if !self.password_sent {
                self.password_sent = true;
                cx.send_secret(self.password.as_deref().unwrap_or_default());
                let newline = cx.newline().to_owned();
                cx.send(&newline);
            }
            return;
        }
        if !partial {
            if let Some(c) = self.authenticating_as.captures(line) {
                self.status.result.insert("USER".into(), c[1].into());
                return;
            }
            if self.header.is_match(line) {
                self.header_found = true;
                return;
            }
            if self.header_found {
                if let Some(c) = self.unit.captures(line) {
                    let unit: Map<String, Value> = ["LOAD", "ACTIVE", "SUB", "DESCRIPTION"]
                        .iter()
                        .enumerate()
                        .map(|(i, k)| ((*k).to_owned(), c[i + 2].into()))
                        .collect();
                    self.status.result.insert(c[1].to_owned(), unit.into());
                    return;
                }
            }
        }
        if !self.pager_answered && self.pager.is_match(line) {
            if line.contains("END") {
                cx.sendline("q");
            } else {
                cx.send(" ");
            }
            self.pager_answered = true;
            return;
        }
        if !partial {
            self.status.line(line);
        }
    }
}

impl UnixCommand for Systemctl {
    const NAME: &'static str = "systemctl";
    type Parser = SystemctlParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "systemctl".to_owned();
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.service.as_deref());
        Ok(line)
    }
    fn parser(&self) -> SystemctlParser {
        SystemctlParser {
            password: self.password.clone(),
            password_sent: false,
            header_found: false,
            pager_answered: false,
            password_question: regex(r"(?i)Password:"),
            authenticating_as: regex(r"(?i)Authenticating as: (\S+)"),
            header: regex(r"(?i)UNIT\s+LOAD\s+ACTIVE\s+SUB\s+DESCRIPTION"),
            unit: regex(r"(?i)^\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)"),
            pager: regex(r"^lines.+"),
            status: ServiceParser::default(),
        }
    }
    fn setup(&self, command: Command<SystemctlParser>) -> Command<SystemctlParser> {
        command
            .failure(
                r"^Failed to \w+|AUTHENTICATION FAILED|^Unknown command verb|^Unit \S+ not found",
            )
            .ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use moler_core::Connection;

    use super::*;

    #[test]
    fn polkit_gets_the_password_once_and_each_pager_question_an_answer() {
        let now = Instant::now();
        let mut conn = Connection::new("systemctl");
        let cmd = Systemctl::new().options("status").service("ssh").password("s3cret");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), now);
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"systemctl status ssh\n");
        let answer = |conn: &mut Connection, input: &str| {
            conn.handle_input(input.as_bytes(), now);
            let mut out = Vec::new();
            let _ = conn.poll_transmit(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(answer(&mut conn, "systemctl status ssh\r\nPassword: "), "s3cret\n");
        assert_eq!(answer(&mut conn, "\r\nPassword: "), "", "a password is sent once");
        let status =
            "\r\n\u{25cf} ssh.service - OpenBSD Secure Shell server\r\n   Active: active\r\n";
        assert_eq!(answer(&mut conn, status), "");
        assert_eq!(answer(&mut conn, "lines 1-3"), " ", "more to see");
        assert_eq!(answer(&mut conn, "\r\nlines 4-5/5 (END)"), "q\n", "at the end");
        answer(&mut conn, "\r\n$ ");
        let result = done.try_result().unwrap().unwrap();
        assert_eq!(result["Service"], "ssh.service");
        assert_eq!(result["Active"], "active");
    }
}
