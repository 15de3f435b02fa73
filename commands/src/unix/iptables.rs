//! `iptables` (and `ip6tables`): [`Iptables`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `iptables [options]` (`ip6tables` with `v6`); result (Moler's shape) `{chain: {"POLICY",
/// "PACKETS", "BYTES" or "REFERENCES", "CHAIN": [rule…]}}`, a rule `{COLUMN: value}` by the
/// header's columns upper-cased, with what follows the columns under `REST`. As in Moler, a
/// rule with a `REST` is followed in `CHAIN` by an extra `{"REST": …}` entry (Moler keeps it
/// for backward compatibility; its users index `CHAIN` by position).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iptables {
    /// `-nvxL`, `-L INPUT -t mangle -n`, `-A …`…
    pub options: Option<String>,
    /// Run `ip6tables`.
    #[serde(default)]
    pub v6: Option<bool>,
}
builder!(Iptables {}, options);

impl Iptables {
    /// Runs `ip6tables` instead.
    pub fn v6(mut self, on: bool) -> Self {
        self.v6 = Some(on);
        self
    }
}

/// Parser of [`Iptables`].
#[derive(Debug)]
pub struct IptablesParser {
    with_counters: Arc<Regex>,
    references: Arc<Regex>,
    policy: Arc<Regex>,
    chain: Option<String>,
    columns: Vec<String>,
    result: Map<String, Value>,
}

impl IptablesParser {
    fn start_chain(&mut self, name: &str, fields: &[(&str, &str)]) {
        let mut chain = Map::new();
        for (k, v) in fields {
            chain.insert((*k).to_owned(), (*v).into());
        }
        chain.insert("CHAIN".into(), Value::Array(vec![]));
        self.result.insert(name.to_owned(), chain.into());
        self.chain = Some(name.to_owned());
        self.columns.clear();
    }
}

impl Parser for IptablesParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.with_counters.captures(line) {
            let f = [("POLICY", &c[2]), ("PACKETS", &c[3]), ("BYTES", &c[4])];
            self.start_chain(&c[1], &f);
            return Ok(());
        }
        if let Some(c) = self.references.captures(line) {
            self.start_chain(&c[1], &[("REFERENCES", &c[2])]);
            return Ok(());
        }
        if let Some(c) = self.policy.captures(line) {
            self.start_chain(&c[1], &[("POLICY", &c[2])]);
            return Ok(());
        }
        let Some(chain) = &self.chain else { return Ok(()) };
        let w: Vec<(usize, &str)> = words(line).collect();
        if self.columns.is_empty() {
            self.columns = w.iter().map(|(_, w)| w.to_uppercase()).collect();
            return Ok(());
        }
        if w.is_empty() || w.len() < self.columns.len() {
            return Ok(());
        }
        let mut rule: Map<String, Value> =
            self.columns.iter().zip(&w).map(|(k, (_, v))| (k.clone(), (*v).into())).collect();
        let rest = w.get(self.columns.len()).map(|(start, _)| line[*start..].trim_end());
        if let Some(rest) = rest {
            rule.insert("REST".into(), rest.into());
        }
        let rules = self.result.get_mut(chain).and_then(|c| c.get_mut("CHAIN"));
        if let Some(Value::Array(rules)) = rules {
            rules.push(rule.into());
            if let Some(rest) = rest {
                rules.push(serde_json::json!({ "REST": rest }));
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Iptables {
    const NAME: &'static str = "iptables";
    type Parser = IptablesParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = if self.v6 == Some(true) { "ip6tables" } else { "iptables" }.to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IptablesParser {
        IptablesParser {
            with_counters: regex(
                r"Chain\s+(\S+)\s+\(policy\s(\S+)\s+(\d+)\s+packets,\s+(\d+)\s+bytes\)$",
            ),
            references: regex(r"Chain\s+(\S+)\s+\((\d+) references\)$"),
            policy: regex(r"Chain\s+(\S+)\s+\(policy\s(\S+)\)$"),
            chain: None,
            columns: Vec::new(),
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<IptablesParser>) -> Command<IptablesParser> {
        command
            .failure(r"^ip6?tables(?:-legacy|-nft)?(?: v[\d.]+.*)?: ")
            .failure("^Bad argument|^Try `ip6?tables -h'")
            .ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v6_runs_ip6tables() {
        assert_eq!(Iptables::new().v6(true).command_line().unwrap(), "ip6tables");
        let v4 = Iptables::new().options("-nL").v6(false);
        assert_eq!(v4.command_line().unwrap(), "iptables -nL");
    }

    #[test]
    fn a_line_shorter_than_the_header_is_no_rule() {
        let out = "iptables -nL\nChain INPUT (policy ACCEPT)\n\
                   target     prot opt source               destination\n\
                   ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\n\
                   cut short\n$ ";
        let cmd = Iptables::new().options("-nL").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
        let rules = r["INPUT"]["CHAIN"].as_array().unwrap();
        assert_eq!(rules.len(), 1, "{rules:?}");
        assert_eq!(rules[0]["TARGET"], "ACCEPT");
    }
}
