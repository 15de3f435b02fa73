//! `ip_neigh` (`ip neigh`): [`IpNeigh`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{ip_errors, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ip neigh [options]`; result `{address: {"DEV": dev, "MAC": lladdr, "NUD": state}}`, one
/// entry per neighbour with a link-layer address (Moler's shape; `FAILED`/`INCOMPLETE` entries
/// have none and are left out, as Moler does).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpNeigh {
    /// `show`, `show dev eth0`…
    pub options: Option<String>,
}
builder!(IpNeigh {}, options);

/// A neighbour of [`IpNeigh`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    /// The interface.
    #[serde(rename = "DEV")]
    pub dev: String,
    /// The link-layer address.
    #[serde(rename = "MAC")]
    pub mac: String,
    /// The neighbour unreachability detection state (`REACHABLE`, `STALE`…).
    #[serde(rename = "NUD")]
    pub nud: String,
}

/// Parser of [`IpNeigh`].
#[derive(Debug, Default)]
pub struct IpNeighParser(BTreeMap<String, Neighbour>);

impl Parser for IpNeighParser {
    type Output = BTreeMap<String, Neighbour>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        // `ADDR dev DEV lladdr MAC [router] [proxy] STATE`: by keyword, so that a `router`
        // flag does not shift the fields (Moler's regex takes it for the MAC).
        let w: Vec<&str> = words(line).map(|(_, w)| w).collect();
        let after = |key: &str| w.iter().position(|x| *x == key).and_then(|i| w.get(i + 1));
        let (Some(dev), Some(mac)) = (after("dev"), after("lladdr")) else { return Ok(()) };
        let nud = w.last().copied().unwrap_or_default();
        if w.len() < 6 || !nud.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            return Ok(());
        }
        let entry =
            Neighbour { dev: (*dev).to_owned(), mac: (*mac).to_owned(), nud: nud.to_owned() };
        self.0.insert(w[0].to_owned(), entry);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl UnixCommand for IpNeigh {
    const NAME: &'static str = "ip_neigh";
    type Parser = IpNeighParser;
    type Output = BTreeMap<String, Neighbour>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ip neigh".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IpNeighParser {
        IpNeighParser::default()
    }
    fn setup(&self, command: Command<IpNeighParser>) -> Command<IpNeighParser> {
        ip_errors(command).ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_router_flag_does_not_shift_the_fields() {
        // Moler's regex gives `{"fe80::1 dev": {"DEV": "lladdr", "MAC": "router", …}}` here.
        let out = "ip neigh\nfe80::1 dev eth0 lladdr 00:11:22:33:44:55 router STALE\n$ ";
        let got =
            offline::parse_capture(IpNeigh::new().command_with_prompt(r"^\$ $"), out.as_bytes());
        let got = got.unwrap();
        let want =
            Neighbour { dev: "eth0".into(), mac: "00:11:22:33:44:55".into(), nud: "STALE".into() };
        assert_eq!(got["fe80::1"], want);
    }

    /// A neighbour line ends with its state in capitals (`_` allowed) and has all its fields;
    /// other lines are none.
    #[test]
    fn a_neighbour_ends_with_its_state() {
        let out = "ip neigh\n10.0.0.7 dev eth0 lladdr aa:bb:cc:dd:ee:07 router\n\
                   10.0.0.8 dev eth0 lladdr aa:bb:cc:dd:ee:08 PERMANENT\n\
                   10.0.0.9 dev eth0 lladdr aa:bb:cc:dd:ee:09 SOME_STATE\n\
                   10.0.0.6 dev lladdr M\n$ ";
        let got =
            offline::parse_capture(IpNeigh::new().command_with_prompt(r"^\$ $"), out.as_bytes());
        let got = got.unwrap();
        assert_eq!(got.keys().collect::<Vec<_>>(), ["10.0.0.8", "10.0.0.9"]);
        assert_eq!(got["10.0.0.9"].nud, "SOME_STATE");
    }
}
