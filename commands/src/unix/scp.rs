//! `scp`: [`Scp`], its parameters, its result and its parser.

use std::collections::VecDeque;
use std::sync::Arc;

use moler_core::{Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::dialog::Passwords;
use super::parse::yes;
use super::parse::{regex, required, Deferred};
use crate::spec::{push_opt, UnixCommand};
use crate::ParamError;

fn default_keygen() -> Option<String> {
    Some("keygen".to_owned())
}

/// `scp [options] source dest`, answering its questions as Moler does: passwords (in turn; the
/// last one again with `repeat_password`), `yes` to the host-key question, an empty line to
/// `id_dsa:`, and, when the host key changed, `ssh-keygen -R dest` or `rm -f` of the
/// known-hosts file ssh names (`known_hosts_on_failure`: `keygen` or `rm`) before trying
/// again. Result: the names of the files copied (`{"FILE_NAMES": [...]}`).
///
/// ```
/// use moler_commands::{offline, unix::Scp, UnixCommand};
///
/// let scp = Scp::new("a.txt", "u@h:/tmp").password("secret");
/// let out = "scp a.txt u@h:/tmp\nu@h's password: \na.txt    100%  104     0.1KB/s   00:00\n$ ";
/// let r = offline::parse(scp.command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap();
/// assert_eq!(r.file_names, ["a.txt"]);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scp {
    /// What to copy.
    pub source: String,
    /// Where to.
    pub dest: String,
    /// Password(s), in order of the questions.
    #[serde(default = "no_password")]
    pub password: Passwords,
    /// `-r`, `-P 2222`…
    #[serde(default)]
    pub options: String,
    /// `keygen` (default) or `rm`: how to drop a changed host key; null: fail.
    #[serde(default = "default_keygen")]
    pub known_hosts_on_failure: Option<String>,
    /// Hide passwords in logs (always done; kept for Moler's configs).
    #[serde(default = "yes")]
    pub encrypt_password: bool,
    /// Answer further password questions with the last password (default on).
    #[serde(default = "yes")]
    pub repeat_password: bool,
}

fn no_password() -> Passwords {
    Passwords::One(String::new())
}

impl Scp {
    /// Copies `source` to `dest`.
    pub fn new(source: impl Into<String>, dest: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            dest: dest.into(),
            password: no_password(),
            options: String::new(),
            known_hosts_on_failure: default_keygen(),
            encrypt_password: true,
            repeat_password: true,
        }
    }
    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Passwords::One(password.into());
        self
    }
    /// Sets the passwords, one per question.
    pub fn passwords(mut self, passwords: Vec<String>) -> Self {
        self.password = Passwords::Many(passwords);
        self
    }
    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = options.into();
        self
    }
    /// Sets `known_hosts_on_failure` (`keygen`, `rm`, or `None` to fail).
    pub fn known_hosts_on_failure(mut self, how: Option<&str>) -> Self {
        self.known_hosts_on_failure = how.map(str::to_owned);
        self
    }
}

/// Result of [`Scp`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScpResult {
    /// The files copied, as scp's progress lines name them.
    #[serde(rename = "FILE_NAMES")]
    pub file_names: Vec<String>,
}

/// Parser of [`Scp`]: Moler's dialog, each question answered once per question line.
#[derive(Debug)]
pub struct ScpParser {
    re: ScpRegexes,
    passwords: VecDeque<String>,
    last_password: String,
    repeat_password: bool,
    known_hosts_on_failure: Option<String>,
    dest: String,
    command_line: String,
    hosts_file: Option<String>,
    sent_yes: bool,
    /// The line under way got its answer.
    answered: bool,
    deferred: Deferred,
    result: Option<ScpResult>,
    /// The file of the last progress line, and whether it was at 100%.
    last_progress: Option<(String, bool)>,
}

#[derive(Debug)]
struct ScpRegexes {
    success: Arc<Regex>,
    failed: Arc<Regex>,
    password: Arc<Regex>,
    continue_connecting: Arc<Regex>,
    host_key: Arc<Regex>,
    id_dsa: Arc<Regex>,
    verification_failed: Arc<Regex>,
}

