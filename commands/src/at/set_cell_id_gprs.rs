//! `set_cell_id_gprs`: [`SetCellIdGprs`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, AtValue};
use crate::unix::Nothing;

/// `AT+CGREG=<selected_mode>`: how the GPRS (`+CGREG`) network registration is reported
/// (0 off, 1 on, 2 with location, 3 with GMM cause, 4 and 5 with PSM, 6 and 7 with CSG; see 3GPP TS 27.007); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCellIdGprs {
    /// The result code mode: an integer, or a text holding one.
    pub selected_mode: AtValue,
}

impl SetCellIdGprs {
    /// Mode `selected_mode`.
    pub fn new(selected_mode: impl Into<AtValue>) -> Self {
        Self { selected_mode: selected_mode.into() }
    }
}

at_command!(SetCellIdGprs, "set_cell_id_gprs", Nothing, |s| Nothing,
    line: |l| Ok(format!("AT+CGREG={}", l.selected_mode.int("selected_mode")?)),
    setup: |c| c.ret_required(false));
