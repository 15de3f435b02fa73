//! `head`: [`Head`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::file_lines_command;
use super::parse::{own_errors, required, CollectLines, LinesResult};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

file_lines_command!(
    /// `head path [options]`; result `{"LINES": [...]}`.
    Head, "head", path: "The file.", options: "`-n 3`…"
);
