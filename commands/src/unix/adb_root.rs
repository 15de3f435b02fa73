//! `adb_root`: [`AdbRoot`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `adb root [options]`: restarts adbd as root; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdbRoot {
    /// Options after `root`.
    pub options: Option<String>,
}
builder!(AdbRoot {}, options);

unix_command!(AdbRoot, "adb_root", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "adb root".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"^adb: |^error:|adbd cannot run as root").ret_required(false));
