//! `set_mode`: [`SetMode`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::at_command;
use crate::unix::Nothing;
use crate::ParamError;

/// `AT+COPS=…`: automatic operator selection with a radio access technology; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMode {
    /// `automatic`, `lte`, `gsm`, `wcdma`, `5g` or `lte:5g` (any case).
    pub selected_mode: String,
}

impl SetMode {
    /// Mode `selected_mode`.
    pub fn new(selected_mode: impl Into<String>) -> Self {
        Self { selected_mode: selected_mode.into() }
    }
}

/// Moler's modes and their `AT+COPS` values.
pub const MODES: [(&str, &str); 6] = [
    ("automatic", "0"),
    ("lte", "0,0,0,7"),
    ("gsm", "0,0,0,3"),
    ("wcdma", "0,0,0,6"),
    ("5g", "0,0,0,12"),
    ("lte:5g", "0,0,0,13"),
];

at_command!(SetMode, "set_mode", Nothing, |s| Nothing, line: |l| {
    let mode = l.selected_mode.to_lowercase();
    let Some((_, cops)) = MODES.iter().find(|(m, _)| *m == mode) else {
        let known: Vec<&str> = MODES.iter().map(|(m, _)| *m).collect();
        let why = format!("{mode:?} is not a mode: say one of {}", known.join(", "));
        return Err(ParamError::value("selected_mode", why));
    };
    Ok(format!("AT+COPS={cops}"))
}, setup: |c| c.ret_required(false));
