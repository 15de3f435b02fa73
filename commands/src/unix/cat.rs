//! `cat`: [`Cat`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, yes, CollectLines, LinesResult};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `cat path [options]`; result `{"LINES": [non-blank lines]}`. A `cat: …` line fails the command; by default only as the first output line
/// (Moler's `failure_only_in_first_line`): later ones are the file's text.
///
/// ```
/// use moler_commands::unix::Cat;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let log = "cat log\nstarted\ncat: x: No such file or directory\n$ ";
/// for (first_only, ok) in [(true, true), (false, false)] {
///     let spec = Cat::new("log").with_failure_only_in_first_line(first_only);
///     let mut conn = Connection::new("demo");
///     let done = conn.start(spec.command_with_prompt("^\\$ $"), Instant::now());
///     conn.handle_input(log.as_bytes(), Instant::now());
///     assert_eq!(done.try_result().unwrap().is_ok(), ok);
/// }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cat {
    /// The file(s).
    pub path: String,
    /// `-b`, `-n`…
    pub options: Option<String>,
    /// Only the first output line may be a failure (default true, as Moler).
    #[serde(default = "yes")]
    pub failure_only_in_first_line: bool,
}

impl Default for Cat {
    fn default() -> Self {
        Self { path: String::new(), options: None, failure_only_in_first_line: true }
    }
}
builder!(Cat { path: String }, options);

impl Cat {
    /// Whether only the first output line may be a failure.
    pub fn with_failure_only_in_first_line(mut self, on: bool) -> Self {
        self.failure_only_in_first_line = on;
        self
    }
}

impl UnixCommand for Cat {
    const NAME: &'static str = "cat";
    type Parser = CollectLines<LinesResult>;
    type Output = LinesResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = format!("cat {}", required("path", &self.path)?);
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
        own_errors(command, "cat")
            .ret_required(false)
            .failures_in_first_line_only(self.failure_only_in_first_line)
    }
}
