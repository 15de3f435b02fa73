//! `exit_telnet`: Moler's SCPI `ExitTelnet` is the unix one unchanged, as the PDU family's is:
//! one type, [`ExitTelnet`], registered under both families' names.

pub use crate::pdu_aten::{ExitTelnet, ExitTelnetParser};
