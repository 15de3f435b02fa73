//! `exit_cu`: [`ExitCu`], its parameters and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::one_line;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// Leaves `cu` (the hop out of `AT_REMOTE` that [`super::Cu`] entered): sends a carriage
/// return, cu's escape character and `.`, and Ctrl-U (`\r-.\x15`, no newline: Moler's `cu`
/// sets the escape character to `-` with `-E '-'`, and cu takes it only after a `\r` it passed
/// on, not after the `\n` of a command's `\r\n`), and ends when the shell's `expected_prompt`
/// is back, after cu's `Disconnected.`. The Ctrl-U erases the escape wherever it was not taken
/// (a terminal still cooked right after `Connected.`, or a shell already back), so a repeated
/// escape never leaves text behind. Result `{}`.
///
/// Not one of Moler's commands: Moler's AtRemote leaves the line with `ctrl_c`, which ends
/// `plink` but not `cu` (cu passes Ctrl-C to the modem). An AtRemote over `cu` takes it for
/// its hop `AT_REMOTE -> UNIX_REMOTE` (`execute_command: at.exit_cu`).
///
/// ```
/// use moler_commands::at::ExitCu;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("modem");
/// let exit = conn.start(ExitCu::new(r"^user@host:~\$").command(), Instant::now());
/// let mut sent = Vec::new();
/// conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"\r-.\x15");
/// conn.handle_input(b"\r\nDisconnected.\r\nuser@host:~$ ", Instant::now());
/// assert!(exit.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCu {
    /// The shell's prompt, where cu was started (required).
    pub expected_prompt: String,
    /// cu's escape character (default `-`, as Moler's `cu` sets it).
    pub escape: Option<String>,
    /// The newline of the shell (a device's hop parameter).
    pub target_newline: Option<String>,
}
builder!(ExitCu { expected_prompt: String });

/// How long [`ExitCuParser`] waits for cu's `Disconnected.` before it sends the escape again:
/// longer than cu's own pause between taking the escape and saying `Disconnected.` (2 s, while
/// it hangs up the line). Should cu be slower still, the second escape reaches the shell as an
/// Enter and an erased line: a prompt more, nothing typed ahead.
const RESEND: std::time::Duration = std::time::Duration::from_secs(4);

/// What leaves cu: a `\r`, the escape and `.`, then Ctrl-U (see [`ExitCu`]).
fn escape_line(escape: &str) -> String {
    format!("\r{escape}.\x15")
}

/// Parser of [`ExitCu`]: waits for cu's `Disconnected.`; until it comes, sends the escape
/// again every 4 s (cu takes it only once it reads its terminal raw: right after
/// `Connected.` a `\r` still becomes a `\n` and the escape goes to the line); the prompt ends
/// the command.
#[derive(Debug)]
pub struct ExitCuParser {
    escape: String,
    disconnected: bool,
    next: Option<std::time::Instant>,
    sent: u32,
}

