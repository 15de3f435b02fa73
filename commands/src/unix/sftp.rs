//! `sftp`: [`Sftp`], its parameters, its result and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::yes;
use super::parse::{regex, required, Deferred};
use crate::spec::UnixCommand;
use crate::ParamError;

/// `sftp [options] [user@]host[:source_path] [destination_path]`: fetches a file, or (with
/// `command`) logs in, runs one sftp command at the `sftp>` prompt and leaves with `exit`.
/// Answers the host-key question (`confirm_connection`: `yes`, else `no`) and the password.
/// Result: the transfer lines and the command's output (`{"RESULT": [...]}`); `{}` when there
/// were none, which ends the command only with `no_result`. Its timeout is 60 s by default.
///
/// ```
/// use moler_commands::{unix::Sftp, UnixCommand};
///
/// let get = Sftp::new("10.0.0.2", "secret").user("fred").source_path("cat").destination_path("/tmp/cat");
/// assert_eq!(get.command_line().unwrap(), "sftp fred@10.0.0.2:cat /tmp/cat");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sftp {
    /// The server.
    pub host: String,
    /// The password.
    pub password: String,
    /// The login.
    pub user: Option<String>,
    /// Answer the host-key question `yes` (default) or `no`.
    #[serde(default = "yes")]
    pub confirm_connection: bool,
    /// The file to fetch.
    pub source_path: Option<String>,
    /// Where to put it.
    pub destination_path: Option<String>,
    /// `-P 2222`, `-o …`.
    pub options: Option<String>,
    /// An sftp command to run at the `sftp>` prompt (`put a.txt`, `ls`).
    pub command: Option<String>,
    /// The command prints nothing worth waiting for: the prompt ends it without a result.
    #[serde(default)]
    pub no_result: bool,
}

impl Sftp {
    /// sftp to `host` with `password`.
    pub fn new(host: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            password: password.into(),
            confirm_connection: true,
            ..Self::default()
        }
    }
    /// Sets `user`.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Sets `source_path`.
    pub fn source_path(mut self, path: impl Into<String>) -> Self {
        self.source_path = Some(path.into());
        self
    }
    /// Sets `destination_path`.
    pub fn destination_path(mut self, path: impl Into<String>) -> Self {
        self.destination_path = Some(path.into());
        self
    }
    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }
    /// Sets the sftp `command`.
    pub fn command_at_prompt(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }
    /// Sets `no_result`.
    pub fn no_result(mut self, on: bool) -> Self {
        self.no_result = on;
        self
    }
    /// Whether to answer `yes` to the host-key question.
    pub fn confirm_connection(mut self, on: bool) -> Self {
        self.confirm_connection = on;
        self
    }
}

/// Result of [`Sftp`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftpResult {
    /// The transfer lines (`Fetching …`, `Uploading …`, the 100% lines) and the output of
    /// `command`; absent when there were none.
    #[serde(rename = "RESULT", skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Vec<String>>,
}

#[derive(Debug)]
struct SftpRegexes {
    confirm: Arc<Regex>,
    password: Arc<Regex>,
    prompt: Arc<Regex>,
    command_sent: Option<Arc<Regex>>,
    connected: Arc<Regex>,
    fetching: Arc<Regex>,
    progress: Arc<Regex>,
    success: Arc<Regex>,
    try_again: Arc<Regex>,
    authentication: Arc<Regex>,
    help: Arc<Regex>,
    errors: Arc<Regex>,
}

/// Parser of [`Sftp`]: Moler's states; each question answered once per question line.
#[derive(Debug)]
pub struct SftpParser {
    re: SftpRegexes,
    password: String,
    confirm_connection: bool,
    command: Option<String>,
    no_result: bool,
    ready: bool,
    confirmed: bool,
    password_sent: bool,
    sending_started: bool,
    command_entered: bool,
    command_sent: bool,
    exit_sent: bool,
    answered: bool,
    deferred: Deferred,
    result: SftpResult,
}

impl SftpParser {
    fn push(&mut self, line: &str) {
        self.result.result.get_or_insert_with(Vec::new).push(line.to_owned());
    }

