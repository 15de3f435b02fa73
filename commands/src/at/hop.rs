//! The dialog of the commands that open a serial line from a shell (`cu`, `plink_serial`):
//! they end on the line's own prompt, and fail on the tool's complaints or on the shell's
//! prompt coming back.

use std::sync::Arc;

use moler_core::{Context, End, ParseResult, Parser, DEFAULT_PROMPT};
use regex::Regex;

use super::generic::regex;
use crate::{Empty, ParamError};

/// `value`, checked to be a serial port's name (`5`, `COM5`, `ttyUSB0`, `usb-modem.1`; with
/// `paths`, also `/dev/ttyUSB0`): it goes into a shell command line, so nothing the shell would
/// read as more than a word.
pub(crate) fn port_name<'a>(
    name: &str,
    value: &'a str,
    paths: bool,
) -> Result<&'a str, ParamError> {
    let value = super::generic::required_value(name, value)?;
    let allowed = if paths { "-_.:/" } else { "-_.:" };
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || allowed.contains(c));
    if plain && !value.starts_with('-') {
        Ok(value)
    } else {
        let why =
            format!("must be a serial port's name (letters, digits, `{allowed}`), not {value:?}");
        Err(ParamError::value(name, why))
    }
}

/// Moler's unix failure causes (`genericunix.cmd_failure_causes`), as alternatives of a regex
/// literal (the hops search them in any case).
macro_rules! unix_failures {
    () => {
        "not found|No such file or directory|running it may require superuser privileges|\
         Cannot find device|Input/output error"
    };
}
pub(crate) use unix_failures;

/// Parser of [`Cu`](super::Cu) and [`PlinkSerial`](super::PlinkSerial).
///
/// Verified, never assumed: the prompt of the shell the command started from (when known)
/// coming back fails it, checked on every line before the line's prompt; a complaint of the
/// tool (`failures`) fails it once that shell prompt (or, unknown, the generic one) is back, so
/// the shell stays usable.
#[derive(Debug)]
pub struct SerialHopParser {
    /// The shell's prompt, when known.
    start: Option<Arc<Regex>>,
    failures: Arc<Regex>,
    failure: Option<String>,
    last_line: Option<String>,
    back_home: bool,
}

impl SerialHopParser {
    /// A hop from a shell whose prompt is `start` (`None`: unknown), failing on lines that
    /// `failures` (a regex of the family) finds.
    pub(crate) fn new(start: Option<&str>, failures: &str) -> Self {
        let start =
            start.map(|s| moler_core::cached_regex(s).unwrap_or_else(|_| regex(&regex::escape(s))));
        Self { start, failures: regex(failures), failure: None, last_line: None, back_home: false }
    }

    /// Whether `line` shows the shell the command started from: then the command has failed.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.back_home {
            return true;
        }
        let shows =
            |r: &Regex| r.is_match(line) || line.strip_prefix("^C").is_some_and(|l| r.is_match(l));
        let start = match (&self.start, &self.failure) {
            (Some(s), _) => shows(s),
            // Unknown: after a failure, the generic prompt is taken for it.
            (None, Some(_)) => shows(&regex(DEFAULT_PROMPT)),
            (None, None) => false,
        };
        if start {
            let prompt = line.trim();
            let why = match (&self.failure, &self.last_line) {
                (Some(f), _) => f.clone(),
                (None, Some(last)) => format!("{last} (back at the start prompt {prompt:?})"),
                (None, None) => format!("back at the start prompt {prompt:?} with no output"),
            };
            self.failure = Some(why);
            self.back_home = true;
        }
        self.back_home
    }
}

