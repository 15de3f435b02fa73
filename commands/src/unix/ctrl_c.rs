//! `ctrl_c` (Ctrl-C): [`CtrlC`], its parameters, its result and its parser.

use std::time::Duration;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::dialog::Dialog;
use super::parse::yes;
use super::ssh::default_newline;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// How long `ctrl_c` waits for the prompt before it sends a second Ctrl-C.
const CTRL_C_RESEND: Duration = Duration::from_secs(1);

/// Ctrl-C (no newline); ends on `expected_prompt` (default: the shell's prompt); result `{}`.
///
/// Like Moler's, it may change the prompt: at `prompt_after_login` (default: the expected
/// prompt) it sends `set_timeout` and `set_prompt`, then ends on `expected_prompt`, followed
/// by a line end or not (`allowed_newline_after_prompt`, default true; false: only a prompt
/// without a line end ends it).
///
/// Unlike Moler's, it ends at a prompt after the Ctrl-C's echo (`^C`): a prompt before it is
/// what the tool printed as it ended by itself, with the Ctrl-C still on its way to the shell,
/// and is held until the echo comes (nor are the settings typed at it); a device that echoes
/// none ends it a quarter of the terminating period after that prompt. Its Ctrl-C sent again
/// after a second without a prompt is awaited the same way, both echoes counted (see
/// [`moler_core::Command`]): a shell that lost the first (readline still setting up) costs
/// that quarter period more.
///
/// ```
/// use moler_commands::unix::CtrlC;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let spec = CtrlC::new()
///     .expected_prompt(r"^moler_bash# $")
///     .prompt_after_login(r"^bash-5.1\$ $")
///     .set_prompt(r#"export PS1="moler_bash# ""#);
/// let mut conn = Connection::new("demo");
/// let t = Instant::now();
/// let done = conn.start(spec.command_with_prompt(r"^remote> $"), t);
/// let mut sent = Vec::new();
/// for text in ["^C\nbash-5.1$ ", "export PS1=\"moler_bash# \"\n", "moler_bash# "] {
///     conn.handle_input(text.as_bytes(), t);
///     conn.poll_transmit(&mut sent);
/// }
/// assert!(done.try_result().unwrap().is_ok());
/// assert_eq!(String::from_utf8(sent).unwrap(), "\x03\nexport PS1=\"moler_bash# \"\n");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrlC {
    /// The prompt that comes back.
    pub expected_prompt: Option<String>,
    /// The prompt at which the settings are sent (default: `expected_prompt`).
    pub prompt_after_login: Option<String>,
    /// Sent at `prompt_after_login` (Moler's default: nothing).
    #[serde(default, deserialize_with = "super::parse::set_timeout_value")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
    #[serde(default, deserialize_with = "super::parse::set_prompt_value")]
    pub set_prompt: Option<String>,
    /// The newline of the shell that answers (its state's newline is the device's business;
    /// kept for Moler's configs).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// The expected prompt may be followed by a line end (default true, as Moler's `ctrl_c`).
    #[serde(default = "yes")]
    pub allowed_newline_after_prompt: bool,
}

impl Default for CtrlC {
    fn default() -> Self {
        Self {
            expected_prompt: None,
            prompt_after_login: None,
            set_timeout: None,
            set_prompt: None,
            target_newline: default_newline(),
            allowed_newline_after_prompt: true,
        }
    }
}
builder!(CtrlC {}, expected_prompt, prompt_after_login, set_timeout, set_prompt);

/// Parser of [`CtrlC`]: sends the settings, if any, and says which prompt is the last.
#[derive(Debug)]
pub struct CtrlCParser {
    dialog: Dialog,
}

