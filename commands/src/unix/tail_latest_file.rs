//! `tail_latest_file`: [`TailLatestFile`], its parameters, its result and its parser.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{Command, Context, End, ParseResult, Parser, DEFAULT_FAILURES};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required, Deferred};
use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

fn default_pattern() -> String {
    "*".to_owned()
}
fn default_time_for_failure() -> f64 {
    0.1
}

/// Follows the newest file of `directory` matching `file_pattern` (Moler's bash loop: `tail -f`
/// on the newest file, switching when a newer one appears) until stopped (cancel it, or give
/// it a timeout: Ctrl-C ends the loop); result `{}`. The usual failure lines (`No such file or
/// directory`…) fail it only within `time_for_failure` seconds of its first output line, so
/// followed files may say anything; on such a failure it sends Ctrl-C itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailLatestFile {
    /// The directory.
    pub directory: String,
    /// Which files (a shell pattern; default `*`).
    #[serde(default = "default_pattern")]
    pub file_pattern: String,
    /// Seconds after the first line during which failures count (default 0.1).
    #[serde(default = "default_time_for_failure")]
    pub time_for_failure: f64,
}

impl TailLatestFile {
    /// Follows the newest file in `directory`.
    pub fn new(directory: impl Into<String>) -> Self {
        Self {
            directory: directory.into(),
            file_pattern: default_pattern(),
            time_for_failure: default_time_for_failure(),
        }
    }
    /// Only files matching `pattern`.
    pub fn file_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.file_pattern = pattern.into();
        self
    }
    /// Failures count for this long after the first line.
    pub fn time_for_failure(mut self, seconds: f64) -> Self {
        self.time_for_failure = seconds;
        self
    }
}

/// Parser of [`TailLatestFile`].
#[derive(Debug)]
pub struct TailLatestFileParser {
    failures: Arc<Regex>,
    window: Duration,
    first_line: Option<Instant>,
    deferred: Deferred,
}

impl Parser for TailLatestFileParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if partial || self.deferred.failed() {
            return Ok(());
        }
        let first = *self.first_line.get_or_insert(cx.now());
        if cx.now().saturating_duration_since(first) < self.window && self.failures.is_match(line) {
            self.deferred.fail(line);
            // The loop would go on; its trap ends it on Ctrl-C.
            cx.send("\x03");
        }
        Ok(())
    }
    fn on_prompt(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> bool {
        self.deferred.at_prompt(true)
    }
    fn ended(&self) -> Option<End> {
        self.deferred.ended()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for TailLatestFile {
    const NAME: &'static str = "tail_latest_file";
    type Parser = TailLatestFileParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let directory = required("directory", &self.directory)?;
        if !self.time_for_failure.is_finite() || self.time_for_failure < 0.0 {
            let why = format!("must be a number of seconds >= 0, not {}", self.time_for_failure);
            return Err(ParamError::value("time_for_failure", why));
        }
        // Python's os.path.join.
        let path = if self.file_pattern.starts_with('/') {
            self.file_pattern.clone()
        } else if directory.ends_with('/') {
            format!("{directory}{}", self.file_pattern)
        } else {
            format!("{directory}/{}", self.file_pattern)
        };
        Ok(format!(
            "bash -c '\n\
             echo \"Press [CTRL+C] to stop..\"\n\
             trap \"kill \\$tail_pid; exit\" INT\n\
             last_file=\"\"\n\
             tail_pid=\"\"\n\
             file_index=0\n\
             while :\n\
             do\n\
             current_last_file=`ls -t {path} | head -1`\n\
             if [ \"$last_file\" != \"$current_last_file\" ]\n\
             then\n\
             [ -n \"$tail_pid\" ] && kill $tail_pid\n\
             last_file=$current_last_file\n\
             if [ \"$file_index\" -eq 0 ]\n\
             then\n\
             tail -f $last_file &\n\
             else\n\
             tail -f -n +1 $last_file &\n\
             fi\n\
             tail_pid=$!\n\
             ((file_index=file_index+1))\n\
             fi\n\
             sleep 0.5\n\
             done'"
        ))
    }
    fn parser(&self) -> TailLatestFileParser {
        let causes: Vec<String> = DEFAULT_FAILURES.iter().map(|f| regex::escape(f)).collect();
        TailLatestFileParser {
            failures: regex(&format!("(?i){}", causes.join("|"))),
            // `command_line` refuses negative and not-a-number windows; too long is forever.
            window: Duration::try_from_secs_f64(self.time_for_failure).unwrap_or(Duration::MAX),
            first_line: None,
            deferred: Deferred::default(),
        }
    }
    fn setup(&self, command: Command<TailLatestFileParser>) -> Command<TailLatestFileParser> {
        // Failures are the parser's (they count only at first).
        command.no_default_failures().ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;

    #[test]
    fn a_failure_at_first_stops_the_loop_and_fails_a_later_one_does_not() {
        let t0 = Instant::now();
        let cmd = TailLatestFile::new("/tmp").file_pattern("none*");
        let line = cmd.command_line().unwrap();
        assert!(line.contains("ls -t /tmp/none* | head -1"), "{line}");
        let mut conn = Connection::new("t");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        let echo = format!("{line}\n");
        conn.handle_input(echo.as_bytes(), t0);
        conn.handle_input(b"ls: cannot access '/tmp/none*': No such file or directory\n", t0);
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\x03");
        // Another failing line before the loop stopped: the failure stays the first one and
        // the loop gets no second Ctrl-C.
        conn.handle_input(b"ls: cannot access '/tmp/none*': Permission denied\n", t0);
        assert_eq!(crate::testing::sent(&mut conn), "", "one Ctrl-C");
        conn.handle_input(b"^C\n$ ", t0);
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("No such file or directory"), "{err}");
        assert!(!err.contains("Permission denied"), "{err}");

        let cmd = TailLatestFile::new("/tmp");
        let mut conn = Connection::new("t");
        let done = conn.start(cmd.command_with_prompt(r"^\$ $"), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            format!("{}\nPress [CTRL+C] to stop..\n", cmd.command_line().unwrap()).as_bytes(),
            t0,
        );
        let later = t0 + Duration::from_secs(1);
        conn.handle_input(b"app: No such file or directory\n^C\n$ ", later);
        assert!(done.try_result().unwrap().is_ok(), "a followed file's text is not a failure");
    }

    #[test]
    fn a_negative_window_is_refused() {
        assert!(TailLatestFile::new("/tmp").time_for_failure(-1.0).command_line().is_err());
        let by_name: TailLatestFile = serde_json::from_str(r#"{"directory": "/tmp"}"#).unwrap();
        assert_eq!(by_name.time_for_failure, 0.1, "Moler's window");
        assert_eq!(by_name.file_pattern, "*");
        assert!(by_name.command_line().unwrap().contains("ls -t /tmp/* | head -1"));
        let slash = TailLatestFile::new("/tmp/").command_line().unwrap();
        assert!(slash.contains("ls -t /tmp/* | head -1"), "{slash}");
    }
}
