//! `adb_forward`: [`AdbForward`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, CollectLines, LinesResult};
use crate::spec::{builder, unix_command, UnixCommand};

/// `adb forward options` (`tcp:5678 tcp:6789`, `--list`…); result: the output lines
/// (`{"LINES": [...]}`: the port adb chose for `tcp:0`, the list).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdbForward {
    /// What to forward, or `--list`, `--remove …`.
    pub options: String,
}
builder!(AdbForward { options: String });

unix_command!(AdbForward, "adb_forward", CollectLines<LinesResult>,
    |s| CollectLines::new(true, |lines| LinesResult { lines }),
    line: |s| Ok(format!("adb forward {}", required("options", &s.options)?.trim())),
    setup: |c| c.failure(r"^adb: |^error:").ret_required(false));
