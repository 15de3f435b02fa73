//! `nft` (nftables): [`Nft`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{number_or_text, own_errors, regex};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `nft [options]`; result (Moler's shape) `{"table inet filter": {"chain input": {"LINES":
/// [statement…], key: value, kind: {key: number}}}}`: each block two levels deep keeps its
/// lines, and a line of two words (`type ipv4_addr`) or of a kind and two counters (`counter
/// packets 0 bytes 0`) is also read as values.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nft {
    /// `list ruleset`, `list table inet filter`…
    pub options: Option<String>,
}
builder!(Nft {}, options);

/// Parser of [`Nft`].
#[derive(Debug)]
pub struct NftParser {
    open: Arc<Regex>,
    close: Arc<Regex>,
    two_values: Arc<Regex>,
    one_value: Arc<Regex>,
    outer: Option<String>,
    inner: Option<String>,
    result: Map<String, Value>,
}

impl NftParser {
    fn block(&mut self) -> Option<&mut Map<String, Value>> {
        let (outer, inner) = (self.outer.as_ref()?, self.inner.as_ref()?);
        self.result.get_mut(outer)?.get_mut(inner)?.as_object_mut()
    }
}

impl Parser for NftParser {
    type Output = Map<String, Value>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.open.captures(line) {
            let key = c[1].to_owned();
            match (&self.outer, &self.inner) {
                (None, _) => {
                    self.result.insert(key.clone(), Map::new().into());
                    self.outer = Some(key);
                    return Ok(());
                }
                (Some(outer), None) => {
                    if let Some(Value::Object(o)) = self.result.get_mut(outer) {
                        o.insert(key.clone(), Map::new().into());
                    }
                    self.inner = Some(key);
                    return Ok(());
                }
                // A third level: kept as a line of the block.
                _ => {}
            }
        }
        if self.close.is_match(line) {
            if self.inner.take().is_none() {
                self.outer = None;
            }
            return Ok(());
        }
        let content = line.trim();
        if content.is_empty() {
            return Ok(());
        }
        let two = self.two_values.captures(line).map(|c| {
            let pair = |k: usize, v: usize| (c[k].to_owned(), number_or_text(&c[v]));
            (c[1].to_owned(), [pair(2, 3), pair(4, 5)])
        });
        let one = self.one_value.captures(line).map(|c| (c[1].to_owned(), number_or_text(&c[2])));
        let Some(block) = self.block() else { return Ok(()) };
        let lines = block.entry("LINES").or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(lines) = lines {
            lines.push(content.into());
        }
        if let Some((kind, pairs)) = two {
            let kind = block.entry(kind).or_insert_with(|| Map::new().into());
            if let Value::Object(kind) = kind {
                kind.extend(pairs);
            }
        } else if let Some((key, value)) = one {
            block.insert(key, value);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Nft {
    const NAME: &'static str = "nft";
    type Parser = NftParser;
    type Output = Map<String, Value>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "nft".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> NftParser {
        NftParser {
            open: regex(r"^\s*(\S.*\S|\S+)\s*\{\s*$"),
            close: regex(r"^\s*\}\s*$"),
            two_values: regex(r"^\s*(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s*$"),
            one_value: regex(r"^\s*(\S+)\s+(\S+)\s*$"),
            outer: None,
            inner: None,
            result: Map::new(),
        }
    }
    fn setup(&self, command: Command<NftParser>) -> Command<NftParser> {
        own_errors(command, "nft").failure(r"^Error: ").ret_required(false)
    }
}
