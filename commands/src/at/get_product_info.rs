//! `get_product_info`: [`GetProductInfo`], its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::{at_command, regex};

/// `ATI`: the product information; result every `Key: value` line as `{"Key": "value"}`
/// (`Manufacturer`, `Model`, `Revision`, `IMEI`, `+GCAP`…; a key without a value is left out).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetProductInfo {}

impl GetProductInfo {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Parser of [`GetProductInfo`].
#[derive(Debug, Default)]
pub struct GetProductInfoParser(BTreeMap<String, String>);

impl Parser for GetProductInfoParser {
    type Output = BTreeMap<String, String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        let re = regex(r"^(?P<key>[^:\n]+):( )*(?P<value>[^\n]+)$");
        if let Some(c) = re.captures(line).filter(|_| !partial) {
            self.0.insert(c["key"].to_owned(), c["value"].to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.0.is_empty()
    }
    fn finish(&mut self) -> ParseResult<BTreeMap<String, String>> {
        Ok(std::mem::take(&mut self.0))
    }
}

at_command!(GetProductInfo, "get_product_info", GetProductInfoParser,
    |s| GetProductInfoParser::default(), line: |l| Ok("ATI".to_owned()));
