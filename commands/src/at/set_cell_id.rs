//! `set_cell_id`: [`SetCellId`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, AtValue};
use crate::unix::Nothing;

/// `AT+CREG=<selected_mode>`: how the circuit-switched (`+CREG`) network registration is reported
/// (0 off, 1 on, 2 with location, 3 with location and cause; see 3GPP TS 27.007); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCellId {
    /// The result code mode: an integer, or a text holding one.
    pub selected_mode: AtValue,
}

impl SetCellId {
    /// Mode `selected_mode`.
    pub fn new(selected_mode: impl Into<AtValue>) -> Self {
        Self { selected_mode: selected_mode.into() }
    }
}

at_command!(SetCellId, "set_cell_id", Nothing, |s| Nothing,
    line: |l| Ok(format!("AT+CREG={}", l.selected_mode.int("selected_mode")?)),
    setup: |c| c.ret_required(false));
