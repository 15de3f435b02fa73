//! `head`: [`Head`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, CollectLines, LinesResult};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `head path [options]`; result `{"LINES": [...]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// The file.
    pub path: String,
    /// `-n 3`…
    pub options: Option<String>,
}
builder!(Head { path: String }, options);

unix_command!(Head, "head", CollectLines<LinesResult>,
    |s| CollectLines::new(false, |lines| LinesResult { lines }),
    line: |s| {
        let mut line = format!("head {}", required("path", &s.path)?);
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "head").ret_required(false));
