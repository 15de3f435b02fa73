//! `ps`: [`Ps`], its parameters, its result and its parser.

use std::sync::Arc;

use compact_str::CompactString;
use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::parse::{number, number_or_text, own_errors, word_spans, MapTemplate};
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
    pub rows: Vec<Vec<PsValue>>,
}

impl PsResult {
    /// The value of `column` in row `row`.
    pub fn get(&self, row: usize, column: &str) -> Option<&PsValue> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(i)
    }
}

/// One value of a [`PsResult`]: a number when the text is one (Moler's conversion: an integer,
/// else a float), else the text, held inline up to 24 bytes (a user, a state, a time: no
/// allocation). Serializes as the JSON number or string it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PsValue {
    /// `1234`, `0.5`.
    Number(serde_json::Number),
    /// `root`, `Ss`, `00:00:01`, `/usr/bin/worker --id 7`.
    Text(CompactString),
}

impl PsValue {
    /// The text, if it is not a number.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Number(_) => None,
        }
    }

    /// The number as an `i64`, if it is an integer that fits one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(n) => n.as_i64(),
            Self::Text(_) => None,
        }
    }

    /// The number as an `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(n) => n.as_u64(),
            Self::Text(_) => None,
        }
    }

    /// The number as an `f64`, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => n.as_f64(),
            Self::Text(_) => None,
        }
    }
}

impl From<PsValue> for Value {
    fn from(v: PsValue) -> Self {
        match v {
            PsValue::Number(n) => Value::Number(n),
            PsValue::Text(t) => Value::String(t.into_string()),
        }
    }
}

