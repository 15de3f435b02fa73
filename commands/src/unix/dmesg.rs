//! `dmesg`: [`Dmesg`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{CollectLines, LinesResult};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `dmesg [options]`; result `{"LINES": [non-blank lines]}` (Moler also puts the final prompt
/// there when a newline follows it; it is not output of dmesg).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dmesg {
    /// `-T`, `-l err`…
    pub options: Option<String>,
}
builder!(Dmesg {}, options);

unix_command!(Dmesg, "dmesg", CollectLines<LinesResult>,
    |s| CollectLines::new(false, |lines| LinesResult { lines }),
    line: |s| {
        let mut line = "dmesg".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.ret_required(false));
