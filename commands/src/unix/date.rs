//! `date`: [`Date`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, regex};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `date` (with Moler's format string) or `date <options>`; the result describes the date
/// when the format is used, else `{}`.
///
/// `date_table_output` (Moler's parameter): `true` puts the format after the options too
/// (`date -u '+DATE:…'`), `false` leaves it out. Unset, the format goes only without options:
/// Moler's default is `true`, but its own reference case with options (`date -s …`) echoes
/// the command without the format.
///
/// ```
/// use moler_commands::unix::Date;
/// use moler_commands::UnixCommand;
///
/// assert_eq!(Date::new().options("-u").command_line().unwrap(), "date -u");
/// let table = Date::new().options("-u").date_table_output(true);
/// assert!(table.command_line().unwrap().starts_with("date -u '+DATE:"));
/// assert_eq!(Date::new().date_table_output(false).command_line().unwrap(), "date");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Date {
    /// Options (`-s "2021-01-01 00:00"`, `-u`).
    pub options: Option<String>,
    /// Print the date in Moler's table format (see above).
    pub date_table_output: Option<bool>,
}
builder!(Date {}, options);

impl Date {
    /// Whether to print the date in Moler's table format.
    pub fn date_table_output(mut self, on: bool) -> Self {
        self.date_table_output = Some(on);
        self
    }
}

/// The format Moler's `date` prints, one field per line.
const DATE_FORMAT: &str = "'+DATE:%t%t%d-%m-%Y%nTIME:%t%t%H:%M:%S%nZONE:%t%t%z %Z%nEPOCH:%t%t%s%nWEEK_NUMBER:%t%-V%nDAY_OF_YEAR:%t%-j%nDAY_OF_WEEK:%t%u (%A)%nMONTH:%t%t%-m (%B)'";

/// Result of [`Date`]: every field is there for the default format (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DateResult {
    #[serde(rename = "DATE", skip_serializing_if = "Option::is_none", default)]
    pub date: Option<BTreeMap<String, String>>,
    #[serde(rename = "TIME", skip_serializing_if = "Option::is_none", default)]
    pub time: Option<BTreeMap<String, String>>,
    #[serde(rename = "ZONE", skip_serializing_if = "Option::is_none", default)]
    pub zone: Option<BTreeMap<String, String>>,
    #[serde(rename = "EPOCH", skip_serializing_if = "Option::is_none", default)]
    pub epoch: Option<i64>,
    #[serde(rename = "WEEK_NUMBER", skip_serializing_if = "Option::is_none", default)]
    pub week_number: Option<u32>,
    #[serde(rename = "DAY_OF_YEAR", skip_serializing_if = "Option::is_none", default)]
    pub day_of_year: Option<u32>,
    #[serde(rename = "DAY_OF_MONTH", skip_serializing_if = "Option::is_none", default)]
    pub day_of_month: Option<u32>,
    #[serde(rename = "DAY_OF_WEEK", skip_serializing_if = "Option::is_none", default)]
    pub day_of_week: Option<u32>,
    #[serde(rename = "DAY_NAME", skip_serializing_if = "Option::is_none", default)]
    pub day_name: Option<String>,
    #[serde(rename = "MONTH_NUMBER", skip_serializing_if = "Option::is_none", default)]
    pub month_number: Option<u32>,
    #[serde(rename = "MONTH_NAME", skip_serializing_if = "Option::is_none", default)]
    pub month_name: Option<String>,
}

/// Parser of [`Date`].
#[derive(Debug)]
pub struct DateParser {
    date: Arc<Regex>,
    time: Arc<Regex>,
    zone: Arc<Regex>,
    named: Arc<Regex>,
    result: DateResult,
}

fn groups(re: &Regex, text: &str, names: &[&str]) -> Option<BTreeMap<String, String>> {
    let c = re.captures(text)?;
    Some(names.iter().map(|n| (n.to_string(), c[*n].to_owned())).collect())
}

impl Parser for DateParser {
    type Output = DateResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let Some((key, value)) = line.split_once(':') else { return Ok(()) };
        let value = value.trim();
        let int = |v: &str| {
            v.parse::<u32>().map_err(|e| {
                ParseError::new(format!("date {key}: {v:?} is not a number")).with_source(e)
            })
        };
        let r = &mut self.result;
        match key {
            "DATE" => {
                r.date = groups(&self.date, value, &["FULL", "DAY", "MONTH", "YEAR"]);
                if let Some(d) = &r.date {
                    r.day_of_month = Some(int(&d["DAY"])?);
                }
            }
            "TIME" => r.time = groups(&self.time, value, &["FULL", "HOUR", "MINUTE", "SECOND"]),
            "ZONE" => {
                r.zone = groups(&self.zone, value, &["FULL", "SIGN", "HOUR", "MINUTE", "NAME"])
            }
            "EPOCH" => {
                let epoch = value.parse().map_err(|e| {
                    ParseError::new(format!("date EPOCH: {value:?} is not a number")).with_source(e)
                })?;
                r.epoch = Some(epoch);
            }
            "WEEK_NUMBER" => r.week_number = Some(int(value)?),
            "DAY_OF_YEAR" => r.day_of_year = Some(int(value)?),
            "DAY_OF_WEEK" | "MONTH" => {
                let c = self.named.captures(value).ok_or_else(|| {
                    ParseError::at_line(line, format!("date {key}: no number and name"))
                })?;
                let (n, name) = (int(&c[1])?, c[2].to_owned());
                if key == "MONTH" {
                    (r.month_number, r.month_name) = (Some(n), Some(name));
                } else {
                    (r.day_of_week, r.day_name) = (Some(n), Some(name));
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<DateResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Date {
    const NAME: &'static str = "date";
    type Parser = DateParser;
    type Output = DateResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let options = self.options.as_deref().filter(|o| !o.trim().is_empty());
        let table = self.date_table_output.unwrap_or(options.is_none());
        let mut line = "date".to_owned();
        for part in [options, table.then_some(DATE_FORMAT)].into_iter().flatten() {
            line.push(' ');
            line.push_str(part);
        }
        Ok(line)
    }
    fn parser(&self) -> DateParser {
        DateParser {
            date: regex(r"^(?P<FULL>(?P<DAY>\d+)-(?P<MONTH>\d+)-(?P<YEAR>\d+))$"),
            time: regex(r"^(?P<FULL>(?P<HOUR>\d+):(?P<MINUTE>\d+):(?P<SECOND>\d+))$"),
            zone: regex(
                r"^(?P<FULL>(?P<SIGN>[-+])(?P<HOUR>\d\d)(?P<MINUTE>\d\d)\s+(?P<NAME>\S+))$",
            ),
            named: regex(r"^(\d+)\s+\((\w+)\)$"),
            result: DateResult::default(),
        }
    }
    fn setup(&self, command: Command<DateParser>) -> Command<DateParser> {
        own_errors(command, "date").ret_required(false)
    }
}
