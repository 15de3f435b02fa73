//! `lxc_info`: [`LxcInfo`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{regex, required};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `lxc-info -n name [options]`: a container's state; result `{"RESULT": {key: value}}`, a
/// key printed several times (`IP`) holding the list of its values.
///
/// ```
/// use moler_commands::{offline, unix::LxcInfo, UnixCommand};
///
/// let out = "lxc-info -n c1\nState:          RUNNING\nIP:   10.0.0.2\nIP:   10.0.0.3\n$ ";
/// let info = offline::parse(LxcInfo::new("c1").command_with_prompt(r"^\$ $"), [out.as_bytes()]);
/// let info = info.unwrap();
/// assert_eq!(info.result["State"], "RUNNING");
/// assert_eq!(info.result["IP"], serde_json::json!(["10.0.0.2", "10.0.0.3"]));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LxcInfo {
    /// The container.
    pub name: String,
    /// `-s`, `-i`, `-p`…
    pub options: Option<String>,
}
builder!(LxcInfo { name: String }, options);

/// Result of [`LxcInfo`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LxcInfoResult {
    /// Each `Key: value`: text, or a list for a key printed several times.
    #[serde(rename = "RESULT")]
    pub result: Map<String, Value>,
}

/// Parser of [`LxcInfo`].
#[derive(Debug)]
pub struct LxcInfoParser {
    row: Arc<Regex>,
    result: LxcInfoResult,
}

impl Parser for LxcInfoParser {
    type Output = LxcInfoResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        // Moler splits at `:\s+` and takes lines that split in two.
        let mut parts = self.row.splitn(line, 3);
        let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(());
        };
        if !line.contains(": ") {
            return Ok(());
        }
        let value = Value::String(value.to_owned());
        match self.result.result.get_mut(key) {
            Some(Value::Array(list)) => list.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                self.result.result.insert(key.to_owned(), value);
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<LxcInfoResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(LxcInfo, "lxc_info", LxcInfoParser,
    |s| LxcInfoParser { row: regex(r":\s+"), result: LxcInfoResult::default() },
    line: |s| {
        let mut line = format!("lxc-info -n {}", required("name", &s.name)?.trim());
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)lxc-info:\s+.+|\w*\s+doesn't\s+exist"));
