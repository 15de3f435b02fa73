//! `set_cell_id_nr`: [`SetCellIdNr`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, AtValue};
use crate::unix::Nothing;

/// `AT+C5GREG=<selected_mode>`: how the 5GS (`+C5GREG`) network registration is reported
/// (0 off, 1 on, 2 with location, 3 with 5GMM cause, 4 and 5 with CAG; see 3GPP TS 27.007); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCellIdNr {
    /// The result code mode: an integer, or a text holding one.
    pub selected_mode: AtValue,
}

impl SetCellIdNr {
    /// Mode `selected_mode`.
    pub fn new(selected_mode: impl Into<AtValue>) -> Self {
        Self { selected_mode: selected_mode.into() }
    }
}

at_command!(SetCellIdNr, "set_cell_id_nr", Nothing, |s| Nothing,
    line: |l| Ok(format!("AT+C5GREG={}", l.selected_mode.int("selected_mode")?)),
    setup: |c| c.ret_required(false));
