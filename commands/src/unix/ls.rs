//! `ls`: [`Ls`], its parameters, its result and its parser.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{own_errors, size_in_bytes, words};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ls [options] [path]`; result `{"files": {name: entry}}`: with `-l` every column, else only
/// the name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ls {
    /// `-l`, `-la`, `-lh`…
    pub options: Option<String>,
    /// What to list.
    pub path: Option<String>,
}
builder!(Ls {}, options, path);

/// One file of [`Ls`]; the long-format fields are absent for a plain listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LsEntry {
    /// The file name.
    pub name: Arc<str>,
    /// `-rw-r--r--`, with an ACL/SELinux marker (`+`, `.`) if shown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub permissions: Option<Arc<str>>,
    /// Hard links.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hard_links_count: Option<u64>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<Arc<str>>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<Arc<str>>,
    /// The size as printed (`4.0K`, `4096`, `4, 0` for a device).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size_raw: Option<String>,
    /// The size in bytes, when it is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size_bytes: Option<u64>,
    /// The date as printed (`Jan  3 08:12`, `Nov 10  2016`, `2024-01-31 12:00`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// A symbolic link's target.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub link: Option<String>,
}

/// Result of [`Ls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LsResult {
    /// The files by name (`result.files["a.txt"]`).
    pub files: BTreeMap<Arc<str>, LsEntry>,
    /// The `total` line of a long listing (Moler takes its number as bytes, as printed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<LsTotal>,
}

impl LsResult {
    /// Its JSON, moving the strings it owns (the same as serializing it, fewer copies: the
    /// registry's path for `ls`).
    fn into_json(self) -> Value {
        let mut files = Vec::with_capacity(self.files.len());
        files.extend(self.files.into_iter().map(|(name, e)| (String::from(&*name), e.into_json())));
        let mut m = Map::new();
        // Sorted already: the map is built in bulk.
        m.insert("files".to_owned(), Value::Object(files.into_iter().collect()));
        if let Some(t) = self.total {
            let mut total = Map::new();
            total.insert("bytes".to_owned(), t.bytes.into());
            total.insert("raw".to_owned(), t.raw.into());
            m.insert("total".to_owned(), Value::Object(total));
        }
        Value::Object(m)
    }
}

impl LsEntry {
    /// Its JSON (see [`LsResult::into_json`]): the fields that are set, under their names.
    fn into_json(self) -> Value {
        let text = |s: Option<Arc<str>>| s.map(|s| Value::String(String::from(&*s)));
        // In key order, inserted from the last: each insert then compares with one key only.
        let mut fields: [(&str, Option<Value>); 9] = [
            ("date", self.date.map(Value::String)),
            ("group", text(self.group)),
            ("hard_links_count", self.hard_links_count.map(Value::from)),
            ("link", self.link.map(Value::String)),
            ("name", Some(Value::String(String::from(&*self.name)))),
            ("owner", text(self.owner)),
            ("permissions", text(self.permissions)),
            ("size_bytes", self.size_bytes.map(Value::from)),
            ("size_raw", self.size_raw.map(Value::String)),
        ];
        let mut m = Map::new();
        for (key, value) in fields.iter_mut().rev() {
            if let Some(v) = value.take() {
                m.insert((*key).to_owned(), v);
            }
        }
        Value::Object(m)
    }
}

/// The `total` line of [`Ls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LsTotal {
    /// As printed.
    pub raw: String,
    /// Converted like a size (`1T` is 2^40).
    pub bytes: u64,
}

/// Parser of [`Ls`].
#[derive(Debug, Default)]
pub struct LsParser {
    result: LsResult,
    /// Entries in arrival order; the map is built once at the end (a bulk build of sorted
    /// input is much cheaper than 100,000 inserts).
    entries: Vec<(Arc<str>, LsEntry)>,
    /// Permissions, owners and groups repeat: one shared copy each.
    words: Interner,
}

/// Shares repeated short strings.
#[derive(Debug, Default)]
pub(crate) struct Interner(HashMap<Box<str>, Arc<str>, BuildHasherDefault<Fnv>>);

/// FNV-1a: the interner hashes short words; SipHash's DoS resistance buys nothing here.
#[derive(Debug, Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl Interner {
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        if self.0.len() < 4096 {
            self.0.insert(s.into(), a.clone());
        }
        a
    }
}

