//! Moler's SCPI family (`moler.cmd.scpi`): the queries and settings of an instrument's SCPI
//! prompt, [`Idn`], [`Read`], [`RunCommand`], and the way out, [`ExitTelnet`] (the PDU
//! family's: Moler's SCPI and PDU families both use the unix one unchanged). Registered as
//! `scpi.idn`, `scpi.read`, `scpi.run_command` and `scpi.exit_telnet` ([`register_all`]).
//!
//! An instrument prints nothing on an error of its own (it queues it for `SYST:ERR?`): the
//! commands take no output as failure, except [`RunCommand`]'s `error_regex`. Without a prompt
//! from a device they end at Moler's generic prompt, which `SCPI>` matches.

mod exit_telnet;
mod idn;
mod read;
mod run_command;

pub use exit_telnet::{ExitTelnet, ExitTelnetParser};
pub use idn::{Idn, IdnParser, IdnResult};
pub use read::{Read, ReadParser, ReadResult};
pub use run_command::RunCommand;

use crate::Registry;

/// Registers the family's commands under their qualified names (`scpi.idn`).
pub fn register_all(r: &mut Registry) {
    r.register_command_as::<Idn>("scpi.idn")
        .register_command_as::<Read>("scpi.read")
        .register_command_as::<RunCommand>("scpi.run_command")
        .register_command_as::<ExitTelnet>("scpi.exit_telnet");
}
