//! `ps`: [`Ps`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::parse::{
    each_option, number, number_or_text, own_errors, word_spans, MapTemplate, Opt, OptionSpec,
};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ps [options]`; result: one `{column: value}` per process, columns named by the header,
/// numbers as numbers (Moler's shape).
///
/// Output without a header (every column of `-o` renamed to nothing, `ps -o pid= -p 42`, or
/// `--no-headers` with `-o`) has its columns named from the options, as ps names them in its
/// header (`pid` `PID`, `comm` and `args` `COMMAND`, `etime` `ELAPSED`…, any other in
/// capitals): every line is a process. Moler takes the first process for the header.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ps {
    /// `-ef`, `aux`, `-o user,pid,cmd -e`…
    pub options: Option<String>,
}
builder!(Ps {}, options);

/// Result of [`Ps`]: one row of values per process, under the header's columns. Serializes as
/// Moler's list of mappings.
///
/// ```
/// use moler_commands::unix::{PsResult, PsValue};
///
/// let mut ps = PsResult { columns: vec!["PID".into(), "CMD".into()].into(), ..Default::default() };
/// ps.rows.push([PsValue::from(1), PsValue::from("/sbin/init")]);
/// assert_eq!(ps.get(0, "PID").and_then(|v| v.as_i64()), Some(1));
/// assert_eq!(ps.get(0, "CMD").and_then(|v| v.as_str()), Some("/sbin/init"));
/// assert_eq!(serde_json::to_value(&ps).unwrap(), serde_json::json!([{"PID": 1, "CMD": "/sbin/init"}]));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PsResult {
    /// The column names, from the header.
    pub columns: Arc<[String]>,
    /// One row of values per process, a value per column.
    pub rows: PsRows,
}

impl PsResult {
    /// The value of `column` in row `row`.
    pub fn get(&self, row: usize, column: &str) -> Option<PsValue<'_>> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(i)
    }
}

/// The rows of a [`PsResult`]: every row's values one after another and their texts one after
/// another, in chunks that are never moved once full, so a row costs no allocation of its own
/// and a large result is written once (100,000 processes: 17 chunks of values, 6 of text), not
/// copied again each time a vector doubles. A value is 9 bytes: 8 of payload (a number's bits,
/// or where its text is) and its kind.
#[derive(Clone, Default, PartialEq)]
pub struct PsRows {
    /// The full chunks of values, [`CHUNK`] values each.
    full: Vec<Vec<Slot>>,
    /// The chunk being filled.
    values: Vec<Slot>,
    /// Where each row's values end, counted over all chunks.
    ends: Vec<u32>,
    /// The full chunks of text, at most [`TEXT_CHUNK`] bytes each.
    texts: Vec<String>,
    /// The chunk of text being filled.
    text: String,
    /// The texts of [`TEXT_CHUNK`] bytes or more, one each.
    long: Vec<String>,
}

/// A value of [`PsRows`]: what it is and its payload, 9 bytes (packed: its fields are only ever
/// copied out, never borrowed).
#[derive(Clone, Copy, PartialEq)]
#[repr(C, packed)]
struct Slot {
    kind: Kind,
    /// A number's bits, or where its text is (see [`Kind`]).
    bits: u64,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 9, "a value of a row is 9 bytes");

/// Values per chunk of [`PsRows`] (576 KiB). The first chunk grows as a vector does;
/// the others are made this size.
const CHUNK: usize = 1 << 16;

/// Bytes per chunk of text in [`PsRows`] (a power of two: a text's place in one is 20 bits).
const TEXT_CHUNK: usize = 1 << 20;

/// The most text chunks [`PsRows`] holds (a text's chunk is 24 bits of its place): 16 TiB.
const MAX_TEXT_CHUNKS: usize = 1 << 24;

/// The most values [`PsRows`] holds (rows end at 32-bit positions).
const MAX_VALUES: usize = u32::MAX as usize;

/// What a value of [`PsRows`] is, which says how its 8 bytes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    /// A non-negative integer: its `u64`.
    Int,
    /// A negative integer: its `i64`'s bits.
    NegInt,
    /// Any other number: its `f64`'s bits.
    Float,
    /// A text shorter than [`TEXT_CHUNK`]: its place ([`text_place`]); an empty text is 0.
    Text,
    /// A longer text: its index in the long texts.
    LongText,
}