impl ScpParser {
    /// The host key changed: drop it as `known_hosts_on_failure` says, then scp again.
    fn retry(&mut self, cx: &mut Context<'_>, line: &str) {
        let Some(file) = self.hosts_file.clone() else {
            self.deferred.fail(format!("command failed in line >>{line}<<"));
            return;
        };
        match self.known_hosts_on_failure.as_deref() {
            Some("rm") => cx.sendline(&format!("\nrm -f {file}")),
            Some("keygen") => cx.sendline(&format!("\nssh-keygen -R {}", self.dest)),
            other => {
                self.deferred.fail(format!(
                    "bad value of parameter known_hosts_on_failure {other:?}; supported values: rm or keygen"
                ));
                return;
            }
        }
        self.sent_yes = false;
        cx.sendline(&self.command_line);
    }

    fn line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        let re = &self.re;
        if re.id_dsa.is_match(line) {
            if !self.answered {
                cx.sendline("");
            }
            self.answered = true;
        } else if re.verification_failed.is_match(line) {
            if !self.answered {
                self.retry(cx, line);
            }
            self.answered = true;
        } else if let Some(c) = re.success.captures(line) {
            if !partial {
                // On a terminal the progress of one file comes as several lines (`\r`): one
                // name per file, a new one after a line at 100%.
                let name = &c[1];
                let same_file =
                    self.last_progress.as_ref().is_some_and(|(n, done)| n == name && !done);
                if !same_file {
                    let names = &mut self.result.get_or_insert_with(ScpResult::default).file_names;
                    names.push(name.to_owned());
                }
                self.last_progress = Some((name.to_owned(), line.contains("100%")));
            }
        } else if !self.sent_yes && re.continue_connecting.is_match(line) {
            cx.sendline("yes");
            self.sent_yes = true;
        } else if re.password.is_match(line) {
            if !self.answered {
                self.answered = true;
                match self.passwords.pop_front() {
                    Some(p) => self.last_password = p,
                    None if self.repeat_password => {}
                    None => {
                        self.deferred.fail("password was requested but no more passwords provided");
                        cx.send("\x03");
                        return;
                    }
                }
                cx.send_secret(&self.last_password);
                let newline = cx.newline().to_owned();
                cx.send(&newline);
            }
        } else if re.failed.is_match(line) {
            if !partial {
                self.deferred.fail(format!("command failed in line >>{line}<<"));
            }
        } else if self.known_hosts_on_failure.is_some() {
            if let Some(c) = re.host_key.captures(line) {
                self.hosts_file = Some(c[1].to_owned());
            }
        }
    }
}

