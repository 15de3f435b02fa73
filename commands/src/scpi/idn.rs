//! `idn`: [`Idn`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use crate::{ParamError, UnixCommand};

/// `*idn?`: the instrument's identity; result `{"RAW_OUTPUT": [lines]}`, every output line.
///
/// ```
/// use moler_commands::scpi::Idn;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("scpi");
/// let done = conn.start(Idn::new().command(), Instant::now());
/// conn.handle_input(b"*idn?\r\nAgilent Technologies,N9020A,MY53420262,A.13.15\r\nSCPI>", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap().raw_output[0], "Agilent Technologies,N9020A,MY53420262,A.13.15");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Idn {}

impl Idn {
    /// `*idn?`.
    pub fn new() -> Self {
        Self {}
    }
}

/// The result of [`Idn`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdnResult {
    /// The output lines.
    #[serde(rename = "RAW_OUTPUT")]
    pub raw_output: Vec<String>,
}

/// Parser of [`Idn`]. As Moler's, it has a result from the start (an empty list): the prompt
/// ends the command whatever came before it.
#[derive(Debug, Default)]
pub struct IdnParser(Vec<String>);

impl Parser for IdnParser {
    type Output = IdnResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.0.push(line.to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<IdnResult> {
        Ok(IdnResult { raw_output: std::mem::take(&mut self.0) })
    }
}

impl UnixCommand for Idn {
    const NAME: &'static str = "idn";
    type Parser = IdnParser;
    type Output = IdnResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("*idn?".to_owned())
    }
    fn parser(&self) -> IdnParser {
        IdnParser::default()
    }
    fn setup(&self, command: Command<IdnParser>) -> Command<IdnParser> {
        command.no_default_failures()
    }
}