impl Parser for CtrlCParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.dialog.on_line(line, partial, cx);
        Ok(())
    }
    fn on_prompt(&mut self, _: &str, partial: bool, _: &mut Context<'_>) -> bool {
        self.dialog.is_final(partial)
    }
    fn is_dialog_prompt(&self, line: &str) -> bool {
        // Before the Ctrl-C's echo, settings are not typed at it (see `Command`).
        self.dialog.types_at(line)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for CtrlC {
    const NAME: &'static str = "ctrl_c";
    type Parser = CtrlCParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        for (name, r) in [
            ("expected_prompt", &self.expected_prompt),
            ("prompt_after_login", &self.prompt_after_login),
        ] {
            if let Some(r) = r {
                ParamError::regex(name, r)?;
            }
        }
        Ok(String::new())
    }
    fn parser(&self) -> CtrlCParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> CtrlCParser {
        let expected = self.end_prompt(shell_prompt).unwrap_or(moler_core::DEFAULT_PROMPT);
        let after_login = self.prompt_after_login.as_deref().unwrap_or(expected);
        let settings = [&self.set_timeout, &self.set_prompt];
        let mut dialog = Dialog::new(&None, [after_login, expected], None, false, settings);
        dialog.allowed_newline_after_prompt = self.allowed_newline_after_prompt;
        dialog.target_newline = self.target_newline.clone();
        CtrlCParser { dialog }
    }
    fn setup(&self, command: Command<CtrlCParser>) -> Command<CtrlCParser> {
        // A Ctrl-C that lands while readline is still setting up after its prompt is lost and
        // the shell stays silent: one more after a second of silence.
        command
            .sends("\x03", false)
            .expect_echo(false)
            .ret_required(false)
            .resend_after(CTRL_C_RESEND)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    fn run(spec: &CtrlC, texts: &[&str]) -> bool {
        let mut conn = Connection::new("t");
        let done = conn.start(spec.command_with_prompt(r"^\$ $"), Instant::now());
        for t in texts {
            conn.handle_input(t.as_bytes(), Instant::now());
        }
        done.try_result().is_some_and(|r| r.is_ok())
    }

    #[test]
    fn a_prompt_with_a_line_end_ends_it_unless_refused() {
        let spec = CtrlC::default();
        assert!(run(&spec, &["^C\n$ \n"]));
        let strict = CtrlC { allowed_newline_after_prompt: false, ..CtrlC::default() };
        assert!(!run(&strict, &["^C\n$ \n"]), "a prompt with a line end is not the end");
        assert!(run(&strict, &["^C\n$ "]));
    }

    /// A prompt before the Ctrl-C's echo (the tool ended by itself as the Ctrl-C left) gets no
    /// settings: the Ctrl-C is still to reach that shell, and bash would drop what it had read
    /// of them. They are typed at the prompt after the echo.
    #[test]
    fn settings_wait_for_the_prompt_after_the_ctrl_c_echo() {
        let spec = CtrlC::new()
            .expected_prompt(r"^moler_bash# $")
            .prompt_after_login(r"^bash-5.1\$ $")
            .set_prompt(r#"export PS1="moler_bash# ""#);
        let mut conn = Connection::new("t");
        let t = Instant::now();
        let done = conn.start(spec.command_with_prompt(r"^remote> $"), t);
        let mut sent = Vec::new();
        let mut take = |conn: &mut Connection| {
            sent.clear();
            let _ = conn.poll_transmit(&mut sent);
            String::from_utf8(sent.clone()).unwrap()
        };
        assert_eq!(take(&mut conn), "\x03");
        conn.handle_input(b"tool done\r\nbash-5.1$ ", t);
        assert_eq!(take(&mut conn), "", "nothing typed before the echo");
        conn.handle_input(b"^C\r\nbash-5.1$ ", t);
        assert_eq!(take(&mut conn), "\nexport PS1=\"moler_bash# \"\n");
        conn.handle_input(b"export PS1=\"moler_bash# \"\r\nmoler_bash# ", t);
        assert!(done.try_result().unwrap().is_ok());
    }

    /// Output that is no prompt, before the Ctrl-C's echo, is not held as one: the Ctrl-C still
    /// goes again after a second with no echo (a held prompt would stop that).
    #[test]
    fn output_before_the_echo_does_not_stop_the_second_ctrl_c() {
        let spec = CtrlC::new().prompt_after_login(r"^bash-5.1\$ $").set_prompt("PS1='$ '");
        let mut conn = Connection::new("t");
        let t = Instant::now();
        let done = conn.start(spec.command_with_prompt(r"^\$ $"), t);
        assert_eq!(crate::testing::sent(&mut conn), "\x03");
        conn.handle_input(b"still copying 42%\r\n", t);
        conn.handle_timeout(t + CTRL_C_RESEND * 2);
        assert_eq!(crate::testing::sent(&mut conn), "\x03", "once more");
        assert!(!done.is_done());
    }

    #[test]
    fn a_bad_prompt_is_named() {
        let e = CtrlC::new().prompt_after_login("(").command_line().unwrap_err().to_string();
        assert!(e.contains("prompt_after_login"), "{e}");
    }
}