fn is_permissions(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 10
        && b"-dlcbpsD?".contains(&b[0])
        && b[1..10].iter().all(|c| b"-rwxsStTlL".contains(c))
        && b[10..].iter().all(|c| b".+@".contains(c))
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A long-format line: `perm links owner group size date… name [-> link]`.
fn long_entry(line: &str, words_seen: &mut Interner) -> Option<LsEntry> {
    let mut w = words(line);
    let (_, permissions) = w.next()?;
    if !is_permissions(permissions) {
        return None;
    }
    let hard_links_count = w.next()?.1.parse().ok()?;
    let owner = w.next()?.1;
    let group = w.next()?.1;
    let (size_at, mut size) = w.next()?;
    // A device shows `major, minor` where the size goes.
    let (mut date_start, mut first) = w.next()?;
    if size.ends_with(',') {
        size = &line[size_at..date_start + first.len()];
        (date_start, first) = w.next()?;
    }
    // Dates: `Mon DD HH:MM|YYYY`, or ISO `YYYY-MM-DD HH:MM[:SS[.frac]] [+zone]`.
    let date_words = if MONTHS.contains(&first) {
        3
    } else if first.len() == 10 && first.as_bytes()[4] == b'-' {
        let mut n = 2;
        let mut probe = words(&line[date_start..]).skip(2);
        if let Some((_, z)) = probe.next() {
            if (z.starts_with('+') || z.starts_with('-')) && z.len() == 5 {
                n = 3;
            }
        }
        n
    } else {
        return None;
    };
    let mut date_end = date_start + first.len();
    for _ in 1..date_words {
        let (at, word) = words(&line[date_end..]).next()?;
        date_end += at + word.len();
    }
    let rest = &line[date_end..];
    let name_part = rest.strip_prefix(' ').unwrap_or(rest).trim_start_matches('\t');
    if name_part.trim().is_empty() {
        return None;
    }
    let (name, link) = match name_part.split_once(" -> ") {
        Some((n, l)) if permissions.starts_with('l') || !l.is_empty() => (n, Some(l.to_owned())),
        _ => (name_part, None),
    };
    Some(LsEntry {
        name: name.into(),
        permissions: Some(words_seen.get(permissions)),
        hard_links_count: Some(hard_links_count),
        owner: Some(words_seen.get(owner)),
        group: Some(words_seen.get(group)),
        size_bytes: size_in_bytes(size, 1),
        size_raw: Some(size.to_owned()),
        date: Some(line[date_start..date_end].to_owned()),
        link,
    })
}

impl Parser for LsParser {
    type Output = LsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.is_empty() {
            return Ok(());
        }
        let first = line.as_bytes()[0];
        if first != b' ' && first != b'\t' {
            if let Some(entry) = long_entry(line, &mut self.words) {
                self.entries.push((entry.name.clone(), entry));
                return Ok(());
            }
        }
        if let Some(total) = line.strip_prefix("total ") {
            let raw = total.trim();
            if let Some(bytes) = size_in_bytes(raw, 1) {
                self.result.total = Some(LsTotal { raw: raw.to_owned(), bytes });
                return Ok(());
            }
        }
        if line.ends_with(':') || line.starts_with("ls: ") {
            return Ok(()); // `total 8`, a `dir:` header, a complaint (a failure already)
        }
        for (_, name) in words(line) {
            let name: Arc<str> = name.into();
            self.entries.push((name.clone(), LsEntry { name, ..LsEntry::default() }));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<LsResult> {
        // A name listed twice keeps its last entry, as inserting one by one would.
        self.result.files = std::mem::take(&mut self.entries).into_iter().collect();
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ls {
    const NAME: &'static str = "ls";
    type Parser = LsParser;
    type Output = LsResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "ls".to_owned();
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.path.as_deref());
        Ok(line)
    }
    fn parser(&self) -> LsParser {
        LsParser::default()
    }
    fn output_json(output: LsResult) -> serde_json::Result<Value> {
        Ok(output.into_json())
    }
    fn setup(&self, command: Command<LsParser>) -> Command<LsParser> {
        own_errors(command, "ls").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_into_json_it_is_what_serializing_gives() {
        let output = "ls -l\ntotal 12K\n-rw-r--r-- 1 a b 5 Jan  3 08:12 plain\n\
                      lrwxrwxrwx 1 a b 4 Jan  3 08:12 ln -> target\n\
                      crw-rw---- 1 root tty 4, 0 Nov 21 09:00 tty0\n\
                      drwxr-xr-x 2 a b 4.0K 2024-01-31 12:00 dir\nshort names\nplain\n$ ";
        let mut conn = moler_core::Connection::new("t");
        let ls = Ls::new().options("-l").command_with_prompt("^[$] $");
        let done = conn.start(ls, std::time::Instant::now());
        conn.handle_input(output.as_bytes(), std::time::Instant::now());
        let result = done.try_result().unwrap().unwrap();
        assert_eq!(result.files.len(), 6);
        let serialized = serde_json::to_value(&result).unwrap();
        assert_eq!(Ls::output_json(result).unwrap(), serialized);
        assert_eq!(serialized["files"]["plain"], serde_json::json!({"name": "plain"}));
        let empty = LsResult::default();
        assert_eq!(Ls::output_json(empty.clone()).unwrap(), serde_json::to_value(&empty).unwrap());
    }

    #[test]
    fn long_lines_of_every_kind() {
        let e =
            long_entry("crw-rw---- 1 root tty 4, 0 Nov 21 09:00 tty0", &mut Interner::default())
                .unwrap();
        assert_eq!((&*e.name, e.size_raw.as_deref(), e.size_bytes), ("tty0", Some("4, 0"), None));
        let e =
            long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00 two  spaces", &mut Interner::default())
                .unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("two  spaces", Some("2024-01-31 12:00")));
        let e = long_entry(
            "-rw-r--r-- 1 a b 5 2024-01-31 12:00:01.5 +0100 f",
            &mut Interner::default(),
        )
        .unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("f", Some("2024-01-31 12:00:01.5 +0100")));
        assert!(long_entry("total 8", &mut Interner::default()).is_none());
        assert!(long_entry("-rw-r--r-- 1 a b", &mut Interner::default()).is_none(), "truncated");
    }
}
