//! `which`: [`Which`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::own_errors;
use crate::spec::UnixCommand;
use crate::ParamError;

/// `which [-a] names…`; result `{name: [paths]}` (an empty list for a name not found).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Which {
    /// The programs to look for.
    pub names: Vec<String>,
    /// Every match in PATH, not only the first (`-a`).
    #[serde(default)]
    pub show_all: bool,
}

impl Which {
    /// Looks for these programs.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self { names: names.into_iter().map(Into::into).collect(), show_all: false }
    }
    /// Every match, not only the first.
    pub fn show_all(mut self, on: bool) -> Self {
        self.show_all = on;
        self
    }
}

/// Parser of [`Which`].
#[derive(Debug)]
pub struct WhichParser {
    found: BTreeMap<String, Vec<String>>,
}

impl Parser for WhichParser {
    type Output = BTreeMap<String, Vec<String>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        let line = line.trim();
        if partial || !line.starts_with('/') {
            return Ok(());
        }
        let base = line.rsplit('/').next().unwrap_or(line);
        if let Some(paths) = self.found.get_mut(base) {
            paths.push(line.to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.found))
    }
}

impl UnixCommand for Which {
    const NAME: &'static str = "which";
    type Parser = WhichParser;
    type Output = BTreeMap<String, Vec<String>>;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.names.is_empty() {
            return Err("parameter `names` needs at least one name".into());
        }
        let all = if self.show_all { " -a" } else { "" };
        Ok(format!("which{all} {}", self.names.join(" ")))
    }
    fn parser(&self) -> WhichParser {
        WhichParser { found: self.names.iter().map(|n| (n.clone(), Vec::new())).collect() }
    }
    fn setup(&self, command: Command<WhichParser>) -> Command<WhichParser> {
        own_errors(command, "which").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_all_asks_for_every_match() {
        let all = Which::new(["ls", "sh"]).show_all(true);
        assert_eq!(all.command_line().unwrap(), "which -a ls sh");
        assert_eq!(all.names, ["ls", "sh"]);
        assert_eq!(Which::new(["ls"]).command_line().unwrap(), "which ls");
    }
}
