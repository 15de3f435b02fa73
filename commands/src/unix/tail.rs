//! `tail`: [`Tail`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, yes, CollectLines, LinesResult};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `tail path [options]`; result `{"LINES": [...]}`. A `tail: …` line fails the command; by default only as the first output line
/// (Moler's `failure_only_in_first_line`): later ones are the file's text.
///
/// ```
/// use moler_commands::unix::Tail;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let log = "tail log\nstarted\ntail: x: No such file or directory\n$ ";
/// for (first_only, ok) in [(true, true), (false, false)] {
///     let spec = Tail::new("log").with_failure_only_in_first_line(first_only);
///     let mut conn = Connection::new("demo");
///     let done = conn.start(spec.command_with_prompt("^\\$ $"), Instant::now());
///     conn.handle_input(log.as_bytes(), Instant::now());
///     assert_eq!(done.try_result().unwrap().is_ok(), ok);
/// }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tail {
    /// The file(s).
    pub path: String,
    /// `-n 3`…
    pub options: Option<String>,
    /// Only the first output line may be a failure (default true, as Moler).
    #[serde(default = "yes")]
    pub failure_only_in_first_line: bool,
}

impl Default for Tail {
    fn default() -> Self {
        Self { path: String::new(), options: None, failure_only_in_first_line: true }
    }
}
builder!(Tail { path: String }, options);

impl Tail {
    /// Whether only the first output line may be a failure.
    pub fn with_failure_only_in_first_line(mut self, on: bool) -> Self {
        self.failure_only_in_first_line = on;
        self
    }
}

impl UnixCommand for Tail {
    const NAME: &'static str = "tail";
    type Parser = CollectLines<LinesResult>;
    type Output = LinesResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = format!("tail {}", required("path", &self.path)?);
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> CollectLines<LinesResult> {
        CollectLines::new(false, |lines| LinesResult { lines })
    }
    fn setup(
        &self,
        command: Command<CollectLines<LinesResult>>,
    ) -> Command<CollectLines<LinesResult>> {
        own_errors(command, "tail")
            .ret_required(false)
            .failures_in_first_line_only(self.failure_only_in_first_line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    /// As `cat`'s: told so, a `tail: …` line further down is a failure too.
    #[test]
    fn failures_in_every_line_when_told() {
        let output = b"host:~ # tail notes\nfirst\ntail: not a failure here\nhost:~ # ";
        let tail = |t: Tail| offline::parse(t.command_with_prompt("^host:~ # $"), [&output[..]]);
        assert_eq!(tail(Tail::new("notes")).unwrap().lines.len(), 2);
        let every_line = Tail::new("notes").with_failure_only_in_first_line(false);
        let err = tail(every_line).unwrap_err().to_string();
        assert!(err.contains("tail: not a failure here"), "{err}");
    }
}