impl PsRows {
    /// How many rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `row`.
    pub fn get(&self, row: usize) -> Option<PsRow<'_>> {
        let end = *self.ends.get(row)? as usize;
        let start = if row == 0 { 0 } else { self.ends[row - 1] as usize };
        Some(PsRow { rows: self, start, end })
    }

    /// The rows, in order.
    pub fn iter(&self) -> PsRowsIter<'_> {
        PsRowsIter { rows: self, ends: self.ends.iter(), start: 0 }
    }

    /// Adds a row of `values`.
    ///
    /// # Panics
    /// When the rows would hold more than 4 billion values or 16 TiB of text.
    pub fn push<'a>(&mut self, values: impl IntoIterator<Item = PsValue<'a>>) {
        for v in values {
            assert!(self.has_room(1), "over 4 billion ps values or 16 TiB of ps text");
            match v {
                PsValue::Number(n) => self.push_number(&n),
                PsValue::Text(t) => self.push_text(t),
            }
        }
        self.end_row();
    }

    /// Whether `values` more values fit, whatever their texts.
    fn has_room(&self, values: usize) -> bool {
        self.value_count() + values <= MAX_VALUES && self.texts.len() + values < MAX_TEXT_CHUNKS
    }

    /// How many values all rows hold.
    fn value_count(&self) -> usize {
        self.full.len() * CHUNK + self.values.len()
    }

    /// Adds a value to the row being made.
    #[inline]
    fn push_value(&mut self, kind: Kind, bits: u64) {
        if self.values.len() == CHUNK {
            self.next_chunk();
        }
        self.values.push(Slot { kind, bits });
    }

    /// Puts the full chunk of values with the others and starts the next, [`CHUNK`] long.
    #[cold]
    fn next_chunk(&mut self) {
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(CHUNK));
        self.full.push(values);
    }

    /// Adds a number to the row being made.
    #[inline]
    fn push_number(&mut self, n: &serde_json::Number) {
        let (kind, bits) = if let Some(u) = n.as_u64() {
            (Kind::Int, u)
        } else if let Some(i) = n.as_i64() {
            (Kind::NegInt, i as u64)
        } else {
            // Neither integer: a float (`as_f64` gives every number one).
            (Kind::Float, n.as_f64().map_or(0, f64::to_bits))
        };
        self.push_value(kind, bits);
    }

    /// Adds a text value to the row being made (the caller saw that a text chunk more fits
    /// [`MAX_TEXT_CHUNKS`]).
    #[inline]
    fn push_text(&mut self, t: &str) {
        if t.is_empty() {
            return self.push_value(Kind::Text, 0);
        }
        if t.len() >= TEXT_CHUNK {
            self.long.push(t.to_owned());
            return self.push_value(Kind::LongText, (self.long.len() - 1) as u64);
        }
        if self.text.len() + t.len() > TEXT_CHUNK {
            // The first chunk grew as a string does (a small result stays small); the next
            // ones are made full size.
            let full = std::mem::replace(&mut self.text, String::with_capacity(TEXT_CHUNK));
            self.texts.push(full);
        }
        let start = self.text.len();
        self.text.push_str(t);
        self.push_value(Kind::Text, text_place(self.texts.len(), start, t.len()));
    }

    /// Ends the row being made (the caller saw that its values fit [`MAX_VALUES`]).
    #[inline]
    fn end_row(&mut self) {
        self.ends.push(self.value_count() as u32);
    }

    /// Value `i` (counted over all rows).
    fn value(&self, i: usize) -> PsValue<'_> {
        let values = self.full.get(i / CHUNK).unwrap_or(&self.values);
        let Slot { kind, bits } = values[i % CHUNK];
        match kind {
            Kind::Int => PsValue::Number(bits.into()),
            Kind::NegInt => PsValue::Number((bits as i64).into()),
            // The bits of a finite float (a `Number` holds no other): `from_f64` takes them.
            Kind::Float => PsValue::Number(
                serde_json::Number::from_f64(f64::from_bits(bits)).unwrap_or_else(|| 0.into()),
            ),
            Kind::Text if bits == 0 => PsValue::Text(""),
            Kind::Text => {
                let (chunk, start, len) = text_of_place(bits);
                let text = self.texts.get(chunk).unwrap_or(&self.text);
                PsValue::Text(&text[start..start + len])
            }
            Kind::LongText => PsValue::Text(&self.long[bits as usize]),
        }
    }
}

/// Where a text of [`PsRows`] is, in 8 bytes: its text chunk (high 24 bits), its start in that
/// chunk (20 bits) and its length (low 20 bits); both below [`TEXT_CHUNK`].
fn text_place(chunk: usize, start: usize, len: usize) -> u64 {
    (chunk as u64) << 40 | (start as u64) << 20 | len as u64
}

/// The text chunk, start and length of a [`text_place`].
fn text_of_place(place: u64) -> (usize, usize, usize) {
    const MASK: u64 = (1 << 20) - 1;
    ((place >> 40) as usize, ((place >> 20) & MASK) as usize, (place & MASK) as usize)
}

/// The rows, each the list of its values.
impl std::fmt::Debug for PsRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a PsRows {
    type Item = PsRow<'a>;
    type IntoIter = PsRowsIter<'a>;
    fn into_iter(self) -> PsRowsIter<'a> {
        self.iter()
    }
}

