//! `mv`: [`Mv`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `mv src dst [options]`; result `{}`.
    Mv, "mv",
    { /// Source.
      src: String, /// Destination.
      dst: String, /// `-f`…
      options: Option<String> },
    required { src, dst }, optional { options },
    line: |s| {
        let mut line = format!("mv {} {}", required("src", &s.src)?, required("dst", &s.dst)?);
        push_opt(&mut line, opt(&s.options));
        Ok(line)
    }
);
