//! `echo`: [`Echo`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{yes, CollectLines, ResultLines};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `echo [options] 'text'`; result `{"RESULT": [lines]}` (blank lines kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// `-n`, `-e`.
    pub options: Option<String>,
    /// The text; control characters are written as escapes (`\n`, `\x08`) in the command line.
    pub text: Option<String>,
    /// Single-quote the text (default); off to let the shell expand it (`$TERM`).
    #[serde(default = "yes")]
    pub text_in_quotation: bool,
    /// Write the text to this file instead (`echo 'x' > file`); the result is then empty.
    pub output_file: Option<String>,
    /// `>` (default: truncate) or `>>` (append), with `output_file`.
    pub write_mode: Option<String>,
}

impl Default for Echo {
    fn default() -> Self {
        Self {
            options: None,
            text: None,
            text_in_quotation: true,
            output_file: None,
            write_mode: None,
        }
    }
}
builder!(Echo {}, options, text, output_file, write_mode);

impl Echo {
    /// Whether to single-quote the text.
    pub fn text_in_quotation(mut self, on: bool) -> Self {
        self.text_in_quotation = on;
        self
    }
}

/// Writes control characters as the escapes `echo -e` understands.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

unix_command!(Echo, "echo", CollectLines<ResultLines>,
    |s| CollectLines::new(true, |result| ResultLines { result }),
    line: |s| {
        let mut line = "echo".to_owned();
        push_opt(&mut line, s.options.as_deref());
        if let Some(text) = &s.text {
            let text = escape_controls(text);
            line.push(' ');
            if s.text_in_quotation {
                line.push_str(&format!("'{}'", text.replace('\'', r"'\''")));
            } else {
                line.push_str(&text);
            }
        }
        if let Some(file) = s.output_file.as_deref().filter(|f| !f.is_empty()) {
            let mode = match s.write_mode.as_deref() {
                None | Some(">") => ">",
                Some(">>") => ">>",
                Some(other) => {
                    let why = format!("must be '>' or '>>', not {other:?}");
                    return Err(crate::ParamError::value("write_mode", why));
                }
            };
            line.push_str(&format!(" {mode} {file}"));
        }
        Ok(line)
    },
    setup: |c| c.ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes() {
        assert_eq!(escape_controls("a\nb\rc\td\x08e"), "a\\nb\\rc\\td\\x08e");
        let line = Echo::new().text("it's").command_line().unwrap();
        assert_eq!(line, r"echo 'it'\''s'");
    }

    #[test]
    fn the_text_is_quoted_unless_told_not_to_be() {
        let echo = Echo::new().text("$HOME it's").options("-n");
        assert_eq!(echo.command_line().unwrap(), r"echo -n '$HOME it'\''s'");
        let bare = echo.text_in_quotation(false).command_line().unwrap();
        assert_eq!(bare, "echo -n $HOME it's");
        let json: Echo = serde_json::from_value(serde_json::json!({"text": "$A"})).unwrap();
        assert_eq!(json.command_line().unwrap(), "echo '$A'", "quoted by default in JSON too");
    }

    #[test]
    fn the_text_goes_to_a_file_truncated_or_appended() {
        let echo = Echo::new().text("x").output_file("/tmp/f");
        assert_eq!(echo.command_line().unwrap(), "echo 'x' > /tmp/f");
        let append = echo.clone().write_mode(">>");
        assert_eq!(append.command_line().unwrap(), "echo 'x' >> /tmp/f");
        let e = echo.write_mode("|").command_line().unwrap_err().to_string();
        assert!(e.contains("write_mode") && e.contains("\"|\""), "{e}");
    }
}
