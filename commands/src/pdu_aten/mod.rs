//! Moler's ATEN PDU family (`moler.cmd.pdu_aten`): the commands of an ATEN power distribution
//! unit's telnet CLI, [`ReadStatus`], [`ReadMeter`], [`Sw`], and the ways out, [`Quit`] and
//! [`ExitTelnet`]. Registered as `pdu_aten.read_status`, `pdu_aten.read_meter`, `pdu_aten.sw`,
//! `pdu_aten.quit` and `pdu_aten.exit_telnet` ([`register_all`]).
//!
//! The PDU's answers `Not Support` and `Invalid command` fail a command (Moler's `GenericPdu`).
//! Without a prompt from a device, the commands end at [`PDU_PROMPT`].

mod exit_telnet;
mod quit;
mod read_meter;
mod read_status;
mod sw;

pub use crate::prompt_change::PromptChange;
pub use exit_telnet::{ExitTelnet, ExitTelnetParser};
pub use quit::Quit;
pub use read_meter::{ReadMeter, ReadMeterParser, ReadMeterResult};
pub use read_status::{ReadStatus, ReadStatusParser, ReadStatusResult};
pub use sw::Sw;

use crate::Registry;

/// The PDU's prompt, `>` alone on its line: what the commands end at unless given another.
/// Moler's default is the bare regex `>`, which any line holding a `>` matches (the PDU's own
/// `Outlet<01> command is setting`).
pub const PDU_PROMPT: &str = r"^>\s*$";

/// The PDU's refusals (Moler's `GenericPdu`), any case.
pub(crate) const PDU_FAILURES: &str = "(?i)Not Support|Invalid command";

/// Registers the family's commands under their qualified names (`pdu_aten.read_status`).
pub fn register_all(r: &mut Registry) {
    r.register_command_as::<ReadStatus>("pdu_aten.read_status")
        .register_command_as::<ReadMeter>("pdu_aten.read_meter")
        .register_command_as::<Sw>("pdu_aten.sw")
        .register_command_as::<Quit>("pdu_aten.quit")
        .register_command_as::<ExitTelnet>("pdu_aten.exit_telnet");
}

/// A word of a PDU command line: required when `name` is, one word, not blank.
pub(crate) fn word<'a>(name: &str, value: &'a str) -> Result<&'a str, crate::ParamError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(crate::ParamError::Missing(name.to_owned()));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(crate::ParamError::value(name, format!("must be one word, not {value:?}")));
    }
    Ok(value)
}

/// An optional word of a PDU command line (blank: none).
pub(crate) fn opt_word<'a>(
    name: &str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, crate::ParamError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => word(name, v).map(Some),
    }
}
