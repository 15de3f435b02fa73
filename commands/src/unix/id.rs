//! `id`: [`Id`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, regex};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `id [user]`; result `{"UID": [{"ID", "NAME"}], "GID": […], "GROUPS": […]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Id {
    /// The user (none: the current one).
    pub user: Option<String>,
}
builder!(Id {}, user);

/// One id and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdName {
    /// The number.
    #[serde(rename = "ID")]
    pub id: u64,
    /// The name.
    #[serde(rename = "NAME")]
    pub name: String,
}

/// Result of [`Id`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdResult {
    /// The user.
    #[serde(rename = "UID")]
    pub uid: Vec<IdName>,
    /// The primary group.
    #[serde(rename = "GID")]
    pub gid: Vec<IdName>,
    /// All groups.
    #[serde(rename = "GROUPS")]
    pub groups: Vec<IdName>,
}

/// Parser of [`Id`].
#[derive(Debug)]
pub struct IdParser {
    pair: Arc<Regex>,
    result: Option<IdResult>,
}

impl Parser for IdParser {
    type Output = IdResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || !line.starts_with("uid=") {
            return Ok(());
        }
        let mut result = IdResult::default();
        for part in line.split_whitespace() {
            let Some((key, values)) = part.split_once('=') else { continue };
            let list = match key {
                "uid" => &mut result.uid,
                "gid" => &mut result.gid,
                "groups" => &mut result.groups,
                _ => continue,
            };
            for c in self.pair.captures_iter(values) {
                let id = c[1].parse().map_err(|e| {
                    ParseError::at_line(line, format!("id {:?} is not a number", &c[1]))
                        .with_source(e)
                })?;
                list.push(IdName { id, name: c[2].to_owned() });
            }
        }
        self.result = Some(result);
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn finish(&mut self) -> ParseResult<IdResult> {
        self.result.take().ok_or_else(|| "no `uid=` line in the output".into())
    }
}

impl UnixCommand for Id {
    const NAME: &'static str = "id";
    type Parser = IdParser;
    type Output = IdResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "id".to_owned();
        push_opt(&mut line, self.user.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IdParser {
        IdParser { pair: regex(r"(\d+)\(([^)]*)\)"), result: None }
    }
    fn setup(&self, command: Command<IdParser>) -> Command<IdParser> {
        own_errors(command, "id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    const PROMPT: &str = "^host:~ # $";

    #[test]
    fn the_command_line_names_the_user() {
        assert_eq!(Id::new().command_line().unwrap(), "id");
        assert_eq!(Id::new().user("bob").command_line().unwrap(), "id bob");
    }

    /// The `uid=` line is the result, whatever comes before or after it; output without one
    /// is no result (Moler's `ret_required`: the command does not end on the prompt).
    #[test]
    fn the_uid_line_is_the_result_and_nothing_else_is() {
        let id = |output: &[u8]| offline::parse(Id::new().command_with_prompt(PROMPT), [output]);
        let result = id(b"host:~ # id\nnote: ldap is slow\nuid=0(root) gid=0(root) groups=0(root),4(adm)\nthe end\nhost:~ # ")
            .unwrap();
        let name = |id, name: &str| IdName { id, name: name.to_owned() };
        assert_eq!(result.uid, [name(0, "root")]);
        assert_eq!(result.gid, [name(0, "root")]);
        assert_eq!(result.groups, [name(0, "root"), name(4, "adm")]);

        let err = id(b"host:~ # id\nnote: ldap is slow\nhost:~ # ").unwrap_err().to_string();
        assert!(err.contains("the output gave the command no result"), "{err}");
    }
}
