//! `tee`: [`Tee`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing, Words};
use crate::spec::UnixCommand;
use crate::ParamError;

/// `tee path << border`, then the content's lines and `border` (a here-document), typed at
/// once; result `{}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tee {
    /// The file to write.
    pub path: String,
    /// The content: one string (lines separated by `\n`) or a list of lines.
    pub content: Words,
    /// The here-document's end marker (default `END_OF_FILE`); no content line may be it.
    #[serde(default = "end_of_file")]
    pub border: String,
}

fn end_of_file() -> String {
    "END_OF_FILE".to_owned()
}

impl Tee {
    /// `tee` writing `content` to `path`.
    pub fn new(path: impl Into<String>, content: impl Into<Words>) -> Self {
        Self { path: path.into(), content: content.into(), border: end_of_file() }
    }
    /// Sets `border`.
    pub fn border(mut self, border: impl Into<String>) -> Self {
        self.border = border.into();
        self
    }
    /// The here-document's lines, `border` last.
    fn document(&self) -> Vec<String> {
        let mut lines: Vec<String> = match &self.content {
            Words::One(text) => text.split('\n').map(str::to_owned).collect(),
            Words::Many(lines) => lines.clone(),
        };
        lines.push(self.border.clone());
        lines
    }
}

impl UnixCommand for Tee {
    const NAME: &'static str = "tee";
    type Parser = Nothing;
    type Output = crate::Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let border = required("border", &self.border)?;
        let document = self.document();
        if document[..document.len() - 1].iter().any(|l| l == border) {
            return Err(format!("a line of `content` is the border {border:?}").into());
        }
        Ok(format!("tee {} << {border}", required("path", &self.path)?))
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        // Moler sends each line of the document after a line of output (the shell's `> `);
        // a shell without a PS2 prints none. The document typed at once, after the command
        // line, reaches the shell the same way. Typed as lines (`types`, not `sends`): after a
        // command whose prompt did not come back, it waits for the prompt as any line does.
        let mut text = command.command().to_owned();
        for line in self.document() {
            text.push('\n');
            text.push_str(&line);
        }
        command.types(text).ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_typed_with_the_command_line() {
        let tee = Tee::new("f", "a\nb");
        assert_eq!(tee.command_line().unwrap(), "tee f << END_OF_FILE");
        assert_eq!(tee.document(), ["a", "b", "END_OF_FILE"]);
        let list = Tee::new("f", ["x", "y"]).border("EOF");
        assert_eq!(list.document(), ["x", "y", "EOF"]);
    }

    #[test]
    fn a_content_line_equal_to_the_border_is_refused() {
        // It would end the here-document early and run the rest as commands.
        let err = Tee::new("f", ["x", "END_OF_FILE", "rm -rf y"]).command_line().unwrap_err();
        assert!(err.to_string().contains("border"));
    }
}
