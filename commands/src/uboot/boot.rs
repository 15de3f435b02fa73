//! `uboot.boot`: [`Boot`] and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

const LOGIN_PROMPT: &str = r"login:\s*$";
const PASSWORD_PROMPT: &str = r"[Pp]assword:\s*$";
const REFUSED: &str = r"Login incorrect|Authentication failure|Permission denied";

/// Boots Linux from U-Boot and logs in on the console: sends `boot_command` (default `boot`),
/// answers the console's `login:` with `login` (default `root`) and its `Password:` with
/// `password` (never logged), sends `set_prompt` at the shell's first prompt if given, and ends
/// at `expected_prompt`, the shell's prompt (required). A refused login (`Login incorrect`)
/// fails the command; a second login question is answered no more. Result `{}`. Default
/// timeout 180 s (a kernel boots slowly).
///
/// ```
/// use moler_commands::uboot::Boot;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("console");
/// let boot = conn.start(Boot::new(r"^root@board:~# ").password("secret").command(), Instant::now());
/// let mut sent = Vec::new();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"boot\n");
/// conn.handle_input(b"boot\r\nStarting kernel ...\r\n[    0.000000] Booting Linux\r\n\r\nboard login: ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"root\n");
/// conn.handle_input(b"root\r\nPassword: ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"secret\n");
/// conn.handle_input(b"\r\nroot@board:~# ", Instant::now());
/// assert!(boot.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boot {
    /// The Linux shell's prompt (required).
    pub expected_prompt: String,
    /// U-Boot's command that boots (default `boot`).
    pub boot_command: Option<String>,
    /// The user to log in as (default `root`).
    pub login: Option<String>,
    /// Its password, when the console asks for one.
    pub password: Option<String>,
    /// The console's login question (default `login:` at the end of a line).
    pub login_prompt: Option<String>,
    /// The password question (default `Password:` at the end of a line).
    pub password_prompt: Option<String>,
    /// Sent at the shell's first prompt (`export PS1='board# '`), when the prompt is set then.
    pub set_prompt: Option<String>,
    /// The first prompt after the login, where `set_prompt` is sent (default: a generic
    /// prompt ending in `$`, `#`, `>` or `%`).
    pub prompt_after_login: Option<String>,
    /// The newline of Linux's console (a device's hop parameter).
    pub target_newline: Option<String>,
}
crate::spec::builder!(Boot { expected_prompt: String }, boot_command, login, password, set_prompt);

/// Parser of [`Boot`]: the login dialog.
#[derive(Debug)]
pub struct BootParser {
    login: String,
    password: Option<String>,
    login_prompt: Arc<Regex>,
    password_prompt: Arc<Regex>,
    after_login: Arc<Regex>,
    refused: Arc<Regex>,
    set_prompt: Option<String>,
    logins: u32,
    passwords: u32,
    /// Something was sent for the partial line being shown: no second answer to it.
    answered: bool,
    failure: Option<String>,
}

