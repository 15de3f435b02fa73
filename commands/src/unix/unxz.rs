//! `unxz`: [`Unxz`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `unxz [options] xz_file`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unxz {
    /// The archive.
    pub xz_file: String,
    /// `-k`, `-c`…
    pub options: Option<String>,
}
builder!(Unxz { xz_file: String }, options);

unix_command!(Unxz, "unxz", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "unxz".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(format!("{line} {}", required("xz_file", &s.xz_file)?))
    },
    setup: |c| c.failure(r"^unxz: ").ret_required(false));
