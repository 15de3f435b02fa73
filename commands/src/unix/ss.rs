//! `ss`: [`Ss`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ss [options]`; result `{"NETWORK_CONNECTIONS": [...]}`, each with `netid` (null when ss
/// printed no such column), `state`, `recv-Q`, `send-Q`, `local_address`, `local_port`,
/// `peer_address`, `peer_port`, and the `streams` of an SCTP association.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ss {
    /// `-t`, `-tlnp`…
    pub options: Option<String>,
}
builder!(Ss {}, options);

/// Result of [`Ss`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsResult {
    /// The sockets, in order.
    #[serde(rename = "NETWORK_CONNECTIONS")]
    pub network_connections: Vec<Socket>,
}

/// One socket of [`Ss`] (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Socket {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub netid: Option<Option<String>>,
    pub state: String,
    #[serde(rename = "recv-Q")]
    pub recv_q: u64,
    #[serde(rename = "send-Q")]
    pub send_q: u64,
    pub local_address: String,
    /// The interface of an SCTP stream (`192.168.253.16%etha01`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub local_interface: Option<String>,
    pub local_port: String,
    pub peer_address: String,
    pub peer_port: String,
    /// The streams of an SCTP association (lines starting with `` `- ``).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub streams: Option<Vec<Socket>>,
}

/// Parser of [`Ss`].
#[derive(Debug, Default)]
pub struct SsParser(SsResult);

/// `address:port`, or `address` `port` as two words (unix sockets).
fn endpoint<'a>(w: &mut impl Iterator<Item = &'a str>) -> Option<(String, String)> {
    let first = w.next()?;
    match first.rsplit_once(':') {
        Some((addr, port)) if !addr.is_empty() => Some((addr.to_owned(), port.to_owned())),
        _ => Some((first.to_owned(), w.next()?.to_owned())),
    }
}

impl Parser for SsParser {
    type Output = SsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let stream = line.trim_start().starts_with("`-");
        let mut w = words(line).map(|(_, w)| w).filter(|w| *w != "`-").peekable();
        let mut first = w.next();
        let netid = match (stream, w.peek()) {
            (false, Some(second)) if !second.bytes().all(|b| b.is_ascii_digit()) => {
                let netid = first;
                first = w.next();
                Some(netid.map(str::to_owned))
            }
            (false, _) => Some(None),
            (true, _) => None,
        };
        let Some(state) = first else { return Ok(()) };
        let (Some(Ok(recv_q)), Some(Ok(send_q))) =
            (w.next().map(str::parse::<u64>), w.next().map(str::parse::<u64>))
        else {
            return Ok(()); // the header, or not a socket line
        };
        let (Some((local, local_port)), Some((peer, peer_port))) =
            (endpoint(&mut w), endpoint(&mut w))
        else {
            return Ok(());
        };
        let (local_address, local_interface) = match local.split_once('%') {
            Some((a, i)) if stream => (a.to_owned(), Some(i.to_owned())),
            _ => (local, None),
        };
        let socket = Socket {
            netid,
            state: state.to_owned(),
            recv_q,
            send_q,
            local_address,
            local_interface,
            local_port,
            peer_address: peer,
            peer_port,
            streams: None,
        };
        let list = &mut self.0.network_connections;
        match (stream, list.last_mut()) {
            (true, Some(parent)) => parent.streams.get_or_insert_with(Vec::new).push(socket),
            (true, None) => {}
            (false, _) => list.push(socket),
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<SsResult> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl UnixCommand for Ss {
    const NAME: &'static str = "ss";
    type Parser = SsParser;
    type Output = SsResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ss".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> SsParser {
        SsParser::default()
    }
    fn setup(&self, command: Command<SsParser>) -> Command<SsParser> {
        own_errors(command, "ss")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_sctp_stream_s_address_is_split_from_its_interface() {
        // A link-local UDP socket keeps its `%interface` in the address, as Moler's; an SCTP
        // stream's goes to `local_interface`.
        let out = "ss -anu\n\
                   State   Recv-Q  Send-Q  Local Address:Port   Peer Address:Port\n\
                   UNCONN  0       0       [fe80::1]%eth0:123   [::]:*\n$ ";
        let cmd = Ss::new().options("-anu").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
        let udp = &r.network_connections[0];
        assert_eq!(
            (udp.local_address.as_str(), udp.local_port.as_str()),
            ("[fe80::1]%eth0", "123")
        );
        assert_eq!(udp.local_interface, None);
    }
}
