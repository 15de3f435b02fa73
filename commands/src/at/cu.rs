//! `cu`: [`Cu`] and its parameters.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::generic::{one_line, AtValue};
use super::hop::{port_name, unix_failures, SerialHopParser};
use crate::{Empty, ParamError, UnixCommand};

/// `cu -l /dev/ttyS<serial_devname> -s 19200 -E '-' [options]`: opens the serial line of a
/// modem from a shell (the hop into `AT_REMOTE`); ends on cu's `Connected.`. Result `{}`.
///
/// Fails on cu's complaints (`cu: /dev/ttyS5: Line in use`, `Permission denied`, Moler's unix
/// failure causes), reported when the shell's prompt is back; and, when the shell's prompt is
/// known ([`UnixCommand::command_with_prompt`]), on that prompt coming back at all.
///
/// ```
/// use moler_commands::at::Cu;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("shell");
/// let cu = conn.start(Cu::new(5).command_with_prompt(r"^\$ $"), Instant::now());
/// conn.handle_input(b"cu -l /dev/ttyS5 -s 19200 -E '-'\r\ncu: /dev/ttyS5: Line in use\r\n$ ", Instant::now());
/// let err = cu.try_result().unwrap().unwrap_err();
/// assert!(err.to_string().contains("Line in use"), "{err}");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cu {
    /// The serial port's number: `5` opens `/dev/ttyS5`.
    pub serial_devname: AtValue,
    /// More options for cu (`-h`).
    #[serde(default)]
    pub options: Option<String>,
    /// The line end of the modem's side (default `"\n"`): for the state the hop leads to.
    #[serde(default = "default_newline")]
    pub target_newline: String,
}

fn default_newline() -> String {
    "\n".to_owned()
}

impl Cu {
    /// cu on `/dev/ttyS<serial_devname>`.
    pub fn new(serial_devname: impl Into<AtValue>) -> Self {
        Self {
            serial_devname: serial_devname.into(),
            options: None,
            target_newline: default_newline(),
        }
    }

    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }
}

/// What cu says when it cannot open the line, and Moler's unix failure causes.
const CU_FAILURES: &str = concat!(r"(?i)^cu: |line in use|permission denied|", unix_failures!());

impl UnixCommand for Cu {
    const NAME: &'static str = "cu";
    type Parser = SerialHopParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let dev = self.serial_devname.to_string();
        let dev = port_name("serial_devname", &dev, false)?;
        let mut line = format!("cu -l /dev/ttyS{dev} -s 19200 -E '-'");
        if let Some(o) = self.options.as_deref().filter(|o| !o.trim().is_empty()) {
            line.push(' ');
            line.push_str(one_line("options", o)?);
        }
        Ok(line)
    }
    fn parser(&self) -> SerialHopParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> SerialHopParser {
        SerialHopParser::new(shell_prompt, CU_FAILURES)
    }
    fn setup(&self, command: Command<SerialHopParser>) -> Command<SerialHopParser> {
        command.no_default_failures().ret_required(false)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(r"Connected\.")
    }
}