/// The rows of [`PsRows`], in order ([`PsRows::iter`]).
#[derive(Debug, Clone)]
pub struct PsRowsIter<'a> {
    rows: &'a PsRows,
    ends: std::slice::Iter<'a, u32>,
    /// Where the next row's values start.
    start: usize,
}

impl<'a> Iterator for PsRowsIter<'a> {
    type Item = PsRow<'a>;
    fn next(&mut self) -> Option<PsRow<'a>> {
        let end = *self.ends.next()? as usize;
        Some(PsRow { rows: self.rows, start: std::mem::replace(&mut self.start, end), end })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for PsRowsIter<'_> {}

/// One row of a [`PsResult`]: its values, a value per column (a kernel thread's empty command is
/// an empty text; a row may hold more values than the header has columns).
#[derive(Clone, Copy)]
pub struct PsRow<'a> {
    rows: &'a PsRows,
    /// Where its values start and end, counted over all rows.
    start: usize,
    end: usize,
}

impl<'a> PsRow<'a> {
    /// How many values.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it has no value.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The value of column `i`.
    pub fn get(&self, i: usize) -> Option<PsValue<'a>> {
        (i < self.len()).then(|| self.rows.value(self.start + i))
    }

    /// Its values, in column order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PsValue<'a>> + 'a {
        let rows = self.rows;
        (self.start..self.end).map(move |i| rows.value(i))
    }
}

/// Its values.
impl std::fmt::Debug for PsRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One value of a [`PsResult`]: a number when the text is one (Moler's conversion: an integer,
/// else a float), else the text. Serializes as the JSON number or string it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PsValue<'a> {
    /// `1234`, `0.5`.
    Number(serde_json::Number),
    /// `root`, `Ss`, `00:00:01`, `/usr/bin/worker --id 7`.
    Text(&'a str),
}

impl<'a> PsValue<'a> {
    /// The text, if it is not a number.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
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

impl From<PsValue<'_>> for Value {
    fn from(v: PsValue<'_>) -> Self {
        match v {
            PsValue::Number(n) => Value::Number(n),
            PsValue::Text(t) => Value::String(t.to_owned()),
        }
    }
}

impl From<i64> for PsValue<'_> {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl<'a> From<&'a str> for PsValue<'a> {
    fn from(t: &'a str) -> Self {
        Self::Text(t)
    }
}

impl PartialEq<Value> for PsValue<'_> {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::Number(a), Value::Number(b)) => a == b,
            (Self::Text(a), Value::String(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq<&str> for PsValue<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<i64> for PsValue<'_> {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

/// Where the values of a process line go: the typed result's [`PsRows`], or the registry's row
/// of JSON values.
trait RowSink {
    /// A word: a number when it is one, else its text.
    fn word(&mut self, text: &str);
    /// The free column's text, kept as text.
    fn text(&mut self, text: &str);
}

impl RowSink for PsRows {
    #[inline]
    fn word(&mut self, text: &str) {
        match number(text) {
            Some(n) => self.push_number(&n),
            None => self.push_text(text),
        }
    }
    #[inline]
    fn text(&mut self, text: &str) {
        self.push_text(text);
    }
}

impl RowSink for Vec<Value> {
    #[inline]
    fn word(&mut self, text: &str) {
        self.push(number_or_text(text));
    }
    #[inline]
    fn text(&mut self, text: &str) {
        self.push(Value::String(text.to_owned()));
    }
}

impl Serialize for PsResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Row<'a>(&'a [String], PsRow<'a>);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.1.len()))?;
                for (k, v) in self.0.iter().zip(self.1.iter()) {
                    m.serialize_entry(k, &v)?;
                }
                m.end()
            }
        }
        s.collect_seq(self.rows.iter().map(|r| Row(&self.columns, r)))
    }
}