    /// The questions and the `sftp>` prompt, answered as soon as they show.
    fn answer(&mut self, line: &str, cx: &mut Context<'_>) {
        if self.answered {
            return;
        }
        if !self.confirmed && self.re.confirm.is_match(line) {
            cx.sendline(if self.confirm_connection { "yes" } else { "no" });
            (self.confirmed, self.answered) = (true, true);
        } else if !self.password_sent && self.re.password.is_match(line) {
            cx.send_secret(&self.password);
            let newline = cx.newline().to_owned();
            cx.send(&newline);
            (self.password_sent, self.answered) = (true, true);
        } else if self.re.prompt.is_match(line) {
            if !self.command_entered {
                cx.sendline(self.command.as_deref().unwrap_or(""));
                (self.command_entered, self.answered) = (true, true);
            } else if self.command_sent && !self.exit_sent {
                cx.sendline("exit");
                (self.exit_sent, self.answered) = (true, true);
            }
        }
    }

    fn whole(&mut self, line: &str) {
        let re = &self.re;
        if self.command_entered && re.command_sent.as_ref().is_some_and(|r| r.is_match(line)) {
            self.command_sent = true;
            return;
        }
        let t = line.trim();
        // The echo of what was typed at `sftp>` can come on a line of its own (seen once, under
        // load: a bare `exit` after a put failed it as an error).
        let typed = Some(t) == self.command.as_deref() || (self.exit_sent && t == "exit");
        if t.is_empty() || typed || re.prompt.is_match(line) {
            return;
        }
        if re.connected.is_match(line) {
            self.ready = true;
            return;
        }
        if self.ready {
            if re.fetching.is_match(line) {
                self.sending_started = true;
                self.push(line);
                return;
            }
            if self.sending_started {
                if re.success.is_match(line) {
                    self.push(line);
                } else if !re.progress.is_match(line) {
                    self.deferred.fail(format!("ERROR: {line}"));
                }
                return;
            }
        }
        if re.try_again.is_match(line) {
            self.password_sent = false;
            return;
        }
        if let Some(c) = re.authentication.captures(line) {
            self.deferred.fail(format!("ERROR: {}", &c[0]));
            return;
        }
        if re.help.is_match(line) {
            self.deferred.fail("ERROR: invalid command syntax");
            return;
        }
        if re.errors.is_match(line) {
            self.deferred.fail(format!("ERROR: {line}"));
            return;
        }
        if self.ready && self.command_sent {
            self.push(line);
        }
    }
}

