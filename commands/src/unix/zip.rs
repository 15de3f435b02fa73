//! `zip`: [`Zip`], its parameters, its result and its parser.

use std::time::Duration;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `zip [options] zip_file file_name`; result `{}`. Its default timeout is Moler's 60 s.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zip {
    /// `-r`, `-0`…
    pub options: Option<String>,
    /// What to add (a file, or several separated by blanks).
    pub file_name: String,
    /// The archive.
    pub zip_file: String,
}
builder!(Zip { zip_file: String, file_name: String }, options);

impl UnixCommand for Zip {
    const NAME: &'static str = "zip";
    type Parser = Nothing;
    type Output = crate::Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "zip".to_owned();
        push_opt(&mut line, self.options.as_deref());
        let zip_file = required("zip_file", &self.zip_file)?;
        Ok(format!("{line} {zip_file} {}", required("file_name", &self.file_name)?))
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.failure("zip error:").ret_required(false)
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(60)
    }
}
