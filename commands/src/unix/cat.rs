//! `cat`: [`Cat`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, CollectLines, LinesResult};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `cat path [options]`; result `{"LINES": [non-blank lines]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cat {
    /// The file(s).
    pub path: String,
    /// `-b`, `-n`…
    pub options: Option<String>,
}
builder!(Cat { path: String }, options);

unix_command!(Cat, "cat", CollectLines<LinesResult>,
    |s| CollectLines::new(false, |lines| LinesResult { lines }),
    line: |s| {
        let mut line = format!("cat {}", required("path", &s.path)?);
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "cat").ret_required(false));
