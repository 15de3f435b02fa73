//! `sw`: [`Sw`] and its parameters; its parser is [`Nothing`].

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::{opt_word, word, PDU_FAILURES, PDU_PROMPT};
use crate::unix::Nothing;
use crate::{ParamError, UnixCommand};

/// `sw OUTLET CONTROL [OPTION]`: switches an outlet (`on`, `off`, `reboot`; option `imme` or
/// `delay`); result `{}`. The PDU's `Not Support` fails it.
///
/// ```
/// use moler_commands::pdu_aten::Sw;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("pdu");
/// let done = conn.start(Sw::new("o01", "off").option("imme").command(), Instant::now());
/// conn.handle_input(b"sw o01 off imme\r\n Outlet<01> command is setting\r\n\r\n>", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sw {
    /// The outlet (`o01`).
    pub outlet: String,
    /// `on`, `off` or `reboot`.
    pub control: String,
    /// `imme` or `delay`.
    pub option: Option<String>,
}

impl Sw {
    /// `sw OUTLET CONTROL`.
    pub fn new(outlet: impl Into<String>, control: impl Into<String>) -> Self {
        Self { outlet: outlet.into(), control: control.into(), option: None }
    }

    /// Sets `option`.
    pub fn option(mut self, option: impl Into<String>) -> Self {
        self.option = Some(option.into());
        self
    }
}

impl UnixCommand for Sw {
    const NAME: &'static str = "sw";
    type Parser = Nothing;
    type Output = crate::Empty;

    fn command_line(&self) -> Result<String, ParamError> {
        let mut line =
            format!("sw {} {}", word("outlet", &self.outlet)?, word("control", &self.control)?);
        if let Some(o) = opt_word("option", &self.option)? {
            line.push(' ');
            line.push_str(o);
        }
        Ok(line)
    }

    fn parser(&self) -> Nothing {
        Nothing
    }

    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.no_default_failures().failure(PDU_FAILURES).ret_required(false)
    }

    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        shell_prompt.or(Some(PDU_PROMPT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn without_a_device_s_prompt_only_the_pdu_s_ends_it() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(Sw::new("o01", "on").option("imme").command(), Instant::now());
        conn.handle_input(b"sw o01 on imme\r\n Outlet<01> command is setting\r\n", Instant::now());
        conn.handle_input(b"user@host:~$ ", Instant::now());
        assert!(!done.is_done(), "another shell's prompt is not the PDU's");
        conn.handle_input(b"\r\n>", Instant::now());
        assert!(done.try_result().expect("ended").is_ok());
    }

    #[test]
    fn not_support_fails_and_words_are_required() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(Sw::new("o01", "sideways").command(), Instant::now());
        conn.handle_input(b"sw o01 sideways\r\n Not Support\r\n\r\n>", Instant::now());
        assert!(done.try_result().unwrap().is_err());
        assert!(matches!(Sw::new("o01", "").command_line(), Err(ParamError::Missing(_))));
        assert!(Sw::new("o01", "on").option("a b").command_line().is_err());
        assert_eq!(Sw::new("o01", "on").option("imme").command_line().unwrap(), "sw o01 on imme");
        assert_eq!(Sw::new("o01", "on").option(" ").command_line().unwrap(), "sw o01 on");
    }
}
