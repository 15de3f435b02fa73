//! `get_ip`: [`GetIp`], its parameters, its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, AtValue, ValueParser};

/// `AT+CGPADDR=<context_identifier>`: the IPv4 address of a PDP context; result
/// `{"ip": "40.1.1.105"}` (`0.0.0.0` when it has none).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetIp {
    /// The PDP context (`1`).
    pub context_identifier: AtValue,
}

impl GetIp {
    /// The address of context `context_identifier`.
    pub fn new(context_identifier: impl Into<AtValue>) -> Self {
        Self { context_identifier: context_identifier.into() }
    }
}

/// Result of [`GetIp`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetIpResult {
    /// The first address of the `+CGPADDR` line, IPv4 (quoted or not).
    pub ip: String,
}

/// Parser of [`GetIp`].
pub type GetIpParser = ValueParser<GetIpResult>;

at_command!(GetIp, "get_ip", GetIpParser,
|s| ValueParser::new(
    r#"^\s*\+CGPADDR:\s[0-9]+,"?(?P<ip>(([0-9]{1,3}\.){3}[0-9]{1,3}))"?.*$"#, "ip",
    |ip| GetIpResult { ip }),
line: |l| {
    let cid = l.context_identifier.to_string();
    super::generic::required_value("context_identifier", &cid)?;
    Ok(format!("AT+CGPADDR={cid}"))
});