impl Parser for ScpParser {
    type Output = ScpResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.line(line, partial, cx);
        if !partial {
            self.answered = false;
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn on_prompt(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> bool {
        self.deferred.at_prompt(true)
    }
    fn ended(&self) -> Option<End> {
        self.deferred.ended()
    }
    fn finish(&mut self) -> ParseResult<ScpResult> {
        Ok(self.result.take().unwrap_or_default())
    }
}

impl UnixCommand for Scp {
    const NAME: &'static str = "scp";
    type Parser = ScpParser;
    type Output = ScpResult;
    fn command_line(&self) -> Result<String, ParamError> {
        if let Some(how) =
            self.known_hosts_on_failure.as_deref().filter(|h| !["rm", "keygen"].contains(h))
        {
            let why = format!("must be rm or keygen (or null to fail), not {how:?}");
            return Err(ParamError::value("known_hosts_on_failure", why));
        }
        let mut line = "scp".to_owned();
        push_opt(&mut line, Some(self.options.as_str()));
        line.push(' ');
        line.push_str(required("source", &self.source)?.trim());
        line.push(' ');
        line.push_str(required("dest", &self.dest)?.trim());
        Ok(line)
    }
    fn parser(&self) -> ScpParser {
        let passwords = match &self.password {
            Passwords::One(p) => VecDeque::from([p.clone()]),
            Passwords::Many(l) => l.iter().cloned().collect(),
        };
        ScpParser {
            re: ScpRegexes {
                success: regex(r"^(\S+)\s+.*\d+%.*"),
                // Moler's list wrote `"lost connection`, with a stray quote: scp prints none.
                // Also a connection scp lost without saying more (a server with no SFTP).
                failed: regex(
                    r"(?i)cannot access|Could not|no such|denied|not a regular file|Is a directory|No route to host|lost connection|Not a directory|Connection closed|subsystem request failed",
                ),
                password: regex(r"(?i)password:"),
                continue_connecting: regex(r"(?i)\(y/n\)|\(yes/no.*\)\?|'yes' or 'no':"),
                host_key: regex(r"(?i)Add correct host key in (\S+) to get rid of this message"),
                id_dsa: regex(r"(?i)id_dsa:"),
                verification_failed: regex(r"Host key verification failed."),
            },
            passwords,
            last_password: String::new(),
            repeat_password: self.repeat_password,
            known_hosts_on_failure: self.known_hosts_on_failure.clone(),
            dest: self.dest.trim().to_owned(),
            command_line: self.command_line().unwrap_or_default(),
            hosts_file: None,
            sent_yes: false,
            answered: false,
            deferred: Deferred::default(),
            result: None,
            last_progress: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sent;
    use moler_core::Connection;
    use std::time::Instant;

    /// `scp` started with the prompt `$ `, its command line sent and checked.
    fn started(scp: Scp) -> (Connection, moler_core::Completion<ScpResult>) {
        let mut conn = Connection::new("t");
        let line = scp.command_line().unwrap();
        let done = conn.start(scp.command_with_prompt(r"^\$ $"), Instant::now());
        assert_eq!(sent(&mut conn), format!("{line}\n"));
        (conn, done)
    }

    #[test]
    fn passwords_go_in_turn_and_the_last_one_again() {
        let scp = Scp::new("a", "u@h:/t").passwords(vec!["one".into(), "two".into()]);
        let mut conn = Connection::new("t");
        let done = conn.start(scp.command_with_prompt(r"^\$ $"), Instant::now());
        assert_eq!(sent(&mut conn), "scp a u@h:/t\n");
        conn.handle_input(b"scp a u@h:/t\nu@h's password: ", Instant::now());
        assert_eq!(sent(&mut conn), "one\n");
        conn.handle_input(b"\nldap password: ", Instant::now());
        assert_eq!(sent(&mut conn), "two\n");
        conn.handle_input(
            b"\nPermission denied, please try again.\nu@h's password: ",
            Instant::now(),
        );
        assert_eq!(sent(&mut conn), "two\n");
        conn.handle_input(b"\nscp: /t/a: Permission denied\n$ ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("Permission denied"), "{err}");
    }

    #[test]
    fn parameters_that_make_no_scp_are_refused() {
        let registry = crate::Registry::default();
        let bad = serde_json::json!({"source": "a", "dest": "h:", "known_hosts_on_failure": "del"});
        let err = registry.command("scp", &bad).err().expect("refused").to_string();
        assert!(err.contains("parameter `known_hosts_on_failure`: must be rm or keygen"), "{err}");
        let err = Scp::new(" ", "h:").command_line().unwrap_err().to_string();
        assert_eq!(err, "parameter `source` is required");
    }

    #[test]
    fn a_file_s_progress_lines_name_it_once() {
        let out = "scp -r d h:\na.txt   0%    0     0.0KB/s   --:-- ETA\na.txt  100%  104     0.1KB/s   00:00\n\
                   a.txt  100%  104     0.1KB/s   00:00\nb.txt   45%  1M   1.0MB/s   00:01 ETA\n$ ";
        let scp = Scp::new("d", "h:").options("-r").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(scp, [out.as_bytes()]).unwrap();
        assert_eq!(r.file_names, ["a.txt", "a.txt", "b.txt"], "two a.txt copied (two folders)");
    }

    #[test]
    fn a_changed_host_key_without_a_known_hosts_file_fails() {
        let (mut conn, done) = started(Scp::new("a", "u@h:/t"));
        conn.handle_input(
            b"scp a u@h:/t\nHost key verification failed.\r\nlost connection\n$ ",
            Instant::now(),
        );
        assert_eq!(sent(&mut conn), "", "nothing to retry with");
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("Host key verification failed."), "{err}");
    }

    #[test]
    fn the_key_file_question_gets_one_empty_line() {
        // Moler's question (its reference output's `id_dsa:` line), answered as it is asked (the
        // line end comes after the answer): one Enter, not one a piece.
        let (mut conn, done) = started(Scp::new("a", "u@h:/t"));
        conn.handle_input(b"scp a u@h:/t\nid_dsa: ", Instant::now());
        assert_eq!(sent(&mut conn), "\n");
        conn.handle_input(b"\n", Instant::now());
        assert_eq!(sent(&mut conn), "", "the same question's line end");
        conn.handle_input(b"id_dsa: ", Instant::now());
        assert_eq!(sent(&mut conn), "\n", "asked again");
        conn.handle_input(b"\na   100%  1   0.1KB/s   00:00\n$ ", Instant::now());
        assert_eq!(done.try_result().unwrap().unwrap().file_names, ["a"]);
    }

    #[test]
    fn the_host_key_question_gets_yes_once_and_again_after_a_retry() {
        let (mut conn, done) = started(Scp::new("a", "u@h:/t"));
        let ask = "Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
        conn.handle_input(format!("scp a u@h:/t\n{ask}").as_bytes(), Instant::now());
        assert_eq!(sent(&mut conn), "yes\n");
        conn.handle_input(format!("yes\n{ask}").as_bytes(), Instant::now());
        assert_eq!(sent(&mut conn), "", "asked once a try");
        conn.handle_input(
            b"\nAdd correct host key in /r/.ssh/known_hosts to get rid of this message.\n\
              Host key verification failed.\n",
            Instant::now(),
        );
        assert_eq!(sent(&mut conn), "\nssh-keygen -R u@h:/t\nscp a u@h:/t\n");
        conn.handle_input(
            format!("$ ssh-keygen -R u@h:/t\n$ scp a u@h:/t\n{ask}").as_bytes(),
            Instant::now(),
        );
        assert_eq!(sent(&mut conn), "yes\n", "the new try's question");
        conn.handle_input(b"\na   100%  1   0.1KB/s   00:00\n$ ", Instant::now());
        assert_eq!(done.try_result().unwrap().unwrap().file_names, ["a"]);
    }

    #[test]
    fn without_repeat_password_a_question_too_many_fails_it() {
        let mut scp = Scp::new("a", "u@h:/t").password("one");
        scp.repeat_password = false;
        let (mut conn, done) = started(scp);
        conn.handle_input(b"scp a u@h:/t\nu@h's password: ", Instant::now());
        assert_eq!(sent(&mut conn), "one\n");
        conn.handle_input(b"\nldap password: ", Instant::now());
        assert_eq!(sent(&mut conn), "\x03", "Ctrl-C, not the password again");
        conn.handle_input(b"^C\n$ ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("no more passwords provided"), "{err}");
    }

    #[test]
    fn a_question_in_pieces_gets_one_answer_and_a_failure_names_its_whole_line() {
        let (mut conn, done) = started(Scp::new("a", "u@h:/t").password("one"));
        conn.handle_input(b"scp a u@h:/t\nu@h's password:", Instant::now());
        assert_eq!(sent(&mut conn), "one\n");
        conn.handle_input(b" ", Instant::now());
        assert_eq!(sent(&mut conn), "", "the same question");
        conn.handle_input(b"\nlost connection", Instant::now());
        conn.handle_input(b" (after 3 tries)\n$ ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.ends_with(">>lost connection (after 3 tries)<<"), "{err}");
    }
}