impl Parser for SerialHopParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if self.back_at_start(line) || partial {
            return Ok(());
        }
        if self.failure.is_none() && self.failures.is_match(line) {
            self.failure = Some(format!("found error regex in line '{}'", line.trim()));
        }
        if !line.trim().is_empty() {
            self.last_line = Some(line.trim().to_owned());
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // The shell's prompt first; after a complaint, only the shell's prompt ends it.
        !self.back_at_start(line) && self.failure.is_none()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
    fn ended(&self) -> Option<End> {
        self.back_home.then(|| End::Failed(self.failure.clone().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::{Cu, PlinkSerial};
    use crate::testing::failed;
    use crate::UnixCommand;
    use moler_core::{Command, Connection};
    use std::time::Instant;

    /// The shell's prompt in these tests.
    const SHELL: &str = r"^\$ $";

    /// What became of a command, fed `chunks` after its `echo`: `None` while it runs.
    fn outcome(
        command: Command<SerialHopParser>,
        echo: &str,
        chunks: &[&str],
    ) -> Option<Result<(), String>> {
        let mut conn = Connection::new("shell");
        let t = Instant::now();
        let done = conn.start(command, t);
        conn.handle_input(format!("{echo}\r\n").as_bytes(), t);
        for chunk in chunks {
            conn.handle_input(chunk.as_bytes(), t);
        }
        crate::testing::outcome(&done)
    }

    /// `cu` on ttyS5 from a shell whose prompt is [`SHELL`] (`known`) or not known.
    fn cu(known: bool, chunks: &[&str]) -> Option<Result<(), String>> {
        let spec = Cu::new(5);
        let command = if known { spec.command_with_prompt(SHELL) } else { spec.command() };
        outcome(command, "cu -l /dev/ttyS5 -s 19200 -E '-'", chunks)
    }

    #[test]
    fn cu_ends_on_connected_and_on_nothing_else() {
        for known in [true, false] {
            assert_eq!(cu(known, &["Connected.\r\n"]), Some(Ok(())), "known: {known}");
            // Other lines, and the generic prompt while the shell's is not known, go on.
            assert_eq!(cu(known, &["Dialing...\r\n", "ready> \r\n"]), None, "known: {known}");
        }
        assert_eq!(cu(false, &["$ "]), None, "no complaint: not taken for the shell");
    }

    #[test]
    fn a_complaint_fails_the_hop_once_the_shell_is_back() {
        let complaint = "cu: /dev/ttyS5: Line in use\r\n";
        for known in [true, false] {
            // Not before the shell's prompt, and `Connected.` after it does not count.
            assert_eq!(cu(known, &[complaint]), None, "known: {known}");
            assert_eq!(cu(known, &[complaint, "Connected.\r\n"]), None, "known: {known}");
            let why = failed(cu(known, &[complaint, "more\r\n", "Permission denied\r\n", "$ "]));
            // The first complaint is the one reported.
            assert!(
                why.contains("found error regex in line 'cu: /dev/ttyS5: Line in use'"),
                "{why}"
            );
        }
        // A complaint of the shell (Moler's unix failure causes) too.
        let why = failed(cu(true, &["bash: cu: command not found\r\n", "$ "]));
        assert!(why.contains("command not found"), "{why}");
    }

    #[test]
    fn the_shell_s_prompt_coming_back_fails_the_hop() {
        let why = failed(cu(true, &["some text\r\n", "\r\n", "$ "]));
        assert!(why.contains(r#"some text (back at the start prompt "$")"#), "{why}");
        // The prompt cut by a read: its first part is no output line.
        let why = failed(cu(true, &["some text\r\n", "$", " "]));
        assert!(why.contains(r#"some text (back at the start prompt "$")"#), "{why}");
        let why = failed(cu(true, &["$ "]));
        assert!(why.contains(r#"back at the start prompt "$" with no output"#), "{why}");
        // After Ctrl-C (echoed as `^C` before the prompt).
        let why = failed(cu(true, &["^C$ "]));
        assert!(why.contains("back at the start prompt"), "{why}");
        // Once back, it stays failed, whatever comes after.
        let why = failed(cu(true, &["$ \r\n", "Connected.\r\n"]));
        assert!(why.contains("back at the start prompt"), "{why}");
    }

    #[test]
    fn plink_ends_on_its_entry_prompt_and_fails_as_cu() {
        let spec = PlinkSerial::new("COM5");
        let echo = spec.command_line().unwrap();
        let plink = |chunks: &[&str]| outcome(spec.command_with_prompt(SHELL), &echo, chunks);
        assert_eq!(plink(&["COM5> port READY\r\n"]), Some(Ok(())));
        assert_eq!(plink(&["COM4> port READY\r\n"]), None);
        let why = failed(plink(&["Unable to open connection:\r\n", "^C\r\n", "$ "]));
        assert!(why.contains("Unable to open connection"), "{why}");
    }

    #[test]
    fn port_names_are_words_of_the_shell() {
        for ok in ["5", "COM5", "ttyUSB0", "usb-modem.1", "a_b:c"] {
            assert_eq!(port_name("p", ok, false).unwrap(), ok);
        }
        assert_eq!(port_name("p", "/dev/ttyUSB0", true).unwrap(), "/dev/ttyUSB0");
        for bad in ["/dev/ttyUSB0", "-x", "a b", "a;b", "$(x)", "a\nb", ""] {
            assert!(port_name("p", bad, false).is_err(), "{bad:?}");
        }
        assert!(port_name("p", "-/dev/x", true).is_err());
    }

    #[test]
    fn the_modem_side_s_newline_is_a_line_feed_unless_given() {
        let cu: Cu = serde_json::from_value(serde_json::json!({"serial_devname": 5})).unwrap();
        assert_eq!(cu.target_newline, "\n");
        let plink: PlinkSerial =
            serde_json::from_value(serde_json::json!({"serial_devname": "COM5"})).unwrap();
        assert_eq!(plink.target_newline, "\n");
        assert_eq!(PlinkSerial::new("COM5").target_newline, "\n");
        let cu: Cu = serde_json::from_value(
            serde_json::json!({"serial_devname": 5, "target_newline": "\r\n"}),
        )
        .unwrap();
        assert_eq!(cu.target_newline, "\r\n");
    }
}
