//! `touch`: [`Touch`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `touch [options] path`; result `{}`.
    Touch, "touch",
    { /// The file.
      path: String, /// `-a`, `-m`…
      options: Option<String> },
    required { path }, optional { options },
    line: |s| {
        let mut line = "touch".to_owned();
        push_opt(&mut line, opt(&s.options));
        Ok(format!("{line} {}", required("path", &s.path)?))
    }
);