impl PsResult {
    /// Its JSON (the same as serializing it: the registry's path for a typed `ps` result).
    fn into_json(self) -> Value {
        let shape = RowShape::new(&self.columns);
        let mut values = Vec::with_capacity(self.columns.len());
        let rows = self.rows.iter().map(|row| {
            values.extend(row.iter().map(Value::from));
            shape.json(&self.columns, &mut values)
        });
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

    /// One row as Moler's mapping, its values taken out of `row` (left empty, its allocation
    /// kept for the next row).
    fn json(&self, columns: &[String], row: &mut Vec<Value>) -> Value {
        if row.len() >= columns.len() {
            let values = self.columns.iter().map(|&i| std::mem::take(&mut row[i]));
            let m = self.keys.fill(values);
            row.clear();
            return Value::Object(m);
        }
        let mut m = serde_json::Map::new();
        for (k, v) in columns.iter().zip(row.drain(..)) {
            m.insert(k.clone(), v);
        }
        Value::Object(m)
    }
}

/// The registry's parser of [`Ps`]: each row made Moler's mapping as it comes.
#[derive(Debug, Default)]
struct PsJsonParser {
    inner: PsParser,
    /// The [`RowShape`] of the header, once seen.
    shape: Option<RowShape>,
    /// A row's values (one allocation, reused from row to row).
    row: Vec<Value>,
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
        let done = if self.inner.before_rows(line, &spans) {
            Ok(())
        } else {
            let (free, n) = (self.inner.free, self.inner.result.columns.len());
            fill(free, n, line, &spans, &mut self.row).map(|()| {
                let columns = &self.inner.result.columns;
                let shape = self.shape.get_or_insert_with(|| RowShape::new(columns));
                self.rows.push(shape.json(columns, &mut self.row));
            })
        };
        self.inner.spans = spans;
        done
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
    /// The columns of output printed without a header ([`headerless_columns`]).
    given: Option<Vec<String>>,
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
        let done = if self.before_rows(line, &spans) {
            Ok(())
        } else if !self.result.rows.has_room(spans.len() + self.result.columns.len()) {
            Err(ParseError::at_line(line, "over 4 billion values or 16 TiB of process lines"))
        } else {
            let rows = &mut self.result.rows;
            fill(self.free, self.result.columns.len(), line, &spans, rows).map(|()| rows.end_row())
        };
        self.spans = spans;
        done
    }
    fn has_result(&self) -> bool {
        !self.result.columns.is_empty()
    }
    fn finish(&mut self) -> ParseResult<PsResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl PsParser {
    /// Whether `line` (its words' spans `words`) is the header, kept, or a line before it.
    /// The header is the first line that names a `PID` column or whose every word is a column
    /// name as ps prints them (`USER`, `%CPU`, `CMD`: capitals, digits and `%_+-`), so a
    /// warning printed first is skipped and `ps -o user,cmd` still has its header.
    fn before_rows(&mut self, line: &str, words: &[(usize, usize)]) -> bool {
        if !self.result.columns.is_empty() {
            return false;
        }
        if let Some(columns) = self.given.take() {
            // No header comes: this line is the first process.
            self.set_columns(columns);
            return false;
        }
        let text = |&(start, end): &(usize, usize)| &line[start..end];
        let column_name = |w: &str| {
            w.bytes().any(|b| b.is_ascii_uppercase())
                && w.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"%_+-".contains(&b))
        };
        if words.iter().any(|w| text(w) == "PID") || words.iter().all(|w| column_name(text(w))) {
            self.set_columns(words.iter().map(|w| text(w).to_owned()).collect());
        }
        true
    }

    fn set_columns(&mut self, columns: Vec<String>) {
        self.free = columns.iter().position(|c| matches!(c.as_str(), "CMD" | "COMMAND" | "ARGS"));
        self.result.columns = columns.into();
    }
}

/// The columns of `ps OPTIONS` when its output has no header line, named as ps names them in
/// its header; `None` when a header is printed, or when the options do not say the columns.
///
/// ps leaves the header out when every column of its `-o` (`--format`) lists is renamed to
/// nothing (`-o pid=,comm=`, `-o pid= -o comm=`), or when told (`--no-headers`). Options
/// quoted for the shell are not read (`None`: the output is then read as if it had a header).
fn headerless_columns(options: &str) -> Option<Vec<String>> {
    if options.contains(['\'', '"', '\\']) {
        return None;
    }
    // `o` (and `--format`) take the columns; the other options with a value take theirs, so
    // that a value (`-C bash`, `--sort comm`) is not read as options.
    let spec = OptionSpec {
        short_values: "oCGgpqstUu",
        long_values: &[
            "format",
            "sort",
            "user",
            "User",
            "group",
            "Group",
            "pid",
            "ppid",
            "sid",
            "tty",
            "cols",
            "columns",
            "rows",
            "lines",
            "width",
            "quick-pid",
        ],
        bsd_values: Some("opqtUk"),
    };
    let mut specs = Vec::new();
    let mut no_headers = false;
    let mut known = true;
    each_option(options, &spec, |opt| {
        match opt {
            Opt::Short('o', value) | Opt::Bsd('o', value) | Opt::Long("format", value) => {
                match value {
                    Some(v) => specs.push(v),
                    None => known = false,
                }
            }
            // Columns added to ps's default set, which is not known here.
            Opt::Short('O', _) | Opt::Bsd('O', _) => known = false,
            Opt::Bsd('h', _) => no_headers = true,
            Opt::Long("no-headers" | "no-heading" | "noheaders" | "noheading", _) => {
                no_headers = true
            }
            _ => {}
        }
        known
    });
    if !known {
        return None;
    }
    let items: Vec<&str> =
        specs.iter().flat_map(|s| s.split(',')).filter(|i| !i.is_empty()).collect();
    let headerless = no_headers || items.iter().all(|i| i.ends_with('='));
    if items.is_empty() || !headerless {
        return None;
    }
    Some(items.iter().map(|i| header_of(i.split_once('=').map_or(*i, |(name, _)| name))).collect())
}

