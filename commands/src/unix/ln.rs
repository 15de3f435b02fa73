//! `ln`: [`Ln`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `ln options` (Moler's one parameter holds the options and the paths: `-s target name`);
/// result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ln {
    /// Options and paths (`-s file1 file2`).
    pub options: Option<String>,
}
builder!(Ln {}, options);

unix_command!(Ln, "ln", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "ln".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"ln:.*File exists").ret_required(false));
