//! `sed`: [`Sed`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, shell_quote, CollectLines, ResultLines};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `sed [options] -e script… -f file… input… [> output_file]`; result `{"RESULT": [lines]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sed {
    /// The input files.
    pub input_files: Vec<String>,
    /// Options (`-i`, `-n`…).
    pub options: Option<String>,
    /// Scripts, each given with `-e`.
    #[serde(default)]
    pub scripts: Vec<String>,
    /// Script files, each given with `-f`.
    #[serde(default)]
    pub script_files: Vec<String>,
    /// Redirect the output to this file.
    pub output_file: Option<String>,
}
builder!(Sed {}, options, output_file);

impl Sed {
    /// Adds an input file.
    pub fn input_file(mut self, file: impl Into<String>) -> Self {
        self.input_files.push(file.into());
        self
    }
    /// Adds a script (`-e`).
    pub fn script(mut self, script: impl Into<String>) -> Self {
        self.scripts.push(script.into());
        self
    }
    /// Adds a script file (`-f`).
    pub fn script_file(mut self, file: impl Into<String>) -> Self {
        self.script_files.push(file.into());
        self
    }
}

unix_command!(Sed, "sed", CollectLines<ResultLines>,
    |s| CollectLines::new(false, |result| ResultLines { result }),
    line: |s| {
        if s.input_files.is_empty() {
            return Err("parameter `input_files` needs at least one file".into());
        }
        if s.scripts.is_empty() && s.script_files.is_empty() {
            return Err("give `scripts` or `script_files`".into());
        }
        let mut line = "sed".to_owned();
        push_opt(&mut line, s.options.as_deref());
        for script in &s.scripts {
            line.push_str(&format!(" -e '{}'", script.replace('\'', r"'\''")));
        }
        for file in &s.script_files {
            line.push_str(&format!(" -f {}", shell_quote(file)));
        }
        for file in &s.input_files {
            line.push(' ');
            line.push_str(&shell_quote(file));
        }
        if let Some(out) = &s.output_file {
            line.push_str(&format!(" > {}", shell_quote(out)));
        }
        Ok(line)
    },
    setup: |c| own_errors(c, "sed").ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_required_parameters_are_named() {
        assert!(Sed::new()
            .input_file("f")
            .command_line()
            .unwrap_err()
            .to_string()
            .contains("scripts"));
    }
}
