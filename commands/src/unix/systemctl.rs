//! `systemctl`: [`Systemctl`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::regex;
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

fn yes() -> bool {
    true
}

/// Parser of [`Systemctl`].
#[derive(Debug)]
pub struct SystemctlParser {
    password: Option<String>,
    password_sent: bool,
    header_found: bool,
    pager_answered: bool,
    password_question: Regex,
    authenticating_as: Regex,
    header: Regex,
    unit: Regex,
    pager: Regex,
    status: ServiceParser,
}

impl Parser for SystemctlParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        let done = self.handle(line, partial, cx);
        if done && !partial {
            self.pager_answered = false;
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.status.result))
    }
}

impl SystemctlParser {
    /// Moler's line kinds in Moler's order; `true` when one took the line.
    fn handle(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if self.password_question.is_match(line) {
            if !self.password_sent {
                self.password_sent = true;
                cx.send_secret(self.password.as_deref().unwrap_or_default());
                let newline = cx.newline().to_owned();
                cx.send(&newline);
            }
            return true;
        }
        if !partial {
            if let Some(c) = self.authenticating_as.captures(line) {
                self.status.result.insert("USER".into(), c[1].into());
                return true;
            }
            if self.header.is_match(line) {
                self.header_found = true;
                return true;
            }
            if self.header_found {
                if let Some(c) = self.unit.captures(line) {
                    let unit: Map<String, Value> = ["LOAD", "ACTIVE", "SUB", "DESCRIPTION"]
                        .iter()
                        .enumerate()
                        .map(|(i, k)| ((*k).to_owned(), c[i + 2].into()))
                        .collect();
                    self.status.result.insert(c[1].to_owned(), unit.into());
                    return true;
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
            return true;
        }
        if !partial {
            self.status.line(line);
        }
        false
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
