//! `rm`: [`Rm`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `rm [options] file`; result `{}`.
    Rm, "rm",
    { /// The file(s).
      file: String, /// `-R`, `-f`…
      options: Option<String> },
    required { file }, optional { options },
    line: |s| {
        let mut line = "rm".to_owned();
        push_opt(&mut line, opt(&s.options));
        line.push(' ');
        line.push_str(required("file", &s.file)?);
        Ok(line)
    }
);
