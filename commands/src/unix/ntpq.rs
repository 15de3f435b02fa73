//! `ntpq`: [`Ntpq`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ntpq [options]`; result (Moler's shape) the peer table as `{remote: {column: value}}`,
/// columns named by the header (`remote`, `refid`, `st`, `t`, `when`, `poll`, `reach`,
/// `delay`, `offset`, `jitter`), values as printed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ntpq {
    /// `-p`, `-pn`…
    pub options: Option<String>,
}
builder!(Ntpq {}, options);

/// A table line has more than this many words (shorter lines are rules and notes).
const MIN_WORDS: usize = 4;

/// Parser of [`Ntpq`].
#[derive(Debug, Default)]
pub struct NtpqParser {
    headers: Vec<String>,
    result: BTreeMap<String, BTreeMap<String, String>>,
}

impl Parser for NtpqParser {
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let w: Vec<&str> = words(line).map(|(_, w)| w).collect();
        if w.len() <= MIN_WORDS {
            return Ok(());
        }
        if self.headers.is_empty() {
            self.headers = w.iter().map(|w| (*w).to_owned()).collect();
            return Ok(());
        }
        let row = self.headers.iter().cloned().zip(w.iter().map(|w| (*w).to_owned())).collect();
        self.result.insert(w[0].to_owned(), row);
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.headers.is_empty()
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ntpq {
    const NAME: &'static str = "ntpq";
    type Parser = NtpqParser;
    type Output = BTreeMap<String, BTreeMap<String, String>>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ntpq".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> NtpqParser {
        NtpqParser::default()
    }
    fn setup(&self, command: Command<NtpqParser>) -> Command<NtpqParser> {
        // No peers (`No association ID's returned`) is an empty table, not a wait for one
        // (Moler waits for a result until its timeout).
        own_errors(command, "ntpq")
            .failure(r"Connection refused|^\S+: timed out")
            .ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn no_peers_is_an_empty_table() {
        let out = "ntpq -p\nNo association ID's returned\n$ ";
        let got = offline::parse_capture(
            Ntpq::new().options("-p").command_with_prompt(r"^\$ $"),
            out.as_bytes(),
        );
        assert!(got.unwrap().is_empty());
    }
}
