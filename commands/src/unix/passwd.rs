//! `passwd`: [`Passwd`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, yes};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `passwd [options] [user]`; answers `Current password:` with `current_password` and `New
/// password:`/`Retype new password:` with `new_password`. Result (Moler's shape) `{"LINES":
/// [lines], "PASSWORD_CHANGED": bool}`. A password too short, too simple or empty, or a
/// `passwd: … error`, fails it (an Enter answers each question passwd still asks, to leave it).
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
    failures: [(Arc<Regex>, &'static str); 4],
    failure: Option<ParseError>,
    /// After a failure: the line under way got its Enter.
    entered: bool,
    result: PasswdResult,
}

impl Parser for PasswdParser {
    type Output = PasswdResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.result.lines.push(line.to_owned());
        }
        if self.failure.is_some() {
            // Leaving passwd: one Enter at each of its questions (a line ending in `:`), as it
            // asks them, until it gives up and the prompt returns. No more: an Enter typed ahead
            // answers the next question, and those left over when passwd is gone are empty
            // commands for the shell.
            if !self.entered && line.trim_end().ends_with(':') {
                cx.sendline("");
                self.entered = true;
            }
            if !partial {
                self.entered = false;
            }
            return Ok(());
        }
        for (re, why) in &self.failures {
            if re.is_match(line) {
                self.failure = Some(ParseError::at_line(line, *why));
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
                // Asked again for it, and `new_password` already typed: it can only fail.
                (regex(r"No password has been supplied"), "no new password was given"),
            ],
            failure: None,
            entered: false,
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
        assert_eq!(answer(&mut conn, "\r\nBad: new password is too simple\r\n"), "");
        assert_eq!(answer(&mut conn, "Retype new password: "), "\n", "Enter, not the password");
        answer(&mut conn, "\r\npasswd: Authentication token manipulation error\r\n$ ");
        let err = done.try_result().unwrap().unwrap_err();
        assert!(err.to_string().contains("too simple"), "{err}");
    }

    #[test]
    fn a_refused_password_leaves_passwd_with_one_enter_a_question() {
        // Debian's passwd (pam_unix) as a user given a password too short: it asks again until
        // it gives up. Each question gets one Enter, whether it comes alone or after a line,
        // and its line completed by the Enter's echo gets none: with one more, Enters would run
        // ahead of the questions and be left to the shell.
        let mut conn = Connection::new("passwd");
        let cmd = Passwd::new().current_password("Old-Pass-123").new_password("abc");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), Instant::now());
        answer(&mut conn, "");
        let script = [
            ("passwd\r\nChanging password for pwtest.\r\nCurrent password: ", "Old-Pass-123\n"),
            ("\r\nNew password: ", "abc\n"),
            ("\r\nRetype new password: ", "abc\n"),
            ("\r\nYou must choose a longer password.\r\nNew password: ", "\n"),
            ("\r\nRetype new pass", ""),
            ("word: ", "\n"),
            ("\r\nNo password has been supplied.\r\nNew password: ", "\n"),
            ("\r\nRetype new password: ", "\n"),
            ("\r\nNo password has been supplied.\r\n", ""),
            (
                "passwd: Authentication token manipulation error\r\npasswd: password unchanged\r\n",
                "",
            ),
        ];
        for (output, answered) in script {
            assert_eq!(answer(&mut conn, output), answered, "after {output:?}");
        }
        assert!(done.try_result().is_none(), "until the prompt");
        assert_eq!(answer(&mut conn, "$ "), "");
        let err = done.try_result().unwrap().unwrap_err();
        assert!(err.to_string().contains("new password is too short"), "{err}");
    }

    #[test]
    fn an_empty_new_password_fails_it() {
        // None given: passwd asks again after the empty one, and nothing else would answer.
        let mut conn = Connection::new("passwd");
        let done = conn.start(Passwd::new().command_with_prompt(r"^\$ $"), Instant::now());
        answer(&mut conn, "");
        assert_eq!(answer(&mut conn, "passwd\r\nNew password: "), "\n");
        assert_eq!(answer(&mut conn, "\r\nRetype new password: "), "\n");
        let refused = "\r\nNo password has been supplied.\r\nNew password: ";
        assert_eq!(answer(&mut conn, refused), "\n", "an Enter to leave");
        answer(&mut conn, "\r\npasswd: Authentication token manipulation error\r\n$ ");
        let err = done.try_result().unwrap().unwrap_err();
        assert!(err.to_string().contains("no new password was given"), "{err}");
    }

    #[test]
    fn a_changed_password_is_reported_with_its_lines() {
        let mut conn = Connection::new("passwd");
        let cmd = Passwd::new().user("u").options("-q").new_password("N3w-Pass!");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), Instant::now());
        assert_eq!(answer(&mut conn, ""), "passwd -q u\n");
        assert_eq!(answer(&mut conn, "passwd -q u\r\nNew password: "), "N3w-Pass!\n");
        assert_eq!(answer(&mut conn, "\r\nRetype new password: "), "N3w-Pass!\n");
        answer(&mut conn, "\r\npasswd: password updated successfully\r\n$ ");
        let r = done.try_result().unwrap().unwrap();
        assert!(r.password_changed);
        assert_eq!(
            r.lines.last().map(String::as_str),
            Some("passwd: password updated successfully")
        );
    }
}
