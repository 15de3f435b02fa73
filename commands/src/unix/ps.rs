//! `ps`: [`Ps`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::parse::{number_or_text, own_errors, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

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

impl PsResult {
    /// Its JSON, moving the values (the same as serializing it, without copying them: the
    /// registry's path for `ps`).
    fn into_json(self) -> Value {
        let columns = self.columns;
        let rows = self.rows.into_iter().map(|row| {
            let mut m = serde_json::Map::new();
            for (k, v) in columns.iter().zip(row) {
                m.insert(k.clone(), v);
            }
            Value::Object(m)
        });
        Value::Array(rows.collect())
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
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
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
            return Err(ParseError::at_line(
                line,
                "a process line with fewer columns than the header",
            ));
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
    fn finish(&mut self) -> ParseResult<PsResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ps {
    const NAME: &'static str = "ps";
    type Parser = PsParser;
    type Output = PsResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ps".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> PsParser {
        PsParser::default()
    }
    fn output_json(output: PsResult) -> serde_json::Result<Value> {
        Ok(output.into_json())
    }
    fn setup(&self, command: Command<PsParser>) -> Command<PsParser> {
        own_errors(command, "ps").failure("^error: ").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_into_json_it_is_what_serializing_gives() {
        let result = PsResult {
            columns: vec!["PID".to_owned(), "CMD".to_owned(), "PID".to_owned()].into(),
            rows: vec![
                vec![1.into(), "init".into(), 7.into()],
                vec![2.into(), Value::String(String::new())],
            ],
        };
        let serialized = serde_json::to_value(&result).unwrap();
        assert_eq!(serialized[0]["PID"], 7, "a repeated column keeps its last value");
        assert_eq!(Ps::output_json(result).unwrap(), serialized);
        let empty = PsResult::default();
        assert_eq!(Ps::output_json(empty.clone()).unwrap(), serde_json::to_value(&empty).unwrap());
    }
}
