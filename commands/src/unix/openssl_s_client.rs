//! `openssl_s_client`: [`OpensslSClient`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::required;
use crate::spec::{builder, unix_command, UnixCommand};

/// `openssl s_client options` (`-connect host:port`…; give `</dev/null` or `-quiet` options
/// that end it, or it waits for input); result: the `issuer` and each indented `Key: value`
/// of the session (`Protocol`, `Cipher`, `Verify return code`…; a key without a value is
/// null). Options that start with `s_client` (as Moler's own example writes them) do not
/// repeat it.
///
/// ```
/// use moler_commands::{offline, unix::OpensslSClient, UnixCommand};
///
/// let cmd = OpensslSClient::new("-connect 127.0.0.1:4433 </dev/null");
/// assert_eq!(cmd.command_line().unwrap(), "openssl s_client -connect 127.0.0.1:4433 </dev/null");
/// let out = format!("{}\nSSL-Session:\n    Protocol  : TLSv1.3\n    Session-ID:\n$ ", cmd.command_line().unwrap());
/// let r = offline::parse(cmd.command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap();
/// assert_eq!((&r["Protocol"], &r["Session-ID"]), (&serde_json::json!("TLSv1.3"), &serde_json::Value::Null));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpensslSClient {
    /// What follows `openssl s_client`.
    pub options: String,
}
builder!(OpensslSClient { options: String });

/// Parser of [`OpensslSClient`].
#[derive(Debug, Default)]
pub struct OpensslSClientParser {
    result: Map<String, Value>,
}

/// Moler's `^\s+(?P<KEY>.+)(?<!\s)\s*:\s*(?P<VALUE>.+)?(?<!\s)\s*$` (the regex crate has no
/// look-behind): an indented line, the key up to its last colon, the value trimmed.
fn property(line: &str) -> Option<(&str, Option<&str>)> {
    let body = line.trim_start();
    if body.len() == line.len() {
        return None;
    }
    let colon =
        body.rmatch_indices(':').map(|(i, _)| i).find(|&i| !body[..i].trim_end().is_empty())?;
    let value = body[colon + 1..].trim();
    Some((body[..colon].trim_end(), (!value.is_empty()).then_some(value)))
}

impl Parser for OpensslSClientParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(issuer) = line.strip_prefix("issuer=") {
            self.result.insert("issuer".into(), issuer.into());
        } else if let Some((key, value)) = property(line) {
            self.result.insert(key.to_owned(), value.map_or(Value::Null, Value::from));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(OpensslSClient, "openssl_s_client", OpensslSClientParser,
    |s| OpensslSClientParser::default(),
    line: |s| {
        let options = required("options", &s.options)?.trim();
        // Moler's example passes `s_client -connect …` and would send `s_client` twice.
        let options = match options.strip_prefix("s_client") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => rest.trim(),
            _ => options,
        };
        let mut line = "openssl s_client".to_owned();
        crate::spec::push_opt(&mut line, Some(options));
        Ok(line)
    },
    setup: |c| c.failure(r"connect:errno=|^s_client: |Connection refused"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_split_at_the_last_colon_like_moler_s_greedy_key() {
        assert_eq!(property("    Protocol  : TLSv1.1"), Some(("Protocol", Some("TLSv1.1"))));
        assert_eq!(property("    Master-Key:"), Some(("Master-Key", None)));
        assert_eq!(property("    a: b: c "), Some(("a: b", Some("c"))));
        assert_eq!(property("    : x"), None);
        assert_eq!(property("No ALPN negotiated"), None);
        assert_eq!(property("SSL-Session:"), None);
    }
}
