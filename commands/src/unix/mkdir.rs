//! `mkdir`: [`Mkdir`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `mkdir path [options]`; result `{}`.
    Mkdir, "mkdir",
    { /// The directory.
      path: String, /// `-p`, `-m 700`…
      options: Option<String> },
    required { path }, optional { options },
    line: |s| {
        let mut line = format!("mkdir {}", required("path", &s.path)?);
        push_opt(&mut line, opt(&s.options));
        Ok(line)
    }
);
