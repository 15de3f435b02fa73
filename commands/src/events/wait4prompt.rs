//! `wait4prompt`: the event [`Wait4Prompt`].

use moler_core::Result;
use serde::{Deserialize, Serialize};

use super::line_event::{lines, Reading};
use super::{till, LineOccurrence, Records, UnixEvent};

/// `wait4prompt` (Moler's `Wait4prompt`): the prompt `prompt`, also on the unfinished last
/// line (where prompts are).
///
/// ```
/// use moler_commands::events::Wait4Prompt;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(Wait4Prompt { prompt: "^host:.*# $".into(), ..Default::default() }.event().unwrap(), Instant::now());
/// conn.handle_input(b"output\nhost:~ # ", Instant::now());
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!(found[0].line, "host:~ # ");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Prompt {
    /// The prompt regex.
    pub prompt: String,
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Wait4Prompt {
    const NAME: &'static str = "wait4prompt";
    type Record = LineOccurrence;
    fn event(&self) -> Result<Records<LineOccurrence>> {
        let how = Reading { full_lines_only: false, strip_escape_codes: true };
        lines(&[&self.prompt], till(self.till_occurs_times, 1)?, how)
    }
}
