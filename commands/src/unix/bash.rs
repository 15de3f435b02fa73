//! `bash`: [`Bash`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{unix_command, UnixCommand};

fn default_bash() -> String {
    "TERM=xterm-mono bash".to_owned()
}

/// Starts a (nested) bash: sends `bash` (default `TERM=xterm-mono bash`) and ends at the
/// prompt; result `{}`. The new shell must show the same prompt (set it in its rc file, or
/// follow with `export PS1=…` and an `echo` ending at the new prompt).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bash {
    /// The line that starts the shell.
    #[serde(default = "default_bash")]
    pub bash: String,
}

impl Default for Bash {
    fn default() -> Self {
        Self { bash: default_bash() }
    }
}

impl Bash {
    /// `TERM=xterm-mono bash`.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the line that starts the shell (`bash --norc`, `sh`…).
    pub fn bash(mut self, line: impl Into<String>) -> Self {
        self.bash = line.into();
        self
    }
}

unix_command!(Bash, "bash", Nothing, |s| Nothing,
    line: |s| Ok(required("bash", &s.bash)?.trim().to_owned()),
    setup: |c| c.ret_required(false));