impl Parser for SftpParser {
    type Output = SftpResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.answer(line, cx);
        if !partial {
            self.whole(line);
            self.answered = false;
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.result.is_some() || (self.no_result && self.command_sent)
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // `sftp>` is sftp's, not the shell's (the generic prompt takes it too).
        let sftp = self.re.prompt.is_match(line);
        self.deferred.at_prompt(!sftp)
    }
    fn ended(&self) -> Option<End> {
        self.deferred.ended()
    }
    fn finish(&mut self) -> ParseResult<SftpResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Sftp {
    const NAME: &'static str = "sftp";
    type Parser = SftpParser;
    type Output = SftpResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let host = required("host", &self.host)?.trim();
        let mut line = "sftp".to_owned();
        crate::spec::push_opt(&mut line, self.options.as_deref());
        match self.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(user) => line.push_str(&format!(" {user}@{host}")),
            None => line.push_str(&format!(" {host}")),
        }
        if let Some(source) = self.source_path.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            line.push_str(&format!(":{source}"));
        }
        crate::spec::push_opt(&mut line, self.destination_path.as_deref());
        Ok(line)
    }
    fn parser(&self) -> SftpParser {
        let command = self.command.as_deref().map(str::trim).map(str::to_owned);
        let command_sent =
            command.as_deref().map(|c| regex(&format!("(?i)^sftp> {}", regex::escape(c))));
        SftpParser {
            re: SftpRegexes {
                confirm: regex(
                    r"(?i)Are\syou\ssure\syou\swant\sto\scontinue\sconnecting\s\(yes/no(?:/\[fingerprint\])?\)\?",
                ),
                password: regex(r"(?i).*\spassword:"),
                prompt: regex(r"(?i)^sftp>"),
                command_sent,
                connected: regex(r"(?i)Connected\sto\s.+"),
                fetching: regex(r"(?i)Fetching\s.*|Uploading\s.*"),
                progress: regex(r"(?i).+\s+\d{1,2}%\s+\d+(\w+)?\s+.+/s\s+((\d+:\d+)|(--:--))\sETA"),
                success: regex(r"(?i).+\s+100%\s+\d+(\w+)?\s+.+/s\s+\d+:\d+"),
                try_again: regex(r"(?i)Permission\sdenied,\splease\stry\sagain"),
                authentication: regex(r"(?i)Authentication\sfailed.*|.*Permission\sdenied.*"),
                help: regex(r"(?i)usage:\ssftp\s.*"),
                errors: regex(
                    r"(?i)File.*not\sfound.*|.*No\ssuch\sfile\sor\sdirectory.*|Couldn't\sread\spacket:\sConnection\sreset\sby\speer|(unknown|invalid)\soption\s.*|ssh:.+|Host\skey\sverification\sfailed",
                ),
            },
            password: self.password.clone(),
            confirm_connection: self.confirm_connection,
            command,
            no_result: self.no_result,
            ready: false,
            confirmed: false,
            password_sent: false,
            sending_started: false,
            command_entered: false,
            command_sent: false,
            exit_sent: false,
            answered: false,
            deferred: Deferred::default(),
            result: SftpResult::default(),
        }
    }
    fn setup(&self, command: Command<SftpParser>) -> Command<SftpParser> {
        // Failures are the parser's, Moler's list: a file not found is one only where sftp
        // says so, not in a transfer line.
        command.no_default_failures()
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sent;
    use moler_core::Connection;
    use std::time::Instant;

    /// A command typed at `sftp>`, then `exit`, each echoed on a line of its own after the
    /// prompt's: neither is taken for sftp's output or an error.
    #[test]
    fn what_was_typed_at_the_sftp_prompt_echoed_alone_is_no_error() {
        let put = Sftp::new("h", "pw").user("u").command_at_prompt("put a");
        let mut conn = Connection::new("t");
        let t = Instant::now();
        let done = conn.start(put.command_with_prompt(r"^\$ $"), t);
        assert_eq!(sent(&mut conn), "sftp u@h\n");
        conn.handle_input(b"sftp u@h\r\nu@h's password: ", t);
        assert_eq!(sent(&mut conn), "pw\n");
        conn.handle_input(b"\r\nConnected to h.\r\nsftp> ", t);
        assert_eq!(sent(&mut conn), "put a\n");
        let upload = "a                                  100%    6    14.3KB/s   00:00    ";
        let output =
            format!("put a\r\nsftp> put a\r\nUploading a to /home/u/a\r\n{upload}\r\nsftp> ");
        conn.handle_input(output.as_bytes(), t);
        assert_eq!(sent(&mut conn), "exit\n");
        // The prompt's line ended by a carriage return, the echo on a line of its own.
        conn.handle_input(b"\rexit\r\n$ ", t);
        let result = done.try_result().expect("the shell's prompt ends it").unwrap();
        assert_eq!(result.result.unwrap(), ["Uploading a to /home/u/a", upload]);
    }

    #[test]
    fn the_builders_set_what_they_name() {
        let get = Sftp::new("h", "pw")
            .user("u")
            .options("-P 2222")
            .source_path("/r/a")
            .destination_path("/tmp/a")
            .no_result(true)
            .confirm_connection(false);
        assert_eq!(get.command_line().unwrap(), "sftp -P 2222 u@h:/r/a /tmp/a");
        assert!(get.no_result);
        assert!(!get.confirm_connection);
        assert!(Sftp::new("h", "pw").confirm_connection, "yes by default, as Moler");
        assert_eq!(
            get.default_timeout(),
            Duration::from_secs(60),
            "Moler's: a transfer takes time"
        );
    }

    #[test]
    fn each_question_is_answered_once_and_the_host_key_as_configured() {
        for confirm in [true, false] {
            let get = Sftp::new("h", "pw").source_path("a").confirm_connection(confirm);
            let mut conn = Connection::new("t");
            let t = Instant::now();
            let _done = conn.start(get.command_with_prompt(r"^\$ $"), t);
            let _ = sent(&mut conn);
            let ask = "Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
            conn.handle_input(format!("sftp h:a\r\n{ask}").as_bytes(), t);
            assert_eq!(sent(&mut conn), if confirm { "yes\n" } else { "no\n" });
            conn.handle_input(format!("yes\r\n{ask}").as_bytes(), t);
            assert_eq!(sent(&mut conn), "", "asked once");
            conn.handle_input(b"\r\nu@h's password: ", t);
            assert_eq!(sent(&mut conn), "pw\n");
            conn.handle_input(b"\r\nu@h's password: ", t);
            assert_eq!(sent(&mut conn), "", "not again without a 'please try again'");
        }
    }

    /// Starts `sftp` with `prompt` as the shell's, past the password, to `sftp>` (or, for a
    /// fetch, `Connected to h.`).
    fn connected(sftp: Sftp, prompt: &str) -> (Connection, moler_core::Completion<SftpResult>) {
        let mut conn = Connection::new("t");
        let t = Instant::now();
        let done = conn.start(sftp.command_with_prompt(prompt), t);
        let line = sent(&mut conn);
        conn.handle_input(format!("{}\r\nu@h's password: ", line.trim_end()).as_bytes(), t);
        assert_eq!(sent(&mut conn), "pw\n");
        conn.handle_input(b"\r\nConnected to h.\r\n", t);
        (conn, done)
    }

    #[test]
    fn a_fetch_s_progress_is_no_error_and_another_line_is() {
        let t = Instant::now();
        let get = || Sftp::new("h", "pw").source_path("a").destination_path("/tmp/a");
        let (mut conn, done) = connected(get(), r"^\$ $");
        let done_line = "/r/a              100%  10MB  50.0MB/s   00:00";
        let out = format!(
            "Fetching /r/a to /tmp/a\r\n/r/a               45%  4608KB  4.5MB/s   00:01 ETA\r\n{done_line}\r\n$ "
        );
        conn.handle_input(out.as_bytes(), t);
        let r = done.try_result().unwrap().unwrap();
        assert_eq!(r.result.unwrap(), ["Fetching /r/a to /tmp/a", done_line]);

        let (mut conn, done) = connected(get(), r"^\$ $");
        conn.handle_input(b"Fetching /r/a to /tmp/a\r\nwrite: disk full\r\n$ ", t);
        let err = done.try_result().expect("the prompt ends a failure").unwrap_err();
        assert!(err.to_string().contains("ERROR: write: disk full"), "{err}");
    }

    #[test]
    fn only_the_command_s_output_is_its_result() {
        // A banner after `Connected to` is no output of `ls`; its listing is. `sftp>` does not
        // end it even where the shell's prompt regex takes it (`>` at the end).
        let t = Instant::now();
        let ls = Sftp::new("h", "pw").command_at_prompt("ls");
        let (mut conn, done) = connected(ls, r"[$>]\s*$");
        conn.handle_input(b"Welcome to the archive\r\nsftp> ", t);
        assert_eq!(sent(&mut conn), "ls\n");
        conn.handle_input(b"ls\r\nsftp> ls\r\na.txt  b.txt\r\nsftp> ", t);
        assert_eq!(sent(&mut conn), "exit\n");
        assert!(done.try_result().is_none(), "sftp's prompt is not the shell's");
        conn.handle_input(b"exit\r\n$ ", t);
        assert_eq!(done.try_result().unwrap().unwrap().result.unwrap(), ["a.txt  b.txt"]);
    }

    #[test]
    fn nothing_to_show_ends_it_only_with_no_result() {
        let t = Instant::now();
        for no_result in [false, true] {
            let mkdir = Sftp::new("h", "pw").command_at_prompt("mkdir d").no_result(no_result);
            let (mut conn, done) = connected(mkdir, r"^\$ $");
            conn.handle_input(b"sftp> ", t);
            assert_eq!(sent(&mut conn), "mkdir d\n");
            conn.handle_input(b"mkdir d\r\nsftp> mkdir d\r\nsftp> ", t);
            assert_eq!(sent(&mut conn), "exit\n");
            conn.handle_input(b"exit\r\n$ ", t);
            match done.try_result() {
                Some(r) => assert!(no_result && r.unwrap().result.is_none()),
                None => assert!(!no_result, "no_result: the prompt ends it"),
            }
        }
        // The shell's prompt before the command went out is no end either.
        let (mut conn, done) =
            connected(Sftp::new("h", "pw").command_at_prompt("mkdir d").no_result(true), r"^\$ $");
        conn.handle_input(b"Connection closed\r\n$ ", t);
        assert!(done.try_result().is_none());
        drop(conn);
    }
}
