//! `get_apns`: [`GetApns`], its result and its parser.

use moler_core::{Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::{at_command, regex};

/// `AT+CGDCONT?`: the PDP contexts defined; result a list of [`Apn`], one per `+CGDCONT:`
/// line of type `IP` or `IPV4V6` (Moler's).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetApns {}

impl GetApns {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// One PDP context of [`GetApns`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apn {
    /// The context identifier (`1`).
    pub apn_num: String,
    /// The PDP type: `IP` or `IPV4V6`.
    pub apn_ip_name: String,
    /// The access point name (empty when none is set).
    pub apn_name: String,
}

/// Parser of [`GetApns`].
#[derive(Debug, Default)]
pub struct GetApnsParser(Vec<Apn>);

impl Parser for GetApnsParser {
    type Output = Vec<Apn>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        let re = regex(
            r#"^\s*\+CGDCONT:\s(?P<apn_num>[0-9]+),"(?P<apn_ip_name>IP(V4V6)?)","(?P<apn_name>[a-zA-Z0-9._-]*)".*$"#,
        );
        if let Some(c) = re.captures(line).filter(|_| !partial) {
            self.0.push(Apn {
                apn_num: c["apn_num"].to_owned(),
                apn_ip_name: c["apn_ip_name"].to_owned(),
                apn_name: c["apn_name"].to_owned(),
            });
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.0.is_empty()
    }
    fn finish(&mut self) -> ParseResult<Vec<Apn>> {
        Ok(std::mem::take(&mut self.0))
    }
}

at_command!(GetApns, "get_apns", GetApnsParser, |s| GetApnsParser::default(),
    line: |l| Ok("AT+CGDCONT?".to_owned()));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixCommand;

    /// As Moler's (`current_ret` an empty list, `ret_required`): `OK` without a context is
    /// no result yet, so the command waits on; with one, `OK` ends it.
    #[test]
    fn ok_without_a_context_is_no_result() {
        let parse = |out: &str| crate::offline::parse(GetApns::new().command(), [out.as_bytes()]);
        let err = parse("AT+CGDCONT?\nOK\n").unwrap_err().to_string();
        assert!(err.contains("AT+CGDCONT?"), "{err}");
        let apns = parse("AT+CGDCONT?\n+CGDCONT: 1,\"IP\",\"internet\",\"0.0.0.0\",0,0\nOK\n");
        let want =
            Apn { apn_num: "1".into(), apn_ip_name: "IP".into(), apn_name: "internet".into() };
        assert_eq!(apns.unwrap(), [want]);
    }
}
