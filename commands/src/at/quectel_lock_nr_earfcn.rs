//! `quectel_lock_nr_earfcn`: [`QuectelLockNrEarfcn`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, AtValue};
use crate::unix::Nothing;

/// `AT+QNWCFG="nr5g_earfcn_lock",1,<earfcn>:<scs>` (Quectel): locks on one NR EARFCN; an
/// `earfcn` of 0 or less unlocks (`AT+QNWCFG="nr5g_earfcn_lock",0`). Result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuectelLockNrEarfcn {
    /// The EARFCN: an integer (or a text holding one).
    pub earfcn: AtValue,
    /// The subcarrier spacing: an integer (or a text holding one).
    pub scs: AtValue,
}

impl QuectelLockNrEarfcn {
    /// Lock on `earfcn` with `scs`.
    pub fn new(earfcn: impl Into<AtValue>, scs: impl Into<AtValue>) -> Self {
        Self { earfcn: earfcn.into(), scs: scs.into() }
    }
}

at_command!(QuectelLockNrEarfcn, "quectel_lock_nr_earfcn", Nothing, |s| Nothing, line: |l| {
    let (earfcn, scs) = (l.earfcn.int("earfcn")?, l.scs.int("scs")?);
    Ok(if earfcn > 0 {
        format!(r#"AT+QNWCFG="nr5g_earfcn_lock",1,{earfcn}:{scs}"#)
    } else {
        r#"AT+QNWCFG="nr5g_earfcn_lock",0"#.to_owned()
    })
}, setup: |c| c.ret_required(false));
