//! `pwd`: [`Pwd`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::own_errors;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `pwd [options]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pwd {
    /// `-P`, `-L`.
    pub options: Option<String>,
}
builder!(Pwd {}, options);

/// Result of [`Pwd`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PwdResult {
    /// The last component.
    pub current_path: String,
    /// The whole path.
    pub full_path: String,
    /// The path without its last component.
    pub path_to_current: String,
}

/// Parser of [`Pwd`].
#[derive(Debug, Default)]
pub struct PwdParser(Option<PwdResult>);

impl Parser for PwdParser {
    type Output = PwdResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || !line.starts_with('/') || self.0.is_some() {
            return Ok(());
        }
        let (to, current) = match line.rfind('/') {
            Some(0) => ("/", &line[1..]),
            Some(i) => (&line[..i], &line[i + 1..]),
            None => unreachable!("the line starts with '/'"),
        };
        self.0 = Some(PwdResult {
            current_path: current.to_owned(),
            full_path: line.to_owned(),
            path_to_current: to.to_owned(),
        });
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> ParseResult<PwdResult> {
        self.0.take().ok_or_else(|| "no path in the output".into())
    }
}

unix_command!(Pwd, "pwd", PwdParser, |s| PwdParser::default(), line: |s| {
    let mut line = "pwd".to_owned();
    push_opt(&mut line, s.options.as_deref());
    Ok(line)
}, setup: |c| own_errors(c, "pwd"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    /// The first absolute path is the result; output without one is no result (Moler's
    /// `ret_required`).
    #[test]
    fn the_first_absolute_path_is_the_result() {
        let pwd =
            |output: &[u8]| offline::parse(Pwd::new().command_with_prompt("^host:~ # $"), [output]);
        let got = pwd(b"host:~ # pwd\nnote\n/home/ute\n/other\nhost:~ # ").unwrap();
        assert_eq!((got.full_path.as_str(), got.path_to_current.as_str()), ("/home/ute", "/home"));
        assert_eq!(pwd(b"host:~ # pwd\n/\nhost:~ # ").unwrap().path_to_current, "/");
        let err = pwd(b"host:~ # pwd\nnote\nhost:~ # ").unwrap_err().to_string();
        assert!(err.contains("the output gave the command no result"), "{err}");
    }
}
