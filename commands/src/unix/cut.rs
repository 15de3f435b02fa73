//! `cut`: [`Cut`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{CollectLines, LinesResult};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `cut [options] [path]`; result `{"LINES": [non-blank lines]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// `-d ':' -f 1`…
    pub options: Option<String>,
    /// The file.
    pub path: Option<String>,
}
builder!(Cut {}, options, path);

unix_command!(Cut, "cut", CollectLines<LinesResult>,
    |s| CollectLines::new(false, |lines| LinesResult { lines }),
    line: |s| {
        let mut line = "cut".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, s.path.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"cut:\s").ret_required(false));
