//! `failed_login_counter`: the event [`NumberedOccurrence`].

use std::collections::BTreeMap;

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};
use crate::MapOutput;

/// An occurrence whose groups are numbers where they look like one (Moler converts them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberedOccurrence {
    /// The whole line.
    pub line: String,
    /// The text the pattern matched.
    pub matched: String,
    /// The groups, numbers where they are.
    pub groups: Vec<serde_json::Value>,
    /// The named groups, numbers where they are.
    pub named_groups: BTreeMap<String, serde_json::Value>,
}

fn numbered(o: Occurrence) -> NumberedOccurrence {
    let convert = |g: Option<String>| match g {
        None => serde_json::Value::Null,
        Some(text) => crate::unix::number_or_text(&text),
    };
    NumberedOccurrence {
        line: o.line,
        matched: o.matched,
        groups: o.groups.into_iter().map(convert).collect(),
        named_groups: o.named_groups.into_iter().map(|(k, v)| (k, convert(v))).collect(),
    }
}

/// `failed_login_counter`: `There were N failed login attempts since the last successful
/// login` (`ATTEMPTS_NR` as a number).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedLoginCounter {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for FailedLoginCounter {
    const NAME: &'static str = "failed_login_counter";
    type Event = MapOutput<Wait4, Vec<NumberedOccurrence>>;
    type Output = Vec<NumberedOccurrence>;
    fn event(&self) -> Result<Self::Event> {
        let event = Wait4::new([
            r"(?i)There (?:were|was|have been) (?P<ATTEMPTS_NR>\d+) (?:failed|unsuccessful) login attempts? since the last successful login",
        ])?;
        let event = till(event, Some(self.till_occurs_times.unwrap_or(1)))?;
        Ok(MapOutput::new(event, |found: Vec<Occurrence>| {
            found.into_iter().map(numbered).collect()
        }))
    }
}
