//! `chown`: [`Chown`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `chown [options] param filename`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chown {
    /// The new owner (`user`, `user:group`).
    pub param: String,
    /// The file(s).
    pub filename: String,
    /// `-R`…
    pub options: Option<String>,
}
builder!(Chown { param: String, filename: String }, options);

unix_command!(Chown, "chown", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "chown".to_owned();
        push_opt(&mut line, s.options.as_deref());
        let param = required("param", &s.param)?;
        Ok(format!("{line} {param} {}", required("filename", &s.filename)?))
    },
    setup: |c| c
        .failure(r"chown: missing operand after|chown: cannot access|chown: changing ownership of")
        .ret_required(false));
