//! `chmod`: [`Chmod`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `chmod [options] permission filename`; result `{}`.
    Chmod, "chmod",
    { /// `755`, `u+x`…
      permission: String, /// The file.
      filename: String, /// `-R`…
      options: Option<String> },
    required { permission, filename }, optional { options },
    line: |s| {
        let mut line = "chmod".to_owned();
        push_opt(&mut line, opt(&s.options));
        let permission = required("permission", &s.permission)?;
        Ok(format!("{line} {permission} {}", required("filename", &s.filename)?))
    }
);