impl Parser for BootParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.failure.is_some() {
            return Ok(());
        }
        if self.refused.is_match(line) {
            self.failure = Some(format!("the console refused the login: {}", line.trim()));
        } else if !self.answered && self.password_prompt.is_match(line) {
            self.answered = true;
            self.passwords += 1;
            match (&self.password, self.passwords) {
                (Some(p), 1) => {
                    cx.send_secret(p);
                    cx.send("\n");
                }
                (None, _) => {
                    self.failure = Some("the console asks for a password; none was given".into())
                }
                _ => self.failure = Some("the console asked for the password again".into()),
            }
        } else if !self.answered && self.login_prompt.is_match(line) {
            self.answered = true;
            self.logins += 1;
            if self.logins > 1 {
                self.failure = Some(format!("the console asked to log in again: {}", line.trim()));
            } else {
                cx.sendline(&self.login);
            }
        } else if !self.answered && self.logins > 0 && self.after_login.is_match(line) {
            if let Some(set) = self.set_prompt.take() {
                self.answered = true;
                cx.sendline(&set);
            }
        }
        if !partial {
            self.answered = false;
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // A login question is never the shell's prompt, whatever the prompt regex says: it goes
        // to `on_line`. The shell's prompt ends it once the settings went out (their echo comes
        // as a line).
        if self.login_prompt.is_match(line) || self.password_prompt.is_match(line) {
            return false;
        }
        partial && self.set_prompt.is_none() && self.failure.is_none()
    }
    fn ended(&self) -> Option<End> {
        self.failure.clone().map(End::Failed)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for Boot {
    const NAME: &'static str = "boot";
    type Parser = BootParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err("expected_prompt is required: the Linux shell's prompt".into());
        }
        ParamError::regex("expected_prompt", &self.expected_prompt)?;
        for (name, p) in [
            ("login_prompt", &self.login_prompt),
            ("password_prompt", &self.password_prompt),
            ("prompt_after_login", &self.prompt_after_login),
        ] {
            if let Some(p) = p {
                ParamError::regex(name, p)?;
            }
        }
        let line = self.boot_command.as_deref().unwrap_or("boot");
        if line.trim().is_empty() || line.contains(['\r', '\n']) {
            let why = format!("must be one non-empty line, not {line:?}");
            return Err(ParamError::value("boot_command", why));
        }
        Ok(line.to_owned())
    }
    fn parser(&self) -> BootParser {
        let re = |name: &str, given: &Option<String>, default: &str| {
            given
                .as_deref()
                .and_then(|p| ParamError::regex(name, p).ok())
                .unwrap_or_else(|| moler_core::cached_regex(default).expect("valid"))
        };
        BootParser {
            login: self.login.clone().unwrap_or_else(|| "root".to_owned()),
            password: self.password.clone(),
            login_prompt: re("login_prompt", &self.login_prompt, LOGIN_PROMPT),
            password_prompt: re("password_prompt", &self.password_prompt, PASSWORD_PROMPT),
            after_login: re("prompt_after_login", &self.prompt_after_login, r"[$#>%]\s*$"),
            refused: moler_core::cached_regex(REFUSED).expect("valid"),
            set_prompt: self.set_prompt.clone().filter(|s| !s.trim().is_empty()),
            logins: 0,
            passwords: 0,
            answered: false,
            failure: None,
        }
    }
    fn setup(&self, command: Command<BootParser>) -> Command<BootParser> {
        command.no_default_failures().ret_required(false)
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(180)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{failed, outcome, sent};
    use moler_core::Connection;
    use std::time::Instant;

    const SHELL: &str = r"^root@board:~# ";

    /// A boot fed `chunks` after its echo, each answered or not: what was sent after each, and
    /// the outcome (`None`: still running).
    fn boot(spec: Boot, chunks: &[&str]) -> (Vec<String>, Option<Result<(), String>>) {
        let mut conn = Connection::new("console");
        let t = Instant::now();
        let done = conn.start(spec.command(), t);
        let line = sent(&mut conn);
        conn.handle_input(line.as_bytes(), t);
        let mut answers = Vec::new();
        for chunk in chunks {
            conn.handle_input(chunk.as_bytes(), t);
            answers.push(sent(&mut conn));
        }
        (answers, outcome(&done))
    }

    #[test]
    fn each_question_is_answered_once_and_the_shell_s_prompt_ends_it() {
        let spec = Boot::new(SHELL).password("secret");
        let (answers, outcome) = boot(
            spec,
            &[
                "Starting kernel ...\r\n",
                "board login:",
                " ",
                "root\r\nPassword: ",
                "\r\n",
                "root@board:~# ",
            ],
        );
        assert_eq!(answers, ["", "root\n", "", "secret\n", "", ""], "the partial question once");
        assert_eq!(outcome, Some(Ok(())));
    }

    #[test]
    fn a_refused_login_or_a_question_again_fails_the_boot() {
        let spec = || Boot::new(SHELL).password("secret");
        let (answers, outcome) = boot(
            spec(),
            &["board login: ", "root\r\nPassword: ", "\r\nLogin incorrect\r\n", "board login: "],
        );
        assert_eq!(answers, ["root\n", "secret\n", "", ""], "nothing more once refused");
        let why = failed(outcome);
        assert!(why.contains("the console refused the login: Login incorrect"), "{why}");

        let (_, outcome) = boot(spec(), &["board login: ", "root\r\n\r\nboard login: "]);
        let why = failed(outcome);
        assert!(why.contains("the console asked to log in again: board login:"), "{why}");

        let (answers, outcome) = boot(spec(), &["Password: ", "\r\nPassword: "]);
        assert_eq!(answers, ["secret\n", ""]);
        assert!(failed(outcome).contains("the console asked for the password again"));

        let (answers, outcome) = boot(Boot::new(SHELL), &["board login: ", "root\r\nPassword: "]);
        assert_eq!(answers, ["root\n", ""]);
        assert!(failed(outcome).contains("the console asks for a password; none was given"));
    }

    /// A login question is never taken for the shell's prompt, whatever its regex.
    #[test]
    fn a_question_is_not_the_shell_s_prompt() {
        let (answers, outcome) =
            boot(Boot::new(r"[:#] $").password("pw"), &["board login: ", "root\r\nPassword: "]);
        assert_eq!(answers, ["root\n", "pw\n"]);
        assert_eq!(outcome, None);
    }

    /// Only the expected prompt ends it: not U-Boot's `=> ` (a generic prompt), not a line
    /// under way.
    #[test]
    fn only_the_expected_prompt_ends_it() {
        let (answers, outcome) = boot(
            Boot::new(SHELL),
            &["=> ", "\r\nStarting kernel", " ...\r\n", "board login: ", "root\r\nme@board:~$ "],
        );
        assert_eq!(answers, ["", "", "", "root\n", ""]);
        assert_eq!(outcome, None);
    }

    /// With `set_prompt`, the shell's first prompt after the login gets it, and only the prompt
    /// after that ends the boot; the shell's prompt must be on the line it ends (partial).
    #[test]
    fn set_prompt_goes_at_the_first_prompt_after_the_login() {
        let spec = Boot { set_prompt: Some("export PS1='board# '".into()), ..Boot::new(r"# $") };
        let (answers, outcome) = boot(
            spec,
            &[
                "board login: ",
                "root\r\n",
                "Last login: today\r\n",
                "root@board:~# ",
                "export PS1='board# '\r\n",
                "board# ",
            ],
        );
        assert_eq!(answers, ["root\n", "", "", "export PS1='board# '\n", "", ""]);
        assert_eq!(outcome, Some(Ok(())));

        let spec = Boot { set_prompt: Some("export PS1='board# '".into()), ..Boot::new(r"# $") };
        let (answers, outcome) = boot(spec, &["board login: ", "root\r\n", "root@board:~# "]);
        assert_eq!(answers, ["root\n", "", "export PS1='board# '\n"]);
        assert_eq!(outcome, None, "the prompt before the settings does not end it");

        // A prompt before any login (a U-Boot line ending in `>`) does not take the settings.
        let spec = Boot { set_prompt: Some("PS1='b# '".into()), ..Boot::new(r"^b# $") };
        let (answers, _) = boot(spec, &["Hit any key>\r\n", "board login: "]);
        assert_eq!(answers, ["", "root\n"]);
    }

    #[test]
    fn the_questions_and_the_user_can_be_given() {
        let spec = Boot {
            login: Some("admin".into()),
            password: Some("pw".into()),
            login_prompt: Some(r"^Username: $".into()),
            password_prompt: Some(r"^Secret: $".into()),
            ..Boot::new(r"^admin\$ $")
        };
        let (answers, outcome) =
            boot(spec, &["board login: \r\n", "Username: ", "admin\r\nSecret: ", "\r\nadmin$ "]);
        assert_eq!(answers, ["", "admin\n", "pw\n", ""]);
        assert_eq!(outcome, Some(Ok(())));
    }

    #[test]
    fn parameters_are_checked_and_a_boot_has_three_minutes() {
        assert_eq!(Boot::new(SHELL).command_line().unwrap(), "boot");
        let spec = Boot { boot_command: Some("run bootcmd".into()), ..Boot::new(SHELL) };
        assert_eq!(spec.command_line().unwrap(), "run bootcmd");
        assert!(Boot::new(" ").command_line().is_err());
        for bad in ["", " ", "boot\nrm -rf /", "boot\r"] {
            let spec = Boot { boot_command: Some(bad.into()), ..Boot::new(SHELL) };
            assert!(spec.command_line().is_err(), "{bad:?}");
        }
        for field in ["login_prompt", "password_prompt", "prompt_after_login"] {
            let spec: Boot = serde_json::from_value(serde_json::json!({
                "expected_prompt": SHELL, field: "(x"
            }))
            .unwrap();
            let err = spec.command_line().unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
        assert_eq!(Boot::new(SHELL).default_timeout(), Duration::from_secs(180));
    }
}
