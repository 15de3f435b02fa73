//! `chgrp`: [`Chgrp`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing, Words};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `chgrp [options] group files…`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chgrp {
    /// The files: a list (or one string).
    pub files: Words,
    /// The group (or `--reference=file`).
    pub group: String,
    /// `-R`…
    pub options: Option<String>,
}
builder!(Chgrp { files: Words, group: String }, options);

unix_command!(Chgrp, "chgrp", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "chgrp".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, Some(required("group", &s.group)?));
        push_opt(&mut line, Some(&s.files.joined()));
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)chgrp:\s").ret_required(false));
