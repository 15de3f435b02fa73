//! `rm`: [`Rm`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `rm [options] file`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rm {
    /// The file(s).
    pub file: String,
    /// `-R`, `-f`…
    pub options: Option<String>,
}
builder!(Rm { file: String }, options);

unix_command!(Rm, "rm", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "rm".to_owned();
        push_opt(&mut line, s.options.as_deref());
        line.push(' ');
        line.push_str(required("file", &s.file)?);
        Ok(line)
    },
    setup: |c| own_errors(c, "rm").ret_required(false));
