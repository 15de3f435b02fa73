//! `chmod`: [`Chmod`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `chmod [options] permission filename`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chmod {
    /// `755`, `u+x`…
    pub permission: String,
    /// The file.
    pub filename: String,
    /// `-R`…
    pub options: Option<String>,
}
builder!(Chmod { permission: String, filename: String }, options);

unix_command!(Chmod, "chmod", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "chmod".to_owned();
        push_opt(&mut line, s.options.as_deref());
        let permission = required("permission", &s.permission)?;
        Ok(format!("{line} {permission} {}", required("filename", &s.filename)?))
    },
    setup: |c| own_errors(c, "chmod").ret_required(false));
