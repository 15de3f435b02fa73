//! Processes and the machine: ps, uptime.

use std::sync::Arc;

use moler_core::{Command, Context, Parser};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::basic::own_errors;
use super::parse::{number_or_text, words};
use crate::spec::{builder, push_opt, UnixCommand};

/// `ps [options]`; result: one `{column: value}` per process, columns named by the header,
/// numbers as numbers (Moler's shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ps {
    /// `-ef`, `aux`, `-o user,pid,cmd -e`…
    pub options: Option<String>,
}
builder!(Ps {}, options);

/// Result of [`Ps`]: rows sharing one header, so 100,000 processes cost one small vector each.
/// Serializes as Moler's list of mappings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PsResult {
    /// The column names, from the header.
    pub columns: Arc<[String]>,
    /// One value per column for each process.
    pub rows: Vec<Vec<Value>>,
}

impl PsResult {
    /// The value of `column` in row `row`.
    pub fn get(&self, row: usize, column: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(i)
    }
}

impl Serialize for PsResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Row<'a>(&'a [String], &'a [Value]);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.1.len()))?;
                for (k, v) in self.0.iter().zip(self.1) {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        s.collect_seq(self.rows.iter().map(|r| Row(&self.columns, r)))
    }
}

/// Parser of [`Ps`].
#[derive(Debug, Default)]
pub struct PsParser {
    /// The multi-word column (`CMD`, `COMMAND`, `ARGS`), if any.
    free: Option<usize>,
    result: PsResult,
}

impl Parser for PsParser {
    type Output = PsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        // One allocation per line: ps lines have about a dozen columns.
        let mut found = Vec::with_capacity(16);
        found.extend(words(line));
        let words = found;
        if self.result.columns.is_empty() {
            if words.iter().any(|(_, w)| *w == "PID") {
                let columns: Vec<String> = words.iter().map(|(_, w)| w.to_string()).collect();
                self.free =
                    columns.iter().position(|c| matches!(c.as_str(), "CMD" | "COMMAND" | "ARGS"));
                self.result.columns = columns.into();
            }
            return Ok(());
        }
        let n = self.result.columns.len();
        if words.len() < n.saturating_sub(usize::from(self.free.is_some())) {
            return Err(format!("a process line with fewer columns than the header: {line:?}"));
        }
        let mut row = Vec::with_capacity(n);
        match self.free {
            Some(f) if words.len() >= n => {
                let after = n - f - 1;
                for (_, w) in &words[..f] {
                    row.push(number_or_text(w));
                }
                let (start, _) = words[f];
                let last = words[words.len() - after - 1];
                row.push(Value::String(line[start..last.0 + last.1.len()].to_owned()));
                for (_, w) in &words[words.len() - after..] {
                    row.push(number_or_text(w));
                }
            }
            Some(f) => {
                // The free column is empty (a kernel thread without arguments).
                for (i, (_, w)) in words.iter().enumerate() {
                    if i == f {
                        row.push(Value::String(String::new()));
                    }
                    row.push(number_or_text(w));
                }
                if row.len() < n {
                    row.push(Value::String(String::new()));
                }
            }
            None => {
                // Without a free column, the last one takes the rest of the line.
                for (_, w) in &words[..n - 1] {
                    row.push(number_or_text(w));
                }
                let (start, _) = words[n - 1];
                row.push(number_or_text(line[start..].trim_end()));
            }
        }
        self.result.rows.push(row);
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.columns.is_empty()
    }
    fn finish(&mut self) -> Result<PsResult, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ps {
    const NAME: &'static str = "ps";
    type Parser = PsParser;
    type Output = PsResult;
    fn command_line(&self) -> Result<String, String> {
        let mut line = "ps".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> PsParser {
        PsParser::default()
    }
    fn setup(&self, command: Command<PsParser>) -> Command<PsParser> {
        own_errors(command, "ps").failure("^error: ").ret_required(false)
    }
}

// ---------------------------------------------------------------------------------------------

/// `uptime [options]`; result `{"UPTIME", "UPTIME_SECONDS", "USERS"}`, or with `-s`
/// `{"date", "time"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uptime {
    /// `-s`, `-p`…
    pub options: Option<String>,
}
builder!(Uptime {}, options);

