//! `sshkeygen`: [`Sshkeygen`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::yes;
use super::parse::{flag, regex};
use crate::spec::{push_opt, Empty, UnixCommand};
use crate::ParamError;

fn default_file() -> String {
    "/home/ute/.ssh/id_rsa".to_owned()
}

/// `ssh-keygen [options]`, answering its questions: the file (`file`, default Moler's
/// `/home/ute/.ssh/id_rsa`), whether to overwrite it (`overwrite`, default yes: `y`, else
/// `n`, which ends ssh-keygen leaving the old key) and the passphrase, twice (`passphrase`,
/// default empty). Result `{}`.
///
/// ```
/// use moler_commands::{unix::Sshkeygen, UnixCommand};
///
/// let keygen = Sshkeygen::new("/tmp/k").options("-t ed25519").overwrite(false);
/// assert_eq!(keygen.command_line().unwrap(), "ssh-keygen -t ed25519");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sshkeygen {
    /// `-t rsa -b 4096`…
    pub options: Option<String>,
    /// The key file, the answer to `Enter file in which to save the key`.
    #[serde(default = "default_file")]
    pub file: String,
    /// The passphrase (empty: none).
    #[serde(default)]
    pub passphrase: String,
    /// Overwrite an existing key file (Moler also takes the text `"True"`).
    #[serde(default = "yes", deserialize_with = "flag")]
    pub overwrite: bool,
}

impl Default for Sshkeygen {
    fn default() -> Self {
        Self { options: None, file: default_file(), passphrase: String::new(), overwrite: true }
    }
}

impl Sshkeygen {
    /// A key saved in `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Self { file: file.into(), ..Self::default() }
    }
    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }
    /// Sets the passphrase.
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = passphrase.into();
        self
    }
    /// Whether to overwrite an existing key file.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }
}

/// Parser of [`Sshkeygen`]: answers each question once per question line.
#[derive(Debug)]
pub struct SshkeygenParser {
    file_question: Arc<Regex>,
    overwrite_question: Arc<Regex>,
    passphrase_question: Arc<Regex>,
    file: String,
    overwrite: bool,
    passphrase: String,
    file_sent: bool,
    overwrite_sent: bool,
    /// The line under way got its answer.
    answered: bool,
}

impl Parser for SshkeygenParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !self.answered {
            if !self.file_sent && self.file_question.is_match(line) {
                cx.sendline(&self.file);
                (self.file_sent, self.answered) = (true, true);
            } else if !self.overwrite_sent && self.overwrite_question.is_match(line) {
                cx.sendline(if self.overwrite { "y" } else { "n" });
                (self.overwrite_sent, self.answered) = (true, true);
            } else if self.passphrase_question.is_match(line) {
                cx.send_secret(&self.passphrase);
                let newline = cx.newline().to_owned();
                cx.send(&newline);
                self.answered = true;
            }
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

impl UnixCommand for Sshkeygen {
    const NAME: &'static str = "sshkeygen";
    type Parser = SshkeygenParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ssh-keygen".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> SshkeygenParser {
        SshkeygenParser {
            file_question: regex(r"Enter file in which to save the key \(.*\):"),
            overwrite_question: regex(r"Overwrite \(y/n\)\?"),
            passphrase_question: regex(
                r"Enter passphrase \(empty for no passphrase\):|Enter same passphrase again:",
            ),
            file: self.file.clone(),
            overwrite: self.overwrite,
            passphrase: self.passphrase.clone(),
            file_sent: false,
            overwrite_sent: false,
            answered: false,
        }
    }
    fn setup(&self, command: Command<SshkeygenParser>) -> Command<SshkeygenParser> {
        command.ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn each_question_gets_its_answer_once() {
        let mut conn = Connection::new("t");
        let cmd = Sshkeygen::new("/tmp/k").passphrase("pw").command_with_prompt(r"^\$ $");
        let done = conn.start(cmd, Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        let mut sent = Vec::new();
        let mut feed = |text: &str, conn: &mut Connection| {
            conn.handle_input(text.as_bytes(), Instant::now());
            sent.clear();
            let _ = conn.poll_transmit(&mut sent);
            String::from_utf8(sent.clone()).unwrap()
        };
        assert_eq!(
            feed("ssh-keygen\nEnter file in which to save the key (/r/.ssh/id_rsa): ", &mut conn),
            "/tmp/k\n"
        );
        assert_eq!(feed("\n/tmp/k already exists.\nOverwrite (y/n)? ", &mut conn), "y\n");
        assert_eq!(feed("\nEnter passphrase (empty for no passphrase): ", &mut conn), "pw\n");
        assert_eq!(feed("", &mut conn), "", "answered once");
        assert_eq!(feed("\nEnter same passphrase again: ", &mut conn), "pw\n");
        assert_eq!(feed("\nYour identification has been saved in /tmp/k\n$ ", &mut conn), "");
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn ssh_keygen_s_own_lines_get_nothing_and_n_keeps_the_old_key() {
        let mut conn = Connection::new("t");
        let keygen = Sshkeygen::new("/tmp/k").options("-t ed25519").overwrite(false);
        let done = conn.start(keygen.command_with_prompt(r"^\$ $"), Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"ssh-keygen -t ed25519\n");
        let mut feed = |text: &str| {
            conn.handle_input(text.as_bytes(), Instant::now());
            sent.clear();
            let _ = conn.poll_transmit(&mut sent);
            String::from_utf8(sent.clone()).unwrap()
        };
        assert_eq!(
            feed("ssh-keygen -t ed25519\nGenerating public/private ed25519 key pair.\n"),
            ""
        );
        assert_eq!(feed("Enter file in which to save the key (/r/.ssh/id_ed25519): "), "/tmp/k\n");
        assert_eq!(feed("\n/tmp/k already exists.\nOverwrite (y/n)? "), "n\n");
        assert_eq!(feed("\n$ "), "");
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn moler_s_default_file() {
        let keygen: Sshkeygen = serde_json::from_str("{}").unwrap();
        assert_eq!(keygen.file, "/home/ute/.ssh/id_rsa");
        assert!(keygen.overwrite);
        assert_eq!(Sshkeygen::default().file, keygen.file);
    }
}