impl Parser for ExitCuParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !partial && line.contains("Disconnected.") {
            self.disconnected = true;
        }
        if !self.disconnected && self.next.is_none() {
            self.next = Some(cx.now() + RESEND);
            cx.wake_in(RESEND);
        }
        Ok(())
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) {
        let Some(next) = self.next.filter(|_| !self.disconnected && self.sent < 5) else {
            return;
        };
        if cx.now() < next {
            cx.wake_in(next - cx.now());
            return;
        }
        cx.send(&escape_line(&self.escape));
        self.sent += 1;
        self.next = Some(cx.now() + RESEND);
        cx.wake_in(RESEND);
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for ExitCu {
    const NAME: &'static str = "exit_cu";
    type Parser = ExitCuParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err("expected_prompt is required: the shell's prompt, where cu ends".into());
        }
        let escape = self.escape.as_deref().unwrap_or("-");
        if escape.chars().count() != 1 {
            let why = format!("must be one character, not {escape:?}");
            return Err(ParamError::value("escape", why));
        }
        Ok(format!("{}.", one_line("escape", escape)?))
    }
    fn parser(&self) -> ExitCuParser {
        let escape = self.escape.clone().unwrap_or_else(|| "-".to_owned());
        ExitCuParser { escape, disconnected: false, next: None, sent: 0 }
    }
    fn setup(&self, command: Command<ExitCuParser>) -> Command<ExitCuParser> {
        let escape = self.escape.as_deref().unwrap_or("-");
        command
            .no_default_failures()
            .ret_required(false)
            .expect_echo(false)
            .sends(escape_line(escape), false)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sent;
    use moler_core::{Completion, Connection};
    use std::time::{Duration, Instant};

    /// `exit_cu` started at `t0` on a connection of its own: the escape goes out at once.
    fn started(command: Command<ExitCuParser>, t0: Instant) -> (Connection, Completion<Empty>) {
        let mut conn = Connection::new("modem");
        let exit = conn.start(command, t0);
        assert_eq!(sent(&mut conn), "\r-.\x15");
        (conn, exit)
    }

    #[test]
    fn the_escape_goes_again_only_when_cu_did_not_take_it() {
        let t0 = Instant::now();
        // Missed: the escape echoed as text, no `Disconnected.`: once more after RESEND.
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"\r\n-.", t0);
        conn.handle_timeout(t0 + RESEND - Duration::from_millis(1));
        assert_eq!(sent(&mut conn), "", "not yet");
        conn.handle_timeout(t0 + RESEND);
        assert_eq!(sent(&mut conn), "\r-.\x15", "once more");
        conn.handle_input(b"-.\r\n\x07Disconnected.\r\n$ ", t0 + RESEND);
        assert!(exit.try_result().unwrap().is_ok());

        // Taken: cu's `Disconnected.` comes after its hang-up pause; nothing more is sent.
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"-.", t0);
        conn.handle_input(b"\r\n\x07Disconnected.\r\n", t0 + Duration::from_secs(2));
        conn.handle_timeout(t0 + RESEND);
        assert_eq!(sent(&mut conn), "");
        conn.handle_input(b"$ ", t0 + RESEND);
        assert!(exit.try_result().unwrap().is_ok());
    }

    /// The escape goes again RESEND after the first line came, whatever comes meanwhile: lines
    /// that are not `Disconnected.` do not put it off.
    #[test]
    fn lines_meanwhile_do_not_put_the_escape_off() {
        let t0 = Instant::now();
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"\r\n-.", t0);
        conn.handle_input(b"\r\nRING\r\n", t0 + Duration::from_secs(3));
        conn.handle_timeout(t0 + RESEND);
        assert_eq!(sent(&mut conn), "\r-.\x15", "once more, on time");
        assert!(exit.try_result().is_none());
    }

    /// cu never says `Disconnected.`: the escape goes again five times, then no more (the
    /// command's timeout says the rest).
    #[test]
    fn the_escape_goes_again_five_times_at_most() {
        let t0 = Instant::now();
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command().timeout(RESEND * 20), t0);
        conn.handle_input(b"\r\n-.", t0);
        let mut resent = 0;
        for n in 1..=10 {
            conn.handle_timeout(t0 + RESEND * n);
            match sent(&mut conn).as_str() {
                "" => {}
                "\r-.\x15" => resent += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(resent, 5);
        assert!(exit.try_result().is_none());
    }

    /// The shell's prompt right after output with no newline ends it once nothing follows:
    /// that wake is no time to send the escape again.
    #[test]
    fn a_prompt_after_output_sends_nothing_more() {
        let t0 = Instant::now();
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"\r\nDisconnected.\r\nbye$ ", t0);
        let wake = conn.poll_timeout().expect("a wake to see whether more comes");
        assert!(wake < t0 + RESEND, "{:?}", wake - t0);
        conn.handle_timeout(wake);
        assert_eq!(sent(&mut conn), "");
        assert!(exit.try_result().unwrap().is_ok());

        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"\r\n-.\r\nbye$ ", t0);
        let wake = conn.poll_timeout().expect("a wake to see whether more comes");
        conn.handle_timeout(wake);
        assert_eq!(sent(&mut conn), "", "the escape is not sent again before its time");
        assert!(exit.try_result().unwrap().is_ok());

        // Nor after a resend.
        let (mut conn, exit) = started(ExitCu::new(r"^\$ ").command(), t0);
        conn.handle_input(b"\r\n-.", t0);
        conn.handle_timeout(t0 + RESEND);
        assert_eq!(sent(&mut conn), "\r-.\x15");
        conn.handle_input(b"-.\r\nbye$ ", t0 + RESEND);
        let wake = conn.poll_timeout().expect("a wake to see whether more comes");
        assert!(wake < t0 + RESEND * 2, "{:?}", wake - t0);
        conn.handle_timeout(wake);
        assert_eq!(sent(&mut conn), "", "the escape is not sent again before its time");
        assert!(exit.try_result().unwrap().is_ok());
    }

    /// Only the shell's prompt given ends it, not another line that looks like a prompt.
    #[test]
    fn only_the_expected_prompt_ends_it() {
        let t0 = Instant::now();
        let (mut conn, exit) = started(ExitCu::new(r"^host\$ ").command(), t0);
        conn.handle_input(b"\r\nDisconnected.\r\n>\r\nmodem# \r\n", t0);
        assert!(exit.try_result().is_none());
        conn.handle_input(b"host$ ", t0);
        assert!(exit.try_result().unwrap().is_ok());
    }
}
