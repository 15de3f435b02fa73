//! `mpstat`: [`Mpstat`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `mpstat [options]`; result `{"cpu": {cpu: row}}` (`all`, `0`, `1`…), each row the time and
/// the percentages under Moler's keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mpstat {
    /// `-P ALL`…
    pub options: Option<String>,
}
builder!(Mpstat {}, options);

/// Result of [`Mpstat`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MpstatResult {
    /// Rows by CPU (`all`, `0`…).
    pub cpu: BTreeMap<String, MpstatCpu>,
}

/// One CPU's row of [`Mpstat`] (percentages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MpstatCpu {
    /// The time column as printed.
    #[serde(rename = "TIME")]
    pub time: String,
    #[serde(rename = "USR")]
    pub usr: f64,
    #[serde(rename = "NICE")]
    pub nice: f64,
    #[serde(rename = "SYS")]
    pub sys: f64,
    #[serde(rename = "IOWAIT")]
    pub iowait: f64,
    #[serde(rename = "IRQ")]
    pub irq: f64,
    #[serde(rename = "SOFT")]
    pub soft: f64,
    #[serde(rename = "STEAL")]
    pub steal: f64,
    #[serde(rename = "GUEST")]
    pub guest: f64,
    /// Only where mpstat prints `%gnice`.
    #[serde(rename = "GNICE", skip_serializing_if = "Option::is_none", default)]
    pub gnice: Option<f64>,
    #[serde(rename = "IDLE")]
    pub idle: f64,
}

/// Parser of [`Mpstat`].
#[derive(Debug)]
pub struct MpstatParser {
    row: Arc<Regex>,
    result: MpstatResult,
}

impl Parser for MpstatParser {
    type Output = MpstatResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let Some(c) = self.row.captures(line) else { return Ok(()) };
        let values: Vec<f64> = c[3].split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
        let (gnice, idle) = match values.len() {
            9 => (None, values[8]),
            10 => (Some(values[8]), values[9]),
            _ => return Ok(()),
        };
        let row = MpstatCpu {
            time: c[1].to_owned(),
            usr: values[0],
            nice: values[1],
            sys: values[2],
            iowait: values[3],
            irq: values[4],
            soft: values[5],
            steal: values[6],
            guest: values[7],
            gnice,
            idle,
        };
        self.result.cpu.insert(c[2].to_owned(), row);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<MpstatResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Mpstat, "mpstat", MpstatParser,
    |s| MpstatParser {
        // Nine percentages, or ten with `%gnice`; the header's `CPU` is no number.
        row: regex(r"^(\S+(?: [AP]M)?)\s+(\S+)((?:\s+\d+\.\d+){9,10})\s*$"),
        result: MpstatResult::default(),
    },
    line: |s| {
        let mut line = "mpstat".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.ret_required(false));
