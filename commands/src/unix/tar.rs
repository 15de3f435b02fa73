//! `tar`: [`Tar`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{builder, unix_command, UnixCommand};

/// `tar options file`; result `{}` (what tar lists is not parsed, as in Moler).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tar {
    /// `xzvf`, `-czf`…
    pub options: String,
    /// The archive.
    pub file: String,
}
builder!(Tar { options: String, file: String });

unix_command!(Tar, "tar", Nothing, |s| Nothing,
    line: |s| Ok(format!("tar {} {}", required("options", &s.options)?, required("file", &s.file)?)),
    setup: |c| c.ret_required(false));