impl From<i64> for PsValue {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl From<&str> for PsValue {
    fn from(t: &str) -> Self {
        Self::Text(t.into())
    }
}

impl PartialEq<Value> for PsValue {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::Number(a), Value::Number(b)) => a == b,
            (Self::Text(a), Value::String(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq<&str> for PsValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<i64> for PsValue {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

/// A value of a process line: the typed result's [`PsValue`], or the registry's JSON value.
trait Cell: Sized {
    /// A word: a number when it is one, else its text.
    fn word(text: &str) -> Self;
    /// The free column's text, kept as text.
    fn text(text: &str) -> Self;
}

impl Cell for PsValue {
    #[inline]
    fn word(text: &str) -> Self {
        number(text).map_or_else(|| Self::Text(text.into()), Self::Number)
    }
    #[inline]
    fn text(text: &str) -> Self {
        Self::Text(text.into())
    }
}

impl Cell for Value {
    #[inline]
    fn word(text: &str) -> Self {
        number_or_text(text)
    }
    #[inline]
    fn text(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl Serialize for PsResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Row<'a>(&'a [String], &'a [PsValue]);
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
        let shape = RowShape::new(&self.columns);
        let rows = self
            .rows
            .into_iter()
            .map(|row| shape.json(&self.columns, row.into_iter().map(Value::from).collect()));
        Value::Array(rows.collect())
    }
}

/// How a full row becomes Moler's mapping: a template of the header's keys, and the column of
/// each key in key order (of a repeated column name only the last counts, as when inserting in
/// column order).
#[derive(Debug, Default)]
struct RowShape {
    keys: MapTemplate,
    columns: Vec<usize>,
}

impl RowShape {
    fn new(columns: &[String]) -> Self {
        let mut order: Vec<usize> =
            (0..columns.len()).filter(|&i| !columns[i + 1..].contains(&columns[i])).collect();
        order.sort_unstable_by(|&a, &b| columns[a].cmp(&columns[b]));
        Self { keys: MapTemplate::new(order.iter().map(|&i| columns[i].as_str())), columns: order }
    }

    /// One row as Moler's mapping.
    fn json(&self, columns: &[String], mut row: Vec<Value>) -> Value {
        if row.len() >= columns.len() {
            let values = self.columns.iter().map(|&i| std::mem::take(&mut row[i]));
            return Value::Object(self.keys.fill(values));
        }
        let mut m = serde_json::Map::new();
        for (k, v) in columns.iter().zip(row) {
            m.insert(k.clone(), v);
        }
        Value::Object(m)
    }
}

/// The registry's parser of [`Ps`]: each row made Moler's mapping as it comes (the rows' value
/// vectors then reuse one allocation instead of piling up until the end).
#[derive(Debug, Default)]
struct PsJsonParser {
    inner: PsParser,
    /// The [`RowShape`] of the header, once seen.
    shape: Option<RowShape>,
    rows: Vec<Value>,
}

impl Parser for PsJsonParser {
    type Output = Value;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        let mut spans = std::mem::take(&mut self.inner.spans);
        word_spans(line, &mut spans);
        let row = self.inner.row(line, &spans);
        self.inner.spans = spans;
        if let Some(row) = row {
            let columns = &self.inner.result.columns;
            let shape = self.shape.get_or_insert_with(|| RowShape::new(columns));
            self.rows.push(shape.json(columns, row?));
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.inner.has_result()
    }
    fn finish(&mut self) -> ParseResult<Value> {
        Ok(Value::Array(std::mem::take(&mut self.rows)))
    }
}

/// Parser of [`Ps`].
#[derive(Debug, Default)]
pub struct PsParser {
    /// The multi-word column (`CMD`, `COMMAND`, `ARGS`), if any.
    free: Option<usize>,
    result: PsResult,
    /// The spans of a line's words (a buffer reused from line to line).
    spans: Vec<(usize, usize)>,
}

impl Parser for PsParser {
    type Output = PsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        // The words' spans, in a buffer kept from line to line.
        let mut spans = std::mem::take(&mut self.spans);
        word_spans(line, &mut spans);
        let row = self.row(line, &spans);
        self.spans = spans;
        if let Some(row) = row {
            self.result.rows.push(row?);
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.columns.is_empty()
    }
    fn finish(&mut self) -> ParseResult<PsResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl PsParser {
    /// The values of a process line (`None` for the header, or a line before it), from the
    /// spans of its words.
    fn row<C: Cell>(
        &mut self,
        line: &str,
        words: &[(usize, usize)],
    ) -> Option<ParseResult<Vec<C>>> {
        let text = |&(start, end): &(usize, usize)| &line[start..end];
        if self.result.columns.is_empty() {
            if words.iter().any(|w| text(w) == "PID") {
                let columns: Vec<String> = words.iter().map(|w| text(w).to_owned()).collect();
                self.free =
                    columns.iter().position(|c| matches!(c.as_str(), "CMD" | "COMMAND" | "ARGS"));
                self.result.columns = columns.into();
            }
            return None;
        }
        let n = self.result.columns.len();
        if words.len() < n.saturating_sub(usize::from(self.free.is_some())) {
            return Some(Err(ParseError::at_line(
                line,
                "a process line with fewer columns than the header",
            )));
        }
        let mut row = Vec::with_capacity(n);
        match self.free {
            Some(f) if words.len() >= n => {
                let after = n - f - 1;
                for w in &words[..f] {
                    row.push(C::word(text(w)));
                }
                let (start, _) = words[f];
                let (_, end) = words[words.len() - after - 1];
                row.push(C::text(&line[start..end]));
                for w in &words[words.len() - after..] {
                    row.push(C::word(text(w)));
                }
            }
            Some(f) => {
                // The free column is empty (a kernel thread without arguments).
                for (i, w) in words.iter().enumerate() {
                    if i == f {
                        row.push(C::text(""));
                    }
                    row.push(C::word(text(w)));
                }
                if row.len() < n {
                    row.push(C::text(""));
                }
            }
            None => {
                // Without a free column, the last one takes the rest of the line.
                for w in &words[..n - 1] {
                    row.push(C::word(text(w)));
                }
                let (start, _) = words[n - 1];
                row.push(C::word(line[start..].trim_end()));
            }
        }
        Some(Ok(row))
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
    fn json_parser(parser: PsParser) -> Box<dyn Parser<Output = Value>> {
        Box::new(PsJsonParser { inner: parser, ..PsJsonParser::default() })
    }
    fn setup(&self, command: Command<PsParser>) -> Command<PsParser> {
        own_errors(command, "ps").failure("^error: ").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `output` of `ps OPTIONS` through `ps`'s typed parser (serialized) and through the
    /// registry's parser.
    fn both_ways(options: &str, output: &str) -> (Option<Value>, Option<Value>) {
        crate::unix::parse::typed_and_registry(&Ps::new().options(options), output)
    }

    proptest! {
        /// Any header (repeated columns, with or without a free column), any rows (short, long,
        /// numbers, text): the registry's JSON is the typed result's.
        #[test]
        fn the_registry_parser_gives_what_serializing_gives_for_any_table(
            header in proptest::sample::subsequence(
                vec!["USER", "PID", "%CPU", "VSZ", "TTY", "STAT", "TIME", "COMMAND", "UID",
                     "PPID", "C", "PID", "CMD", "ARGS", "NI"], 1..10),
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    "[0-9]{1,6}|[0-9]{1,2}[.][0-9]|[a-z/?]{1,8}|[0-9]{2}:[0-9]{2}|-[0-9]|\\[kworker/0:1\\]",
                    0..14),
                0..6),
            gap in "[ \t]{1,3}",
        ) {
            let mut output = format!("ps x\nPID {}\n", header.join(&gap));
            for row in &rows {
                output.push_str(&row.join(&gap));
                output.push('\n');
            }
            output.push_str("$ ");
            let (typed, json) = both_ways("x", &output);
            prop_assert_eq!(typed, json);
        }
    }

    #[test]
    fn moved_into_json_it_is_what_serializing_gives() {
        let result = PsResult {
            columns: vec!["PID".to_owned(), "CMD".to_owned(), "PID".to_owned()].into(),
            rows: vec![
                vec![1.into(), "init".into(), 7.into()],
                vec![2.into(), "".into()],
                vec![3.into(), "x".into(), 9.into(), "more than the header".into()],
            ],
        };
        let serialized = serde_json::to_value(&result).unwrap();
        assert_eq!(serialized[0]["PID"], 7, "a repeated column keeps its last value");
        assert_eq!(serialized[1], serde_json::json!({"PID": 2, "CMD": ""}), "a short row");
        assert_eq!(Ps::output_json(result).unwrap(), serialized);
        let empty = PsResult::default();
        assert_eq!(Ps::output_json(empty.clone()).unwrap(), serde_json::to_value(&empty).unwrap());
    }

    #[test]
    fn the_registry_parser_gives_what_serializing_gives() {
        let output = "ps -ef\nUID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:01 /sbin/init splash\n\
                      root 2 0 0 10:00 ? 00:00:00\nute 30 1 1.5 10:01 pts/0 00:00:00 bash\n$ ";
        let (typed, json) = both_ways("-ef", output);
        let typed = typed.expect("the output parses");
        assert_eq!(typed.as_array().unwrap().len(), 3);
        assert_eq!(json, Some(typed));
    }
}
