//! `route` (net-tools): [`Route`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::words;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `route [options]`; result `{"headers": [column…], "IFACE_DESTINATION": {column: value}}`
/// (Moler's shape: each route under its interface and destination joined by `_`); `{}` for
/// `route add`/`del`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `-n`, `-e`, `-C`, `add -net … gw …`…
    pub options: Option<String>,
}
builder!(Route {}, options);

/// Result of [`Route`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteResult {
    /// The column names of the table (none for `add`/`del`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// The routes by `IFACE_DESTINATION`, each `{column: value}`.
    #[serde(flatten)]
    pub routes: BTreeMap<String, BTreeMap<String, String>>,
}

/// Columns of a routing table line.
const COLUMNS: usize = 8;

/// Parser of [`Route`].
#[derive(Debug, Default)]
pub struct RouteParser(RouteResult);

impl Parser for RouteParser {
    type Output = RouteResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let w: Vec<&str> = words(line).map(|(_, w)| w).take(COLUMNS).collect();
        if w.len() < COLUMNS {
            return Ok(());
        }
        if self.0.headers.is_empty() {
            self.0.headers = w.iter().map(|w| (*w).to_owned()).collect();
            return Ok(());
        }
        let key = format!("{}_{}", w[COLUMNS - 1], w[0]);
        let route = self.0.routes.entry(key).or_default();
        for (h, v) in self.0.headers.iter().zip(&w) {
            route.insert(h.clone(), (*v).to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.0.headers.is_empty()
    }
    fn finish(&mut self) -> ParseResult<RouteResult> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl UnixCommand for Route {
    const NAME: &'static str = "route";
    type Parser = RouteParser;
    type Output = RouteResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "route".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> RouteParser {
        RouteParser::default()
    }
    fn setup(&self, command: Command<RouteParser>) -> Command<RouteParser> {
        command.failure(r":\s+(?:File exists|No such device|No such process)").ret_required(false)
    }
}
