//! `uname`: [`Uname`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, CollectLines, ResultLines};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `uname [options]`; result `{"RESULT": [lines]}`. As in Moler, it ends on the prompt whatever
/// came before it: no line is an empty `RESULT`, not a wait for one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uname {
    /// `-a`, `-r`…
    pub options: Option<String>,
}
builder!(Uname {}, options);

unix_command!(Uname, "uname", CollectLines<ResultLines>,
    |s| CollectLines::new(false, |result| ResultLines { result }),
    line: |s| {
        let mut line = "uname".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "uname"));
