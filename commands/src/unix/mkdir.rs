//! `mkdir`: [`Mkdir`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `mkdir path [options]`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mkdir {
    /// The directory.
    pub path: String,
    /// `-p`, `-m 700`…
    pub options: Option<String>,
}
builder!(Mkdir { path: String }, options);

unix_command!(Mkdir, "mkdir", Nothing, |s| Nothing,
    line: |s| {
        let mut line = format!("mkdir {}", required("path", &s.path)?);
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "mkdir").ret_required(false));
