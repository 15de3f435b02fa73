//! `touch`: [`Touch`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `touch [options] path`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Touch {
    /// The file.
    pub path: String,
    /// `-a`, `-m`…
    pub options: Option<String>,
}
builder!(Touch { path: String }, options);

unix_command!(Touch, "touch", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "touch".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(format!("{line} {}", required("path", &s.path)?))
    },
    setup: |c| own_errors(c, "touch").ret_required(false));