/// Result of [`Uptime`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UptimeResult {
    /// The usual line.
    Up {
        /// As printed (`3 days  2:14`).
        #[serde(rename = "UPTIME")]
        uptime: String,
        /// In seconds.
        #[serde(rename = "UPTIME_SECONDS")]
        seconds: u64,
        /// Logged-in users (`None` when not shown).
        #[serde(rename = "USERS")]
        users: Option<u64>,
    },
    /// `uptime -s`: up since.
    Since {
        /// `2018-11-06`.
        date: String,
        /// `13:41:00`.
        time: String,
    },
}

/// Seconds of an uptime text: `3 days  2:14`, `2 days, 4 minutes`, `18 min`, `137 day(s),
/// 19:07`, `2 hrs`, `1 week`.
fn uptime_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number: Option<u64> = None;
    for word in text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
        if let Some((h, m)) = word.split_once(':') {
            total += h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
            continue;
        }
        if let Ok(n) = word.parse() {
            number = Some(n);
            continue;
        }
        let n = number.take()?;
        let unit = match word.trim_end_matches("(s)").trim_end_matches('s') {
            "week" => 604_800,
            "day" => 86_400,
            "hour" | "hr" | "h" => 3600,
            "minute" | "min" | "m" => 60,
            "second" | "sec" => 1,
            _ => return None,
        };
        total += n * unit;
    }
    number.is_none().then_some(total)
}

/// Parser of [`Uptime`].
#[derive(Debug, Default)]
pub struct UptimeParser(Option<UptimeResult>);

impl Parser for UptimeParser {
    type Output = UptimeResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial || self.0.is_some() {
            return Ok(());
        }
        let t = line.trim();
        if let Some((_, after)) = t.split_once(" up ") {
            let (before_load, _) = after.split_once("load average").unwrap_or((after, ""));
            let parts: Vec<&str> = before_load.trim_end_matches([',', ' ']).split(',').collect();
            let (uptime_parts, users) = match parts.last() {
                Some(p) if p.trim().ends_with("user") || p.trim().ends_with("users") => {
                    let n = p.split_whitespace().next().and_then(|n| n.parse().ok());
                    (&parts[..parts.len() - 1], n)
                }
                _ => (&parts[..], None),
            };
            let uptime = uptime_parts.join(",").trim().to_owned();
            let seconds = uptime_seconds(&uptime).ok_or_else(|| format!("uptime {uptime:?}"))?;
            self.0 = Some(UptimeResult::Up { uptime, seconds, users });
        } else if let Some((date, time)) = t.split_once(' ') {
            let d = date.as_bytes();
            if d.len() == 10 && d[4] == b'-' && d[7] == b'-' && time.contains(':') {
                self.0 = Some(UptimeResult::Since { date: date.into(), time: time.trim().into() });
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> Result<UptimeResult, String> {
        self.0.take().ok_or_else(|| "no uptime in the output".into())
    }
}

impl UnixCommand for Uptime {
    const NAME: &'static str = "uptime";
    type Parser = UptimeParser;
    type Output = UptimeResult;
    fn command_line(&self) -> Result<String, String> {
        let mut line = "uptime".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> UptimeParser {
        UptimeParser::default()
    }
    fn setup(&self, command: Command<UptimeParser>) -> Command<UptimeParser> {
        own_errors(command, "uptime")
    }
}

#[cfg(test)]
mod tests {
    use super::uptime_seconds;

    #[test]
    fn uptimes_in_seconds() {
        assert_eq!(uptime_seconds("3 days  2:14"), Some(267_240));
        assert_eq!(uptime_seconds("2 days, 4 minutes"), Some(173_040));
        assert_eq!(uptime_seconds("137 day(s), 19:07"), Some(11_905_620));
        assert_eq!(uptime_seconds("18 min"), Some(1080));
        assert_eq!(uptime_seconds("1 week, 2 hrs"), Some(612_000));
        assert_eq!(uptime_seconds("3 fortnights"), None);
        assert_eq!(uptime_seconds("x:y"), None);
    }
}
