//! `set_apn`: [`SetApn`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, quoted, required_value, AtValue};
use crate::unix::Nothing;

/// `AT+CGDCONT=<context_identifier>,"<pdp_type>","<apn_name>"`: defines a PDP context's APN;
/// result `{}`. Quotes around the values are dropped (the line adds its own).
///
/// ```
/// use moler_commands::at::SetApn;
/// use moler_commands::UnixCommand;
///
/// let line = SetApn::new("internet").pdp_type("IP").command_line().unwrap();
/// assert_eq!(line, r#"AT+CGDCONT=1,"IP","internet""#);
/// assert!(SetApn::new("a\r\nAT+CFUN=0").command_line().is_err(), "one line only");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetApn {
    /// The access point name.
    pub apn_name: String,
    /// The context (default `1`).
    #[serde(default = "default_cid")]
    pub context_identifier: AtValue,
    /// The PDP type (default `IPV4V6`; `IP`, `IPV6`…).
    #[serde(default = "default_pdp_type")]
    pub pdp_type: String,
}

fn default_cid() -> AtValue {
    AtValue::from("1")
}

fn default_pdp_type() -> String {
    "IPV4V6".to_owned()
}

impl SetApn {
    /// Context 1, `IPV4V6`, APN `apn_name`.
    pub fn new(apn_name: impl Into<String>) -> Self {
        Self {
            apn_name: apn_name.into(),
            context_identifier: default_cid(),
            pdp_type: default_pdp_type(),
        }
    }

    /// Sets `context_identifier`.
    pub fn context_identifier(mut self, cid: impl Into<AtValue>) -> Self {
        self.context_identifier = cid.into();
        self
    }

    /// Sets `pdp_type`.
    pub fn pdp_type(mut self, pdp_type: impl Into<String>) -> Self {
        self.pdp_type = pdp_type.into();
        self
    }
}

at_command!(SetApn, "set_apn", Nothing, |s| Nothing, line: |l| {
    let apn = quoted("apn_name", l.apn_name.trim_matches('"'))?;
    let cid = l.context_identifier.to_string();
    let cid = required_value("context_identifier", cid.trim_matches('"'))?;
    let pdp = quoted("pdp_type", required_value("pdp_type", l.pdp_type.trim_matches('"'))?)?;
    Ok(format!(r#"AT+CGDCONT={cid},"{pdp}","{apn}""#))
}, setup: |c| c.ret_required(false));
