//! `passwd`: [`Passwd`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `passwd [options] [user]`; answers `Current password:` with `current_password` and `New
/// password:`/`Retype new password:` with `new_password`. Result (Moler's shape) `{"LINES":
/// [lines], "PASSWORD_CHANGED": bool}`. A password too short or too simple, or a `passwd: …
/// error`, fails it (Enter is sent to leave passwd's questions).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passwd {
    /// The password now.
    pub current_password: Option<String>,
    /// The password to set.
    pub new_password: Option<String>,
    /// Whose password (default: one's own).
    pub user: Option<String>,
    /// `-S`, `-l`, `-d`…
    pub options: Option<String>,
    /// Hide the passwords in logs (always done; kept for Moler's configs).
    #[serde(default = "yes")]
    pub encrypt_password: bool,
}
builder!(Passwd {}, current_password, new_password, user, options);

fn yes() -> bool {
    true
}

/// Result of [`Passwd`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswdResult {
    /// The output lines.
    #[serde(rename = "LINES")]
    pub lines: Vec<String>,
    /// `passwd: password updated successfully` was seen.
    #[serde(rename = "PASSWORD_CHANGED")]
    pub password_changed: bool,
}

/// Parser of [`Passwd`].
#[derive(Debug)]
pub struct PasswdParser {
    current_password: String,
    new_password: String,
    questions: [Arc<Regex>; 3],
    answered: [bool; 3],
    failures: [(Arc<Regex>, &'static str); 3],
    failure: Option<ParseError>,
    result: PasswdResult,
}

impl Parser for PasswdParser {
    type Output = PasswdResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.result.lines.push(line.to_owned());
        }
        if self.failure.is_some() {
            // Leaving passwd: Enter at each of its questions until the prompt returns.
            if !partial || line.trim_end().ends_with(':') {
                cx.sendline("");
            }
            return Ok(());
        }
        for (re, why) in &self.failures {
            if re.is_match(line) {
                self.failure = Some(ParseError::at_line(line, *why));
                cx.sendline("");
                return Ok(());
            }
        }
        if line.contains("passwd: password updated successfully") {
            self.result.password_changed = true;
            return Ok(());
        }
        for i in 0..3 {
            if !self.answered[i] && self.questions[i].is_match(line) {
                self.answered[i] = true;
                let answer = if i == 0 { &self.current_password } else { &self.new_password };
                cx.send_secret(answer);
                let newline = cx.newline().to_owned();
                cx.send(&newline);
                return Ok(());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<PasswdResult> {
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut self.result)),
        }
    }
}

impl UnixCommand for Passwd {
    const NAME: &'static str = "passwd";
    type Parser = PasswdParser;
    type Output = PasswdResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "passwd".to_owned();
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.user.as_deref());
        Ok(line)
    }
    fn parser(&self) -> PasswdParser {
        PasswdParser {
            current_password: self.current_password.clone().unwrap_or_default(),
            new_password: self.new_password.clone().unwrap_or_default(),
            questions: [
                regex(r"Current .*password:"),
                regex(r"New .*password:"),
                regex(r"Retype .*new password:"),
            ],
            answered: [false; 3],
            failures: [
                (regex(r"You must choose a longer password"), "new password is too short"),
                (regex(r"Bad: new password is too simple"), "new password is too simple"),
                (regex(r"passwd: .* error"), "passwd failed"),
            ],
            failure: None,
            result: PasswdResult::default(),
        }
    }
    fn setup(&self, command: Command<PasswdParser>) -> Command<PasswdParser> {
        command
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use moler_core::Connection;

    use super::*;

    fn answer(conn: &mut Connection, input: &str) -> String {
        conn.handle_input(input.as_bytes(), Instant::now());
        let mut out = Vec::new();
        let _ = conn.poll_transmit(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_question_gets_its_password_and_a_weak_one_fails_it() {
        let mut conn = Connection::new("passwd");
        let cmd = Passwd::new().current_password("old").new_password("new");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), Instant::now());
        assert_eq!(answer(&mut conn, ""), "passwd\n");
        assert_eq!(answer(&mut conn, "passwd\r\nCurrent password: "), "old\n");
        assert_eq!(answer(&mut conn, "\r\nNew password: "), "new\n");
        assert_eq!(
            answer(&mut conn, "\r\nBad: new password is too simple\r\n"),
            "\n",
            "Enter to leave"
        );
        assert_eq!(answer(&mut conn, "Retype new password: "), "\n", "Enter, not the password");
        answer(&mut conn, "\r\npasswd: Authentication token manipulation error\r\n$ ");
        let err = done.try_result().unwrap().unwrap_err();
        assert!(err.to_string().contains("too simple"), "{err}");
    }
}
