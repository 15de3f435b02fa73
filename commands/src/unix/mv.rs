//! `mv`: [`Mv`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `mv src dst [options]`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mv {
    /// Source.
    pub src: String,
    /// Destination.
    pub dst: String,
    /// `-f`…
    pub options: Option<String>,
}
builder!(Mv { src: String, dst: String }, options);

unix_command!(Mv, "mv", Nothing, |s| Nothing,
    line: |s| {
        let mut line = format!("mv {} {}", required("src", &s.src)?, required("dst", &s.dst)?);
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "mv").ret_required(false));
