//! `plink_serial`: [`PlinkSerial`] and its parameters.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::hop::{port_name, unix_failures, SerialHopParser};
use crate::{Empty, ParamError, UnixCommand};

/// `plink -serial <serial_devname> |& awk '…'`: opens a serial line with PuTTY's plink (the hop
/// into `AT_REMOTE` on Windows hosts); awk prints the entry prompt `COM5> port READY` (an AT
/// console prints nothing of its own), copies the line, and prints `^C` when plink ends.
/// Ends on `<serial_devname>>`. Result `{}`.
///
/// Fails as [`Cu`](super::Cu) does: on plink's complaints once the shell's prompt is back,
/// and on that prompt (when known) coming back at all.
///
/// ```
/// use moler_commands::at::PlinkSerial;
/// use moler_commands::UnixCommand;
///
/// let line = PlinkSerial::new("COM5").command_line().unwrap();
/// assert_eq!(
///     line,
///     r#"plink -serial COM5 |& awk 'BEGIN {print "COM5> port READY"} {print} END {print "^C"}'"#
/// );
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlinkSerial {
    /// The serial port (`COM5`; on Linux its path, `/dev/ttyS4`).
    pub serial_devname: String,
    /// The line end of the modem's side (default `"\n"`): for the state the hop leads to.
    #[serde(default = "default_newline")]
    pub target_newline: String,
}

fn default_newline() -> String {
    "\n".to_owned()
}

impl PlinkSerial {
    /// plink on `serial_devname`.
    pub fn new(serial_devname: impl Into<String>) -> Self {
        Self { serial_devname: serial_devname.into(), target_newline: default_newline() }
    }
}

/// What plink says when it cannot open the line, and Moler's unix failure causes.
const PLINK_FAILURES: &str =
    concat!(r"(?i)^plink: |unable to open|permission denied|", unix_failures!());

impl UnixCommand for PlinkSerial {
    const NAME: &'static str = "plink_serial";
    type Parser = SerialHopParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        let dev = port_name("serial_devname", &self.serial_devname, true)?;
        let awk =
            format!(r#"awk 'BEGIN {{print "{dev}> port READY"}} {{print}} END {{print "^C"}}'"#);
        Ok(format!("plink -serial {dev} |& {awk}"))
    }
    fn parser(&self) -> SerialHopParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> SerialHopParser {
        SerialHopParser::new(shell_prompt, PLINK_FAILURES)
    }
    fn setup(&self, command: Command<SerialHopParser>) -> Command<SerialHopParser> {
        // The entry prompt awk prints: `COM5> port READY`.
        let entry = format!("{}>", regex::escape(self.serial_devname.trim()));
        command.no_default_failures().ret_required(false).prompt(&entry)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        // Set by `setup`: it is made from `serial_devname`.
        None
    }
}
