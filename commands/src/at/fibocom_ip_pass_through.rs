//! `fibocom_ip_pass_through`: [`FibocomIpPassThrough`] and its parameters.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::generic::{at_command, one_line, AtValue};
use crate::unix::Nothing;

/// `AT+GTIPPASS=…` (Fibocom): IP pass-through on (`state` 1) or off (0), over USB
/// (`conn_type` 1: `AT+GTIPPASS=1,1`) or Ethernet (2, with the host's `mac`:
/// `AT+GTIPPASS=1,2,<mac>`); an unknown type (0) is left off the line. Timeout 180 s (Moler's).
/// Result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FibocomIpPassThrough {
    /// 1: enabled, 0: disabled (default).
    #[serde(default)]
    pub state: AtValue,
    /// 0: unknown (default), 1: USB, 2: Ethernet.
    #[serde(default)]
    pub conn_type: AtValue,
    /// The MAC address of the host's Ethernet port (for `conn_type` 2).
    #[serde(default)]
    pub mac: Option<String>,
}

impl FibocomIpPassThrough {
    /// Pass-through in `state` (1 on, 0 off), connection type unknown.
    pub fn new(state: impl Into<AtValue>) -> Self {
        Self { state: state.into(), ..Self::default() }
    }

    /// Sets `conn_type`.
    pub fn conn_type(mut self, conn_type: impl Into<AtValue>) -> Self {
        self.conn_type = conn_type.into();
        self
    }

    /// Sets `mac`.
    pub fn mac(mut self, mac: impl Into<String>) -> Self {
        self.mac = Some(mac.into());
        self
    }
}

at_command!(FibocomIpPassThrough, "fibocom_ip_pass_through", Nothing, |s| Nothing, line: |l| {
    let state = l.state.to_string();
    one_line("state", &state)?;
    let mac = one_line("mac", l.mac.as_deref().unwrap_or(""))?;
    Ok(match (l.state.as_int(), l.conn_type.as_int()) {
        (Some(1), Some(1)) => format!("AT+GTIPPASS={state},1"),
        (Some(1), Some(2)) => format!("AT+GTIPPASS={state},2,{mac}"),
        _ => format!("AT+GTIPPASS={state}"),
    })
}, setup: |c| c.ret_required(false).timeout(Duration::from_secs(180)));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixCommand;

    #[test]
    fn the_connection_type_and_the_mac_go_on_the_line() {
        let line = |c: FibocomIpPassThrough| c.command_line().unwrap();
        assert_eq!(line(FibocomIpPassThrough::new(1)), "AT+GTIPPASS=1");
        assert_eq!(line(FibocomIpPassThrough::new(1).conn_type(1)), "AT+GTIPPASS=1,1");
        let ethernet = FibocomIpPassThrough::new(1).conn_type(2).mac("aa:bb:cc:dd:ee:ff");
        assert_eq!(line(ethernet), "AT+GTIPPASS=1,2,aa:bb:cc:dd:ee:ff");
        assert_eq!(line(FibocomIpPassThrough::new(0).conn_type(2).mac("x")), "AT+GTIPPASS=0");
    }
}
