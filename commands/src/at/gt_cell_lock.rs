//! `gt_cell_lock`: [`GtCellLock`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, required_value, AtValue};
use crate::unix::Nothing;

/// `AT+GTCELLLOCK=…` (Qualcomm X55): locks the cell's PCI or frequency (`enable` 1) or unlocks
/// (`enable` 0: `AT+GTCELLLOCK=0`); result `{}`.
///
/// `net_mode` is 1 for NR (also `nr`, `5g`), 0 for LTE (any other text); `scs` 15 (kHz) is
/// sent as 0, anything else as 1. Numbers may be given as text (`"0"` unlocks, where Moler's
/// truth test of the text would lock).
///
/// ```
/// use moler_commands::at::GtCellLock;
/// use moler_commands::UnixCommand;
///
/// let lock = GtCellLock::new(1, "nr").earfcn(649920).pci(312).scs(30).band(5078);
/// assert_eq!(lock.command_line().unwrap(), "AT+GTCELLLOCK=1,1,0,649920,312,1,5078");
/// assert_eq!(GtCellLock::new(0, "lte").command_line().unwrap(), "AT+GTCELLLOCK=0");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GtCellLock {
    /// 1: lock, 0: unlock.
    pub enable: AtValue,
    /// NR (1, `nr`, `5g`) or LTE (0, `lte`).
    pub net_mode: AtValue,
    /// The EARFCN (NR-ARFCN) to lock on.
    #[serde(default)]
    pub earfcn: AtValue,
    /// The PCI.
    #[serde(default)]
    pub pci: AtValue,
    /// Subcarrier spacing in kHz: 15 or 30.
    #[serde(default)]
    pub scs: AtValue,
    /// The NR band.
    #[serde(default)]
    pub band: AtValue,
    /// 0: lock the PCI, 1: lock the frequency.
    #[serde(default)]
    pub lock_pci: AtValue,
}

impl GtCellLock {
    /// Lock (`enable` 1) or unlock (0) on `net_mode`; the rest 0.
    pub fn new(enable: impl Into<AtValue>, net_mode: impl Into<AtValue>) -> Self {
        Self { enable: enable.into(), net_mode: net_mode.into(), ..Self::default() }
    }

    /// Sets `earfcn`.
    pub fn earfcn(mut self, v: impl Into<AtValue>) -> Self {
        self.earfcn = v.into();
        self
    }

    /// Sets `pci`.
    pub fn pci(mut self, v: impl Into<AtValue>) -> Self {
        self.pci = v.into();
        self
    }

    /// Sets `scs`.
    pub fn scs(mut self, v: impl Into<AtValue>) -> Self {
        self.scs = v.into();
        self
    }

    /// Sets `band`.
    pub fn band(mut self, v: impl Into<AtValue>) -> Self {
        self.band = v.into();
        self
    }

    /// Sets `lock_pci`.
    pub fn lock_pci(mut self, v: impl Into<AtValue>) -> Self {
        self.lock_pci = v.into();
        self
    }
}

at_command!(GtCellLock, "gt_cell_lock", Nothing, |s| Nothing, line: |l| {
    let enable = l.enable.to_string();
    required_value("enable", &enable)?;
    if l.enable.as_int() == Some(0) {
        return Ok(format!("AT+GTCELLLOCK={enable}"));
    }
    let net_mode = l.net_mode.as_int().unwrap_or_else(|| {
        i64::from(matches!(l.net_mode.to_string().to_lowercase().as_str(), "nr" | "5g"))
    });
    let scs = i64::from(l.scs.as_int() != Some(15));
    let mut values = Vec::new();
    for (name, v) in [("lock_pci", &l.lock_pci), ("earfcn", &l.earfcn), ("pci", &l.pci), ("band", &l.band)] {
        let v = v.to_string();
        required_value(name, &v)?;
        values.push(v);
    }
    let [lock_pci, earfcn, pci, band] = &values[..] else { unreachable!("four values") };
    Ok(format!("AT+GTCELLLOCK={enable},{net_mode},{lock_pci},{earfcn},{pci},{scs},{band}"))
}, setup: |c| c.ret_required(false));