/// The header ps prints for the format specifier `spec` (procps' names for the common ones).
fn header_of(spec: &str) -> String {
    let known = match spec {
        "comm" | "args" | "command" | "fname" => "COMMAND",
        "cmd" | "ucmd" => "CMD",
        "tty" | "tname" | "tt" => "TT",
        "etime" | "etimes" => "ELAPSED",
        "pcpu" => "%CPU",
        "pmem" => "%MEM",
        "nice" => "NI",
        "lstart" | "start" => "STARTED",
        "start_time" | "bsdstart" => "START",
        "cputime" => "TIME",
        _ => return spec.to_ascii_uppercase(),
    };
    known.to_owned()
}

/// Puts the values of a process line into `row`, from the spans of its words, for a header of
/// `n` columns whose free one is `free` (nothing, when the line has too few words).
fn fill(
    free: Option<usize>,
    n: usize,
    line: &str,
    words: &[(usize, usize)],
    row: &mut impl RowSink,
) -> ParseResult {
    let text = |&(start, end): &(usize, usize)| &line[start..end];
    if words.len() < n.saturating_sub(usize::from(free.is_some())) {
        return Err(ParseError::at_line(line, "a process line with fewer columns than the header"));
    }
    match free {
        Some(f) if words.len() >= n => {
            let after = n - f - 1;
            for w in &words[..f] {
                row.word(text(w));
            }
            let (start, _) = words[f];
            let (_, end) = words[words.len() - after - 1];
            row.text(&line[start..end]);
            for w in &words[words.len() - after..] {
                row.word(text(w));
            }
        }
        Some(f) => {
            // The free column is empty (a kernel thread without arguments).
            for (i, w) in words.iter().enumerate() {
                if i == f {
                    row.text("");
                }
                row.word(text(w));
            }
            if f >= words.len() {
                // It is the last column.
                row.text("");
            }
        }
        None => {
            // Without a free column, the last one takes the rest of the line.
            for w in &words[..n - 1] {
                row.word(text(w));
            }
            let (start, _) = words[n - 1];
            row.word(line[start..].trim_end());
        }
    }
    Ok(())
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
        let given = self.options.as_deref().and_then(headerless_columns);
        PsParser { given, ..PsParser::default() }
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

    /// Both ways give `expected`.
    fn both_give(options: &str, output: &str, expected: &Value) {
        let (typed, json) = both_ways(options, output);
        assert_eq!(typed.as_ref(), Some(expected), "typed, {options}");
        assert_eq!(json.as_ref(), Some(expected), "registry, {options}");
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

    /// The command line is `ps` and its options as given.
    #[test]
    fn the_line_is_ps_and_its_options() {
        assert_eq!(Ps::new().command_line().unwrap(), "ps");
        assert_eq!(Ps::new().options("-o pid,cmd -e").command_line().unwrap(), "ps -o pid,cmd -e");
    }

    /// With no free column (no `CMD`, `COMMAND` or `ARGS`), the last column takes the rest of
    /// the line, blanks and all (`ps -o pid,lstart`): the columns before it one word each.
    #[test]
    fn without_a_free_column_the_last_one_takes_the_rest_of_the_line() {
        let output = "ps -o pid,tty,lstart\n  PID TT       STARTED\n    1 ?        Mon Dec  7 08:00:00 2026\n  812 pts/0    Mon Dec  7 09:15:42 2026  \n$ ";
        let expected = serde_json::json!([
            {"PID": 1, "TT": "?", "STARTED": "Mon Dec  7 08:00:00 2026"},
            {"PID": 812, "TT": "pts/0", "STARTED": "Mon Dec  7 09:15:42 2026"},
        ]);
        both_give("-o pid,tty,lstart", output, &expected);
    }

    /// The header is the first line that names a `PID` column or holds only column names: a
    /// warning ps prints before it (procps' "bad syntax" note for `ps -aux`) is neither the
    /// header nor a row, and a header without `PID` (`ps -o user,cmd`) is still the header.
    #[test]
    fn lines_before_the_header_are_neither_header_nor_rows() {
        let output = "ps -o user,cmd -C bash\nUSER     CMD\nroot     -bash\nuser     bash -l\n$ ";
        let expected = serde_json::json!([{"USER": "root", "CMD": "-bash"}, {"USER": "user", "CMD": "bash -l"}]);
        both_give("-o user,cmd -C bash", output, &expected);

        let output = "ps -aux\nwarning: bad syntax, perhaps a bogus '-'?\nUSER PID %CPU COMMAND\nroot 1 0.0 /sbin/init splash\n$ ";
        let expected = serde_json::json!([{"USER": "root", "PID": 1, "%CPU": 0.0, "COMMAND": "/sbin/init splash"}]);
        both_give("-aux", output, &expected);
    }

    /// Output without a header: its columns come from the options, named as ps names them
    /// in its header, and its first line is a process (Moler makes it the header).
    #[test]
    fn output_without_a_header_takes_its_columns_from_the_options() {
        let output = "ps -o pid=,args= -C bash\n  412 -bash\n 9001 bash -l\n$ ";
        let expected = serde_json::json!([{"PID": 412, "COMMAND": "-bash"}, {"PID": 9001, "COMMAND": "bash -l"}]);
        both_give("-o pid=,args= -C bash", output, &expected);

        let output = "ps --no-headers -o stat,etime -p 1\nSs 10-02:03:04\n$ ";
        let expected = serde_json::json!([{"STAT": "Ss", "ELAPSED": "10-02:03:04"}]);
        both_give("--no-headers -o stat,etime -p 1", output, &expected);

        // No process: no rows, and no failure.
        let (typed, _) = both_ways("-o pid= -p 999999", "ps -o pid= -p 999999\n$ ");
        assert_eq!(typed, Some(serde_json::json!([])));
    }

    /// Which options leave the header out, and the columns they name.
    #[test]
    fn the_options_say_when_there_is_no_header() {
        for (options, columns) in [
            ("-o pid=", Some(&["PID"][..])),
            ("-o pid=,comm= -p 42", Some(&["PID", "COMMAND"][..])),
            ("-e -o pid= -o args=", Some(&["PID", "COMMAND"][..])),
            ("-opid=,etime=,cmd=", Some(&["PID", "ELAPSED", "CMD"][..])),
            ("--format=pcpu=,nice=,tty=,lstart=", Some(&["%CPU", "NI", "TT", "STARTED"][..])),
            ("--format rss=,my_col=", Some(&["RSS", "MY_COL"][..])),
            ("--no-headers -o pid,user", Some(&["PID", "USER"][..])),
            ("-o user -p 1 --no-heading", Some(&["USER"][..])),
            ("-eo pid=,comm=", Some(&["PID", "COMMAND"][..])),
            ("-eopid=", Some(&["PID"][..])),
            ("-p 1 -o pid=", Some(&["PID"][..])),
            ("-C foo -o pid=", Some(&["PID"][..])),
            ("-Cfoo -o pid=", Some(&["PID"][..])),
            ("axo pid=,comm=", Some(&["PID", "COMMAND"][..])),
            ("axho pid,comm", Some(&["PID", "COMMAND"][..])),
            ("-u bob -o pid=", Some(&["PID"][..])),
            ("--sort comm -o pid=", Some(&["PID"][..])),
            // A header is printed: some column keeps a name.
            ("-o pid,comm", None),
            ("-o pid=,comm", None),
            ("-o pid=X", None),
            ("-ef", None),
            // The columns are not all known from the options.
            ("--no-headers", None),
            ("-O pid= -o comm=", None),
            ("-o", None),
            ("-eo", None),
            ("axo pid,comm", None),
            ("-C o -o pid", None),
            ("-p 1", None),
            ("--user hugh -o pid,user", None),
            ("-o 'pid=' -p 1", None),
        ] {
            let got = headerless_columns(options);
            let want = columns.map(|c| c.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>());
            assert_eq!(got, want, "{options}");
        }
    }

    #[test]
    fn moved_into_json_it_is_what_serializing_gives() {
        let mut result = PsResult {
            columns: vec!["PID".to_owned(), "CMD".to_owned(), "PID".to_owned()].into(),
            ..PsResult::default()
        };
        result.rows.push([1.into(), "init".into(), 7.into()]);
        result.rows.push([2.into(), "".into()]);
        result.rows.push([3.into(), "x".into(), 9.into(), "more than the header".into()]);
        let serialized = serde_json::to_value(&result).unwrap();
        assert_eq!(serialized[0]["PID"], 7, "a repeated column keeps its last value");
        assert_eq!(serialized[1], serde_json::json!({"PID": 2, "CMD": ""}), "a short row");
        assert_eq!(Ps::output_json(result).unwrap(), serialized);
        let empty = PsResult::default();
        assert_eq!(Ps::output_json(empty.clone()).unwrap(), serde_json::to_value(&empty).unwrap());
    }

    /// `output` of `ps OPTIONS` through `ps`'s typed parser.
    fn typed(options: &str, output: &str) -> PsResult {
        let now = std::time::Instant::now();
        let mut conn = moler_core::Connection::new("t");
        let done = conn.start(Ps::new().options(options).command_with_prompt("^[$] $"), now);
        conn.handle_input(output.as_bytes(), now);
        done.try_result().expect("the prompt ends it").expect("it parses")
    }

    #[test]
    fn a_kernel_thread_has_an_empty_command_wherever_the_command_column_is() {
        // The command column last (`ps -ef`), then in the middle (`ps -o pid,args,ni`).
        let ps = typed("-ef", "ps -ef\nUID PID CMD\nroot 2\nroot 3 [kworker/0:1]\n$ ");
        let rows: Vec<Vec<Value>> =
            ps.rows.iter().map(|r| r.iter().map(Value::from).collect()).collect();
        assert_eq!(
            serde_json::json!(rows),
            serde_json::json!([["root", 2, ""], ["root", 3, "[kworker/0:1]"]])
        );
        let ps =
            typed("-o pid,args,ni", "ps -o pid,args,ni\nPID ARGS NI\n7 0\n8 /bin/sh -c x 5\n$ ");
        let rows: Vec<Vec<Value>> =
            ps.rows.iter().map(|r| r.iter().map(Value::from).collect()).collect();
        assert_eq!(
            serde_json::json!(rows),
            serde_json::json!([[7, "", 0], [8, "/bin/sh -c x", 5]])
        );
        assert_eq!(ps.get(1, "NI"), Some(PsValue::from(5)));
    }

    #[test]
    fn rows_read_back_as_pushed() {
        let mut rows = PsRows::default();
        assert_eq!((rows.len(), rows.is_empty(), rows.iter().len()), (0, true, 0));
        rows.push([PsValue::from(1), PsValue::from("a b"), PsValue::from("")]);
        rows.push([]);
        rows.push([
            PsValue::from("c"),
            PsValue::Number(serde_json::Number::from_f64(0.5).unwrap()),
        ]);
        assert_eq!((rows.len(), rows.is_empty()), (3, false));
        let read: Vec<Vec<Value>> =
            rows.iter().map(|r| r.iter().map(Value::from).collect()).collect();
        assert_eq!((rows.iter().len(), rows.iter().nth(2).map(|r| r.len())), (3, Some(2)));
        assert_eq!((&rows).into_iter().map(|r| r.len()).collect::<Vec<_>>(), [3, 0, 2]);
        assert_eq!(serde_json::json!(read), serde_json::json!([[1, "a b", ""], [], ["c", 0.5]]));
        assert!(rows.get(1).unwrap().is_empty());
        assert!(!rows.get(0).unwrap().is_empty());
        assert_eq!(rows.get(2).unwrap().get(0), Some(PsValue::Text("c")));
        assert_eq!((rows.get(3).is_none(), rows.get(0).unwrap().get(3)), (true, None));
    }

    proptest! {
        /// Every number and text reads back as it was pushed, whatever its kind (each kept in 8
        /// bytes and a kind): integers over `i64`'s range, negative ones, floats of any size.
        #[test]
        fn any_value_reads_back_as_pushed(
            rows in proptest::collection::vec(proptest::collection::vec(prop_oneof![
                any::<u64>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
                Just(Value::from(-0.0)),
                "[a-z \u{e9}]{0,6}".prop_map(Value::from),
            ], 0..6), 0..6)
        ) {
            let mut pushed = PsRows::default();
            for row in &rows {
                pushed.push(row.iter().map(|v| match v {
                    Value::Number(n) => PsValue::Number(n.clone()),
                    v => PsValue::Text(v.as_str().unwrap()),
                }));
            }
            let read: Vec<Vec<Value>> =
                pushed.iter().map(|r| r.iter().map(Value::from).collect()).collect();
            prop_assert_eq!(&read, &rows);
            for (i, row) in rows.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let got = pushed.get(i).and_then(|r| r.get(j)).map(Value::from);
                    prop_assert_eq!(got.as_ref(), Some(v));
                }
            }
        }
    }

    /// Rows across chunks read back as pushed: values past the first chunks of values and of
    /// text, rows that straddle two chunks of values, texts that do not fit the rest of a text
    /// chunk, texts as long as a chunk or longer, empty texts between them.
    #[test]
    fn rows_across_chunks_read_back_as_pushed() {
        let long = "x".repeat(TEXT_CHUNK);
        let almost = "y".repeat(TEXT_CHUNK - 1);
        let mut model: Vec<Vec<Value>> = Vec::new();
        let mut rows = PsRows::default();
        for i in 0..(3 * CHUNK / 7 + 5) {
            let mut row = vec![
                Value::from(i as u64),
                Value::from(-(i as i64) - 1),
                Value::from(i as f64 + 0.5),
                Value::from(format!("text {i} {}", "z".repeat(i % 90))),
                Value::from(""),
                Value::from(u64::MAX - i as u64),
            ];
            match i {
                7 => row.push(Value::from(long.as_str())),
                9_000 | 9_001 => row.push(Value::from(almost.as_str())),
                20_000 => row.push(Value::from(format!("{long}!"))),
                _ if i % 3 == 0 => row.push(Value::from("Ss")),
                _ => {}
            }
            rows.push(row.iter().map(|v| match v {
                Value::Number(n) => PsValue::Number(n.clone()),
                v => PsValue::Text(v.as_str().unwrap()),
            }));
            model.push(row);
        }
        // Chunks of values and of text that filled up, and the two long texts.
        assert!(rows.full.len() >= 2 && rows.texts.len() >= 2 && rows.long.len() == 2);
        assert_eq!((rows.full[1].capacity(), rows.values.capacity()), (CHUNK, CHUNK));
        assert_eq!(rows.len(), model.len());
        for (i, (row, want)) in rows.iter().zip(&model).enumerate() {
            let got: Vec<Value> = row.iter().map(Value::from).collect();
            assert!(got == *want, "row {i}");
            assert_eq!(rows.get(i).map(|r| r.len()), Some(want.len()));
        }
    }

    /// A value reads as what it is, through each accessor and comparison, and as nothing
    /// else: a text is no number, a number no text; a negative integer no `u64`, a float no
    /// integer.
    #[test]
    fn values_read_as_the_numbers_and_texts_they_are() {
        let text = PsValue::from("S+");
        let seven = PsValue::from(7);
        let minus = PsValue::from(-3);
        let big = PsValue::Number(u64::MAX.into());
        let half = PsValue::Number(serde_json::Number::from_f64(0.5).unwrap());

        assert_eq!([text.as_str(), seven.as_str(), half.as_str()], [Some("S+"), None, None]);
        assert_eq!(
            [text.as_i64(), seven.as_i64(), minus.as_i64(), big.as_i64(), half.as_i64()],
            [None, Some(7), Some(-3), None, None]
        );
        assert_eq!(
            [text.as_u64(), seven.as_u64(), minus.as_u64(), big.as_u64(), half.as_u64()],
            [None, Some(7), None, Some(u64::MAX), None]
        );
        assert_eq!(
            [text.as_f64(), seven.as_f64(), minus.as_f64(), half.as_f64()],
            [None, Some(7.0), Some(-3.0), Some(0.5)]
        );

        // Against JSON values (the comparison with a `Value`, not with a `&str` or an `i64`).
        let (s_plus, s, n7, n8, t7, half_json) = (
            Value::from("S+"),
            Value::from("S"),
            Value::from(7),
            Value::from(8),
            Value::from("7"),
            Value::from(0.5),
        );
        assert!(text == s_plus && text != s && text != n7);
        assert!(seven == n7 && seven != n8 && seven != t7);
        assert!(half == half_json && half != Value::Null);
        assert!(text == "S+" && text != "S" && seven != "7");
        assert!(seven == 7 && seven != 8 && minus == -3 && text != 0 && half != 0);
    }

    /// Texts fill their chunk to the last byte before a new one starts: 2,048 texts of 1 KiB
    /// are two full chunks (the second still the one being filled), not three; one byte more
    /// starts the third. Values fill theirs to the last value.
    #[test]
    fn texts_and_values_fill_their_chunks_before_the_next() {
        let kib = "k".repeat(1024);
        let mut rows = PsRows::default();
        for _ in 0..2 * TEXT_CHUNK / 1024 {
            rows.push([PsValue::Text(&kib)]);
        }
        assert_eq!((rows.texts.len(), rows.text.len()), (1, TEXT_CHUNK));
        rows.push([PsValue::Text("!")]);
        assert_eq!((rows.texts.len(), rows.text.len()), (2, 1));
        assert_eq!(rows.get(2048).unwrap().get(0), Some(PsValue::Text("!")));
        assert_eq!(rows.get(2047).unwrap().get(0), Some(PsValue::Text(&kib)));

        let mut rows = PsRows::default();
        for i in 0..CHUNK as i64 {
            rows.push([PsValue::from(i)]);
        }
        assert_eq!((rows.full.len(), rows.values.len()), (0, CHUNK));
        rows.push([PsValue::from(-1)]);
        assert_eq!((rows.full.len(), rows.values.len()), (1, 1));
        assert_eq!(rows.get(CHUNK).unwrap().get(0), Some(PsValue::from(-1)));
    }

    #[test]
    fn rows_debug_as_lists_of_values() {
        let mut rows = PsRows::default();
        rows.push([PsValue::from(-1), PsValue::from("init")]);
        assert_eq!(format!("{rows:?}"), r#"[[Number(Number(-1)), Text("init")]]"#);
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
