//! `find`: [`Find`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `find [options] [paths…] [operators]`; result `{"RESULT": [paths found]}`. Lines of
/// `find: …: Permission denied` are skipped; other complaints of find or the shell fail it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Find {
    /// Where to look (none: the current folder).
    pub paths: Option<Vec<String>>,
    /// Options before the paths (`-L`).
    pub options: Option<String>,
    /// Expression after the paths (`-name 'my*' -type f`).
    pub operators: Option<String>,
}
builder!(Find {}, options, operators);

impl Find {
    /// Sets the paths to search.
    pub fn paths<S: Into<String>>(mut self, paths: impl IntoIterator<Item = S>) -> Self {
        self.paths = Some(paths.into_iter().map(Into::into).collect());
        self
    }
}

/// Parser of [`Find`].
#[derive(Debug)]
pub struct FindParser {
    complaint: Arc<Regex>,
    result: super::parse::ResultLines,
}

impl Parser for FindParser {
    type Output = super::parse::ResultLines;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        // Complaints are the command's failures (see `setup`), not paths.
        if !partial && !self.complaint.is_match(line) {
            self.result.result.push(line.to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<super::parse::ResultLines> {
        Ok(std::mem::take(&mut self.result))
    }
}

const FIND_COMPLAINT: &str = r"(?i)^-?(?:find|bash):\s";

impl UnixCommand for Find {
    const NAME: &'static str = "find";
    type Parser = FindParser;
    type Output = super::parse::ResultLines;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "find".to_owned();
        push_opt(&mut line, self.options.as_deref());
        for path in self.paths.iter().flatten() {
            push_opt(&mut line, Some(path));
        }
        push_opt(&mut line, self.operators.as_deref());
        Ok(line)
    }
    fn parser(&self) -> FindParser {
        FindParser { complaint: regex(FIND_COMPLAINT), result: Default::default() }
    }
    fn setup(&self, command: Command<FindParser>) -> Command<FindParser> {
        command
            .no_default_failures()
            .failure(FIND_COMPLAINT)
            .failure_exception(r"(?i)^find:\s.*Permission denied")
            .ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_puts_options_then_paths_then_operators() {
        let find =
            Find::new().options("-L").paths(["/etc", "/var/log"]).operators("-name '*.conf'");
        assert_eq!(find.command_line().unwrap(), "find -L /etc /var/log -name '*.conf'");
        assert_eq!(Find::new().command_line().unwrap(), "find");
    }
}
