//! `ls`: [`Ls`], its parameters, its result and its parser.

use std::borrow::Cow;
use std::collections::BTreeMap;

use compact_str::CompactString;
use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{
    each_option, own_errors, put_next, size_in_bytes, words, MapTemplate, Opt, OptionSpec, Units,
};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `ls [options] [path]`; result `{"files": {name: entry}}`: with `-l` every column, else only
/// the name.
///
/// The options say which columns a long listing has between the links and the size, as GNU
/// `ls` prints them: `-g` leaves the owner out, `-o`, `-G` and `--no-group` the group;
/// `--author` adds the author and `-Z` (`--context`) the security context, in that order after
/// the group. (Long options are read by their full names only.) They also say what a size
/// counts: bytes unless `--block-size=SIZE` (`1K`: plain numbers count KiB), units of 1024
/// (`147K`) unless `--si` (`150k`) or the unit says (`150kB`, `147KiB`).
///
/// Names are the names on the disk: GNU `ls` on a terminal quotes those that need it (`'a b'`,
/// `"it's"`, `'nl'$'\n''x'`) and puts a blank before the others to line them up; both are read
/// back, in long and short listings. (Without a terminal `ls` quotes nothing: a name that only
/// looks quoted, such as `'x'`, is then read back as `x`, and a name that starts with a blank
/// loses it.)
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
    pub name: CompactString,
    /// `-rw-r--r--`, with an ACL/SELinux marker (`+`, `.`) if shown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub permissions: Option<CompactString>,
    /// Hard links.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hard_links_count: Option<u64>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<CompactString>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<CompactString>,
    /// The author (`--author`; the owner, on Linux).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub author: Option<CompactString>,
    /// The security context (`-Z`: `unconfined_u:object_r:user_home_t:s0`, `?` where there is
    /// none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub context: Option<CompactString>,
    /// The size as printed (`4.0K`, `4096`, `4, 0` for a device).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size_raw: Option<CompactString>,
    /// The size in bytes, when it is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size_bytes: Option<u64>,
    /// The date as printed (`Jan  3 08:12`, `Nov 10  2016`, `2024-01-31 12:00`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<CompactString>,
    /// A symbolic link's target.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub link: Option<CompactString>,
}

/// Result of [`Ls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LsResult {
    /// The files by name (`result.files["a.txt"]`), in name order.
    pub files: LsFiles,
    /// The `total` line of a long listing (Moler takes its number as bytes, as printed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<LsTotal>,
}

impl LsResult {
    /// Its JSON: the same as serializing it, the map of files built in bulk from the sorted
    /// list rather than key by key.
    fn into_json(self) -> Value {
        let mut files = Vec::with_capacity(self.files.len());
        files
            .extend(self.files.into_iter().map(|e| (String::from(e.name.as_str()), e.into_json())));
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
        let text = |s: Option<CompactString>| s.map(|s| Value::String(s.into_string()));
        // In key order, inserted from the last: each insert then compares with one key only.
        let mut fields: [(&str, Option<Value>); 11] = [
            ("author", text(self.author)),
            ("context", text(self.context)),
            ("date", text(self.date)),
            ("group", text(self.group)),
            ("hard_links_count", self.hard_links_count.map(Value::from)),
            ("link", text(self.link)),
            ("name", text(Some(self.name))),
            ("owner", text(self.owner)),
            ("permissions", text(self.permissions)),
            ("size_bytes", self.size_bytes.map(Value::from)),
            ("size_raw", text(self.size_raw)),
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

/// The files of an [`LsResult`], by name: a map of name to [`LsEntry`] kept as one list in name
/// order (byte order, like a `BTreeMap<str, _>`), each name once.
///
/// Looked up like a map (`files["a.txt"]`, [`get`](Self::get), [`contains_key`](Self::contains_key))
/// by binary search; iterated in name order; serialized as a map. A list costs far less to build
/// than a tree of 100,000 entries, and a result is built once and only read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LsFiles(Vec<LsEntry>);

impl LsFiles {
    /// How many files.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No file at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|e| (*e.name).cmp(name))
    }

    /// The entry of `name`.
    pub fn get(&self, name: &str) -> Option<&LsEntry> {
        self.position(name).ok().map(|i| &self.0[i])
    }

    /// Whether `name` was listed.
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// The names, in order.
    pub fn keys(&self) -> LsNames<'_> {
        LsNames(self.0.iter())
    }

    /// The entries, in name order.
    pub fn values(&self) -> std::slice::Iter<'_, LsEntry> {
        self.0.iter()
    }

    /// `(name, entry)`, in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &LsEntry)> + DoubleEndedIterator {
        self.0.iter().map(|e| (&*e.name, e))
    }

    /// The entries as a list, in name order.
    pub fn as_slice(&self) -> &[LsEntry] {
        &self.0
    }

    /// The entries as a map (to change the set of files).
    pub fn into_map(self) -> BTreeMap<CompactString, LsEntry> {
        self.0.into_iter().map(|e| (e.name.clone(), e)).collect()
    }
}

/// The names of [`LsFiles`], in order ([`LsFiles::keys`]); printed as a list.
#[derive(Clone)]
pub struct LsNames<'a>(std::slice::Iter<'a, LsEntry>);

impl<'a> Iterator for LsNames<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.0.next().map(|e| &*e.name)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for LsNames<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|e| &*e.name)
    }
}

impl ExactSizeIterator for LsNames<'_> {}

impl std::fmt::Debug for LsNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Entries in any order; a name given twice keeps its last entry, as inserting into a map would.
impl FromIterator<LsEntry> for LsFiles {
    fn from_iter<I: IntoIterator<Item = LsEntry>>(entries: I) -> Self {
        let list: Vec<LsEntry> = entries.into_iter().collect();
        // `ls` in the C locale lists names in byte order, each once: one pass tells, and then
        // there is nothing to sort or to merge.
        let in_order = list.windows(2).all(|w| w[0].name < w[1].name);
        Self::from_list(list, in_order)
    }
}

impl LsFiles {
    /// `list` as files; `in_order` says its names are already in strictly rising byte order
    /// (then it is taken as it is: the parser tells that line by line, while each entry is
    /// still in the cache, instead of a pass over the whole list at the end).
    fn from_list(mut list: Vec<LsEntry>, in_order: bool) -> Self {
        debug_assert!(!in_order || list.windows(2).all(|w| w[0].name < w[1].name));
        if in_order {
            return Self(list);
        }
        // Stable: of a name given twice, the later entry is kept.
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list.dedup_by(|later, kept| {
            let same = later.name == kept.name;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        Self(list)
    }
}

impl std::ops::Index<&str> for LsFiles {
    type Output = LsEntry;
    fn index(&self, name: &str) -> &LsEntry {
        self.get(name).unwrap_or_else(|| panic!("no file {name:?} in the listing"))
    }
}

impl IntoIterator for LsFiles {
    type Item = LsEntry;
    type IntoIter = std::vec::IntoIter<LsEntry>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a LsFiles {
    type Item = &'a LsEntry;
    type IntoIter = std::slice::Iter<'a, LsEntry>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<LsFiles> for BTreeMap<CompactString, LsEntry> {
    fn from(files: LsFiles) -> Self {
        files.into_map()
    }
}

impl std::fmt::Debug for LsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for LsFiles {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// A map of name to entry; the entry's own name is the key's.
impl<'de> Deserialize<'de> for LsFiles {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, LsEntry>::deserialize(d)?;
        Ok(map.into_iter().map(|(name, entry)| LsEntry { name: name.into(), ..entry }).collect())
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

/// What the options say of a long listing (see [`Ls`]): which columns name someone or
/// something between the links and the size, and how sizes are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Format {
    owner: bool,
    group: bool,
    author: bool,
    context: bool,
    units: Units,
}

impl Default for Format {
    fn default() -> Self {
        let units = Units::blocks_of(1);
        Self { owner: true, group: true, author: false, context: false, units }
    }
}

impl Format {
    /// What `ls` with these options prints (GNU `ls`'s options; those taking a value are
    /// passed over with it).
    fn of(options: &str) -> Self {
        const SPEC: OptionSpec<'static> = OptionSpec {
            short_values: "ITw",
            long_values: &[
                "block-size",
                "format",
                "hide",
                "ignore",
                "indicator-style",
                "quoting-style",
                "sort",
                "tabsize",
                "time",
                "time-style",
                "width",
            ],
            bsd_values: None,
        };
        let mut format = Self::default();
        each_option(options, &SPEC, |opt| {
            match opt {
                Opt::Short('g', _) => format.owner = false,
                Opt::Short('o' | 'G', _) | Opt::Long("no-group", _) => format.group = false,
                Opt::Long("author", _) => format.author = true,
                Opt::Short('Z', _) | Opt::Long("context", _) => format.context = true,
                Opt::Short('h', _) | Opt::Long("human-readable", _) => {
                    format.units = Units::blocks_of(1);
                }
                Opt::Long("si", _) => format.units = Units { block: 1, si: true },
                Opt::Long("block-size", size) => {
                    if let Some(block) = size.and_then(Units::block_size) {
                        format.units = Units::blocks_of(block);
                    }
                }
                _ => {}
            }
            true
        });
        format
    }
}

/// Parser of [`Ls`].
#[derive(Debug, Default)]
pub struct LsParser {
    result: LsResult,
    format: Format,
    /// Entries in arrival order; put in name order once, at the end ([`LsFiles`]).
    entries: Vec<LsEntry>,
    /// Some entry's name did not come after the one before it in byte order (then the
    /// entries are sorted at the end).
    out_of_order: bool,
}

impl LsParser {
    fn push(&mut self, entry: LsEntry) {
        if let Some(last) = self.entries.last() {
            self.out_of_order |= last.name.as_bytes() >= entry.name.as_bytes();
        }
        self.entries.push(entry);
    }
}

fn is_permissions(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 10
        && matches!(b[0], b'-' | b'd' | b'l' | b'c' | b'b' | b'p' | b's' | b'D' | b'?')
        && b[1..10].iter().all(|c| {
            matches!(c, b'-' | b'r' | b'w' | b'x' | b's' | b'S' | b't' | b'T' | b'l' | b'L')
        })
        && b[10..].iter().all(|c| matches!(c, b'.' | b'+' | b'@'))
}

/// A month's abbreviation, as `ls` prints it.
fn is_month(w: &str) -> bool {
    // Three bytes as one number: one comparison a month instead of a string comparison.
    const MONTHS: [u32; 12] = {
        let names = *b"JanFebMarAprMayJunJulAugSepOctNovDec";
        let mut m = [0; 12];
        let mut i = 0;
        while i < 12 {
            m[i] = u32::from_le_bytes([names[3 * i], names[3 * i + 1], names[3 * i + 2], 0]);
            i += 1;
        }
        m
    };
    match *w.as_bytes() {
        [a, b, c] => MONTHS.contains(&u32::from_le_bytes([a, b, c, 0])),
        _ => false,
    }
}

/// `MM-DD`.
fn is_month_day(w: &str) -> bool {
    matches!(w.as_bytes(), [m1, m2, b'-', d1, d2] if [m1, m2, d1, d2].iter().all(|c| c.is_ascii_digit()))
}

/// `+HHMM` or `-HHMM`.
fn is_zone(w: &str) -> bool {
    matches!(w.as_bytes(), [b'+' | b'-', rest @ ..] if rest.len() == 4 && rest.iter().all(u8::is_ascii_digit))
}

/// `HH:MM`, maybe with seconds and their fraction after it.
fn is_clock(w: &str) -> bool {
    matches!(w.as_bytes(), [h1, h2, b':', m1, m2, ..] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()))
}

/// The fields of a long-format line, borrowed from it (the name and the link's target read
/// back from their quotes when `ls` quoted them).
#[derive(Debug, Clone)]
struct LongLine<'a> {
    name: Cow<'a, str>,
    permissions: &'a str,
    hard_links_count: u64,
    owner: Option<&'a str>,
    group: Option<&'a str>,
    author: Option<&'a str>,
    context: Option<&'a str>,
    size: &'a str,
    /// The size in bytes, when it is one (not a device's `major, minor`).
    size_bytes: Option<u64>,
    date: &'a str,
    link: Option<Cow<'a, str>>,
}

/// Where ` -> ` first occurs in `s`.
fn arrow(s: &str) -> Option<usize> {
    // A byte at a time: names are short, and a vectorized search's setup cost more than the
    // whole scan (123 instructions a line of the parse bench's `ls -l` against 92).
    let b = s.as_bytes();
    (2..b.len())
        .find(|&i| {
            b[i] == b'>' && b[i - 1] == b'-' && b[i - 2] == b' ' && b.get(i + 1) == Some(&b' ')
        })
        .map(|i| i - 2)
}

/// A long-format line: `perm links owner group size date… name [-> link]`, after the inode
/// and the blocks when `-i` and `-s` print them first (`1234 8 -rw-r--r-- …`, `4.0K drwx…`;
/// Moler's pattern finds the permissions anywhere in the line, so it reads these too), with
/// the columns and the units of `format`.
fn long_line(line: &str, format: Format) -> Option<LongLine<'_>> {
    let mut w = words(line);
    let (_, mut permissions) = w.next()?;
    let mut passed = 0;
    while !is_permissions(permissions) {
        if passed == 2 || size_in_bytes(permissions, 1).is_none() {
            return None;
        }
        passed += 1;
        permissions = w.next()?.1;
    }
    let hard_links_count = w.next()?.1.parse().ok()?;
    let mut column =
        |shown: bool| if shown { w.next().map(|(_, word)| Some(word)) } else { Some(None) };
    let owner = column(format.owner)?;
    let group = column(format.group)?;
    let author = column(format.author)?;
    let context = column(format.context)?;
    let (size_at, mut size) = w.next()?;
    // A device shows `major, minor` where the size goes.
    let (mut date_start, mut first) = w.next()?;
    if size.ends_with(',') {
        size = &line[size_at..date_start + first.len()];
        (date_start, first) = w.next()?;
    }
    // Dates: `Mon DD HH:MM|YYYY`, or ISO `YYYY-MM-DD HH:MM[:SS[.frac]] [+zone]`, or
    // `--time-style=iso`'s `MM-DD HH:MM` and, for older files, `YYYY-MM-DD` padded with a
    // blank to the same width.
    let mut padded = false;
    let date_words = if is_month(first) {
        3
    } else if (first.len() == 10 && first.as_bytes()[4] == b'-') || is_month_day(first) {
        let mut probe = words(&line[date_start..]).skip(1);
        match probe.next() {
            // A zone (`+0100`) only after a time with seconds (`--full-time`): a name of five
            // bytes with a sign is a name.
            Some((_, clock)) if is_clock(clock) => match probe.next() {
                Some((_, z)) if clock.len() > 5 && is_zone(z) => 3,
                _ => 2,
            },
            _ if first.len() == 10 => {
                padded = true;
                1
            }
            _ => return None,
        }
    } else {
        return None;
    };
    let mut date_end = date_start + first.len();
    for _ in 1..date_words {
        let (at, word) = words(&line[date_end..]).next()?;
        date_end += at + word.len();
    }
    let mut rest = &line[date_end..];
    if padded {
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    let name_part = rest.strip_prefix(' ').unwrap_or(rest).trim_start_matches('\t');
    // GNU `ls` on a terminal quotes names that need it and puts a blank before the others, to
    // line them up with the quotes (`'a b'`, ` plain`).
    let name_part = name_part.strip_prefix(' ').unwrap_or(name_part);
    // (All blank: trimming from the start is enough to tell, and stops at a name's first byte.)
    if name_part.trim_start().is_empty() {
        return None;
    }
    let quoted = if may_be_quoted(name_part) { quoted_name(name_part) } else { None };
    let (name, link) = match quoted {
        Some(read) => read,
        None => match arrow(name_part) {
            Some(at) if permissions.starts_with('l') || at + 4 < name_part.len() => {
                (Cow::Borrowed(&name_part[..at]), Some(as_printed(&name_part[at + 4..])))
            }
            _ => (Cow::Borrowed(name_part), None),
        },
    };
    Some(LongLine {
        name,
        permissions,
        hard_links_count,
        owner,
        group,
        author,
        context,
        size,
        size_bytes: format.units.bytes(size),
        date: &line[date_start..date_end],
        link,
    })
}

/// A name (or a link's target) as GNU `ls` prints it on a terminal
/// (`--quoting-style=shell-escape`), read back: `'a b'`, `"it's"`, `'tab'$'\t''x'`,
/// `'both'\''"q'`. The word and where it ends (at a blank outside quotes, or the end); `None`
/// when a quote is not closed.
fn shell_word(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => break,
            q @ (b'\'' | b'"') => {
                let end = i + 1 + b[i + 1..].iter().position(|&c| c == q)?;
                out.extend_from_slice(&b[i + 1..end]);
                i = end + 1;
            }
            b'$' if b.get(i + 1) == Some(&b'\'') => {
                i += 2;
                loop {
                    match *b.get(i)? {
                        b'\'' => break,
                        b'\\' => {
                            let (byte, len) = c_escape(&b[i + 1..])?;
                            out.push(byte);
                            i += 1 + len;
                        }
                        c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            b'\\' if b.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    let word = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Some((word, i))
}

/// The byte of a C escape after its backslash in `$'…'` (`n`, `t`, `\\`, `'`, `001`), and how
/// many bytes it takes.
fn c_escape(b: &[u8]) -> Option<(u8, usize)> {
    let byte = match *b.first()? {
        b'a' => 7,
        b'b' => 8,
        b't' => b'\t',
        b'n' => b'\n',
        b'v' => 11,
        b'f' => 12,
        b'r' => b'\r',
        b'e' | b'E' => 27,
        c @ (b'\\' | b'\'' | b'"' | b'?') => c,
        b'0'..=b'7' => {
            let digits = b.iter().take(3).take_while(|c| (b'0'..=b'7').contains(c)).count();
            let value = b[..digits].iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
            return Some((u8::try_from(value).ok()?, digits));
        }
        _ => return None,
    };
    Some((byte, 1))
}

/// A link's target: read back from its quotes when `ls` quoted it, else as printed.
fn as_printed(target: &str) -> Cow<'_, str> {
    if !may_be_quoted(target) {
        return Cow::Borrowed(target);
    }
    match shell_word(target) {
        Some((word, end)) if end == target.len() => Cow::Owned(word),
        _ => Cow::Borrowed(target),
    }
}

/// Whether `ls` may have quoted this name: it starts with a quote.
#[inline]
fn may_be_quoted(name: &str) -> bool {
    matches!(name.as_bytes().first(), Some(b'\'' | b'"' | b'$'))
}

/// A quoted name (see [`shell_word`]) and its link's target, when the name is quoted: the
/// name's quotes say where it ends, whatever ` -> ` it holds.
fn quoted_name(part: &str) -> Option<(Cow<'_, str>, Option<Cow<'_, str>>)> {
    let (name, end) = shell_word(part)?;
    let link = match &part[end..] {
        "" => None,
        after => Some(as_printed(after.strip_prefix(" -> ")?)),
    };
    Some((Cow::Owned(name), link))
}

/// A long-format line as an [`LsEntry`].
#[cfg(test)]
fn long_entry(line: &str) -> Option<LsEntry> {
    long_line(line, Format::default()).map(LongLine::entry)
}

impl LongLine<'_> {
    /// Its entry: every field inline up to 24 bytes (names, dates, sizes, owners: one
    /// allocation per longer one, none for most).
    fn entry(self) -> LsEntry {
        LsEntry {
            name: self.name.as_ref().into(),
            permissions: Some(self.permissions.into()),
            hard_links_count: Some(self.hard_links_count),
            owner: self.owner.map(CompactString::from),
            group: self.group.map(CompactString::from),
            author: self.author.map(CompactString::from),
            context: self.context.map(CompactString::from),
            size_bytes: self.size_bytes,
            size_raw: Some(self.size.into()),
            date: Some(self.date.into()),
            link: self.link.as_deref().map(CompactString::from),
        }
    }

    /// Its JSON: what [`LsEntry::into_json`] gives for its entry, cloned from the template of
    /// its keys when it has the usual columns.
    fn json(&self, keys: &EntryKeys) -> Value {
        let (Some(owner), Some(group), None, None) =
            (self.owner, self.group, self.author, self.context)
        else {
            return self.clone().entry().into_json();
        };
        let text = |s: &str| Value::String(s.to_owned());
        let bytes = self.size_bytes;
        let keys = match (&self.link, bytes) {
            (None, Some(_)) => &keys.plain,
            (Some(_), Some(_)) => &keys.link,
            (None, None) => &keys.device,
            (Some(_), None) => &keys.device_link,
        };
        // In key order; the link and the size in bytes only where the entry has them.
        let mut row = keys.blank();
        let mut values = row.values_mut();
        put_next!(values, text(self.date));
        put_next!(values, text(group));
        put_next!(values, self.hard_links_count.into());
        if let Some(link) = &self.link {
            put_next!(values, text(link));
        }
        put_next!(values, text(&self.name));
        put_next!(values, text(owner));
        put_next!(values, text(self.permissions));
        if let Some(bytes) = bytes {
            put_next!(values, bytes.into());
        }
        put_next!(values, text(self.size));
        Value::Object(row)
    }
}

/// The keys of a long-format entry's JSON, in key order: a plain file, a link, and either
/// without a size in bytes (a device's `major, minor`); and a short entry's.
#[derive(Debug)]
struct EntryKeys {
    plain: MapTemplate,
    link: MapTemplate,
    device: MapTemplate,
    device_link: MapTemplate,
    short: MapTemplate,
}

impl Default for EntryKeys {
    fn default() -> Self {
        const ALL: [&str; 9] = [
            "date",
            "group",
            "hard_links_count",
            "link",
            "name",
            "owner",
            "permissions",
            "size_bytes",
            "size_raw",
        ];
        let but = |skip: &[&str]| MapTemplate::new(ALL.into_iter().filter(|k| !skip.contains(k)));
        Self {
            plain: but(&["link"]),
            link: but(&[]),
            device: but(&["link", "size_bytes"]),
            device_link: but(&["size_bytes"]),
            short: MapTemplate::new(["name"]),
        }
    }
}

/// What the lines of `ls` make: the typed result or its JSON.
trait LsSink {
    fn long(&mut self, line: LongLine<'_>);
    fn short(&mut self, name: &str);
    fn total(&mut self, raw: &str, bytes: u64);
}

/// One line of `ls`'s output, long lines as `format` says, into `sink`.
fn ls_line(line: &str, partial: bool, format: Format, sink: &mut impl LsSink) {
    if partial || line.is_empty() {
        return;
    }
    // (Also after blanks: `ls -ls` right-aligns the blocks, `   8 -rw-r--r-- …`.)
    if let Some(long) = long_line(line, format) {
        return sink.long(long);
    }
    if let Some(total) = line.strip_prefix("total ") {
        let raw = total.trim();
        if let Some(bytes) = format.units.bytes(raw) {
            return sink.total(raw, bytes);
        }
    }
    if line.ends_with(':') || line.starts_with("ls: ") {
        return; // `total 8`, a `dir:` header, a complaint (a failure already)
    }
    // Names quoted by `ls` on a terminal are words of the shell: read back, each one.
    let mut rest = line;
    if line.contains(['\'', '"']) {
        rest = rest.trim_start();
        while let Some((name, end)) = shell_word(rest).filter(|(_, end)| *end > 0) {
            sink.short(&name);
            rest = rest[end..].trim_start();
        }
    }
    for (_, name) in words(rest) {
        sink.short(name);
    }
}

impl LsSink for LsParser {
    fn long(&mut self, line: LongLine<'_>) {
        self.push(line.entry());
    }
    fn short(&mut self, name: &str) {
        self.push(LsEntry { name: name.into(), ..LsEntry::default() });
    }
    fn total(&mut self, raw: &str, bytes: u64) {
        self.result.total = Some(LsTotal { raw: raw.to_owned(), bytes });
    }
}

impl Parser for LsParser {
    type Output = LsResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        ls_line(line, partial, self.format, self);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<LsResult> {
        // A name listed twice keeps its last entry, as inserting one by one would.
        let entries = std::mem::take(&mut self.entries);
        self.result.files = LsFiles::from_list(entries, !std::mem::take(&mut self.out_of_order));
        Ok(std::mem::take(&mut self.result))
    }
}

/// The registry's parser of [`Ls`]: its JSON built line by line (no typed result first).
#[derive(Debug, Default)]
struct LsJsonParser {
    /// Files and their names in arrival order; the map is built once at the end. (Each name
    /// made a key as its line comes, next to its entry in memory, rather than all at the end
    /// from one buffer of names: 144.6-147.7 MB/s against 136.8-143.3, parse_mimalloc.)
    files: Vec<(String, Value)>,
    total: Option<(String, u64)>,
    keys: EntryKeys,
    format: Format,
}

impl LsJsonParser {
    fn push(&mut self, name: &str, entry: Value) {
        self.files.push((name.to_owned(), entry));
    }
}

impl LsSink for LsJsonParser {
    fn long(&mut self, line: LongLine<'_>) {
        let entry = line.json(&self.keys);
        self.push(&line.name, entry);
    }
    fn short(&mut self, name: &str) {
        let entry = self.keys.short.fill([Value::String(name.to_owned())]);
        self.push(name, Value::Object(entry));
    }
    fn total(&mut self, raw: &str, bytes: u64) {
        self.total = Some((raw.to_owned(), bytes));
    }
}

impl Parser for LsJsonParser {
    type Output = Value;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        ls_line(line, partial, self.format, self);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Value> {
        let mut m = Map::new();
        // A name listed twice keeps its last entry (a bulk build, as for the typed map).
        let files: Map<String, Value> = std::mem::take(&mut self.files).into_iter().collect();
        m.insert("files".to_owned(), Value::Object(files));
        if let Some((raw, bytes)) = self.total.take() {
            let mut total = Map::new();
            total.insert("bytes".to_owned(), bytes.into());
            total.insert("raw".to_owned(), raw.into());
            m.insert("total".to_owned(), Value::Object(total));
        }
        Ok(Value::Object(m))
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
        let format = Format::of(self.options.as_deref().unwrap_or_default());
        LsParser { format, ..LsParser::default() }
    }
    fn output_json(output: LsResult) -> serde_json::Result<Value> {
        Ok(output.into_json())
    }
    fn json_parser(parser: LsParser) -> Box<dyn Parser<Output = Value>> {
        Box::new(LsJsonParser { format: parser.format, ..LsJsonParser::default() })
    }
    fn setup(&self, command: Command<LsParser>) -> Command<LsParser> {
        own_errors(command, "ls").ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A line of `ls` of any kind: long (files, links, devices, dates of every form, odd
    /// names), short, a total, a directory header; long lines with the `columns` between the
    /// links and the size.
    fn any_line(columns: Format) -> impl Strategy<Value = String> {
        let shown = |on: bool, pattern: &'static str| if on { pattern } else { "" };
        let who = (
            shown(columns.owner, "[a-z_][a-z0-9_.-]{0,12}"),
            shown(columns.group, "[a-z_][a-z0-9]{0,8}"),
            shown(columns.author, "[a-z_][a-z0-9]{0,8}"),
            shown(columns.context, "[?]|[a-z_]{1,8}:[a-z_]{1,8}:[a-z_]{1,8}:s0"),
        )
            .prop_map(|(owner, group, author, context)| {
                let all = [owner, group, author, context];
                all.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>()
            });
        let long = (
            "[-dlcbps][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT][.+]?",
            "[0-9]{1,3}|x",
            who,
            "[0-9]{1,10}|[0-9]{1,3}[.][0-9][KMGT]|[0-9]{1,3}[KMGTP]|[0-9]{1,3}, {1,3}[0-9]{1,3}",
            prop_oneof![
                "(Jan|Feb|Dec|Sep) {1,2}[0-9]{1,2} {1,2}([0-9]{2}:[0-9]{2}|[0-9]{4})",
                "20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?( [+-][0-9]{4})?",
                "[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]|20[0-9]{2}-[01][0-9]-[0-3][0-9] ",
            ],
            "[a-zA-Z0-9_.\\u{e9}-]{1,40}( {1,2}[a-z0-9.]{1,8}){0,2}",
            proptest::option::of("/?[a-z0-9_./ -]{0,30}"),
            "[ \t]{1,3}",
        )
            .prop_map(|(perm, links, who, size, date, name, link, gap)| {
                let mut line = [perm, links].into_iter().chain(who).collect::<Vec<_>>();
                line.extend([size, date]);
                let mut line = line.join(&gap);
                line.push(' ');
                line.push_str(&name);
                if let Some(link) = link {
                    line.push_str(" -> ");
                    line.push_str(&link);
                }
                line
            });
        prop_oneof![
            6 => long,
            1 => "[a-z0-9_.]{1,12}( {1,4}[a-z0-9_.]{1,12}){0,4}",
            1 => "total [0-9]{1,6}[KMG]?",
            1 => "/[a-z]{1,8}:",
            1 => "[ \t]{0,3}",
        ]
    }

    proptest! {
        /// Any listing: the registry's JSON is the typed result serialized.
        #[test]
        fn the_registry_parser_gives_what_serializing_gives_for_any_listing(
            lines in proptest::collection::vec(any_line(Format::default()), 0..12)
        ) {
            crate::unix::parse::registry_agrees(&Ls::new().options("-l"), &lines)?;
        }

        /// The same with columns left out or added: every long line is read.
        #[test]
        fn any_columns_are_read_and_the_registry_agrees(
            (options, lines) in prop_oneof![
                Just("-lg"), Just("-lo"), Just("-lgo"), Just("-lZ"), Just("-l --author"),
                Just("-lgZ --author"), Just("-loZ"),
            ]
            .prop_flat_map(|o| (Just(o), proptest::collection::vec(any_line(Format::of(o)), 0..12)))
        ) {
            crate::unix::parse::registry_agrees(&Ls::new().options(options), &lines)?;
            let columns = Format::of(options);
            for line in &lines {
                let entry = long_line(line, columns).map(LongLine::entry);
                if let Some(e) = entry {
                    prop_assert_eq!(e.owner.is_some(), columns.owner);
                    prop_assert_eq!(e.group.is_some(), columns.group);
                    prop_assert_eq!(e.author.is_some(), columns.author);
                    prop_assert_eq!(e.context.is_some(), columns.context);
                } else {
                    // (`x` links: a line of the listing that is no long line.)
                    let mut words = line.split_whitespace();
                    let long = words.next().is_some_and(is_permissions) && words.next() != Some("x");
                    prop_assert!(!long, "a long line not read: {line:?}");
                }
            }
        }
    }

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
        // The registry's parser builds the same JSON directly.
        let mut conn = moler_core::Connection::new("t");
        let ls = Ls::new().options("-l").command_with_prompt("^[$] $").map_parser(Ls::json_parser);
        let done = conn.start(ls, std::time::Instant::now());
        conn.handle_input(output.as_bytes(), std::time::Instant::now());
        assert_eq!(done.try_result().unwrap().unwrap(), serialized);
    }

    proptest! {
        /// `LsFiles` is the map that inserting the entries one by one makes: the same entries
        /// in the same order, and every lookup the same.
        #[test]
        fn files_are_the_map_inserting_makes(
            entries in proptest::collection::vec(("[a-c\u{e9}]{0,3}", 0..4u64), 0..40),
            probes in proptest::collection::vec("[a-c\u{e9}]{0,3}", 0..10),
        ) {
            let entry = |name: &str, links| LsEntry {
                name: name.into(),
                hard_links_count: Some(links),
                ..LsEntry::default()
            };
            let mut map = BTreeMap::new();
            for (name, links) in &entries {
                map.insert(CompactString::from(name.as_str()), entry(name, *links));
            }
            let files: LsFiles = entries.iter().map(|(n, l)| entry(n, *l)).collect();
            prop_assert_eq!(files.len(), map.len());
            prop_assert!(files.iter().eq(map.iter().map(|(n, e)| (&**n, e))));
            for name in probes.iter().chain(entries.iter().map(|(n, _)| n)) {
                prop_assert_eq!(files.get(name), map.get(name.as_str()));
                prop_assert_eq!(files.contains_key(name), map.contains_key(name.as_str()));
            }
            prop_assert_eq!(
                serde_json::to_value(&files).unwrap(),
                serde_json::to_value(&map).unwrap()
            );
            prop_assert_eq!(files.clone().into_map(), map);
        }
    }

    #[test]
    fn files_read_like_a_map() {
        let files: LsFiles = ["b", "a", "b"]
            .iter()
            .enumerate()
            .map(|(i, n)| LsEntry {
                name: (*n).into(),
                size_bytes: Some(i as u64),
                ..LsEntry::default()
            })
            .collect();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(files["b"].size_bytes, Some(2), "the last of a name listed twice");
        assert_eq!(format!("{:?}", files.keys()), r#"["a", "b"]"#);
        assert!(format!("{files:?}").starts_with(r#"{"a": LsEntry { name: "a""#), "{files:?}");
        assert_eq!(files.values().map(|e| e.size_bytes).collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!((&files).into_iter().count(), 2);
        let json = serde_json::to_value(&files).unwrap();
        assert_eq!(json["a"], serde_json::json!({"name": "a", "size_bytes": 1}));
        let back: LsFiles = serde_json::from_value(json).unwrap();
        assert_eq!(back, files);
        let missing = std::panic::catch_unwind(|| files["zz"].size_bytes).unwrap_err();
        assert_eq!(missing.downcast_ref::<String>().unwrap(), r#"no file "zz" in the listing"#);
        assert!(LsFiles::default().is_empty());
    }

    #[test]
    fn the_parser_puts_names_in_order_and_keeps_the_last_of_a_name_listed_twice() {
        // In order; a name twice in a row; a name before the one listed before it; a name
        // that is a prefix of the one before it.
        let parsed = |names: &[&str]| {
            let mut output = String::from("ls -l\n");
            for (i, name) in names.iter().enumerate() {
                output.push_str(&format!("-rw-r--r-- 1 a b {i} Jan  3 08:12 {name}\n"));
            }
            output.push_str("$ ");
            let mut conn = moler_core::Connection::new("t");
            let ls = Ls::new().options("-l").command_with_prompt("^[$] $");
            let done = conn.start(ls, std::time::Instant::now());
            conn.handle_input(output.as_bytes(), std::time::Instant::now());
            let files = done.try_result().expect("ended").expect("parsed").files;
            files.iter().map(|(n, e)| (n.to_owned(), e.size_bytes.unwrap())).collect::<Vec<_>>()
        };
        let own = |pairs: &[(&str, u64)]| {
            pairs.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect::<Vec<_>>()
        };
        assert_eq!(parsed(&["a", "b", "c"]), own(&[("a", 0), ("b", 1), ("c", 2)]));
        assert_eq!(parsed(&["a", "b", "b"]), own(&[("a", 0), ("b", 2)]));
        assert_eq!(parsed(&["b", "c", "a"]), own(&[("a", 2), ("b", 0), ("c", 1)]));
        assert_eq!(parsed(&["ab", "a"]), own(&[("a", 1), ("ab", 0)]));
        assert_eq!(parsed(&["b", "a", "b"]), own(&[("a", 1), ("b", 2)]));
    }

    #[test]
    fn months_and_arrows_are_told_byte_by_byte() {
        let months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec";
        assert!(months.split(' ').all(is_month));
        for not in ["", "Ja", "jan", "JAN", "Janu", "Jax", "Dez", "Ja\0", "Mär"] {
            assert!(!is_month(not), "{not:?}");
        }
        assert_eq!(arrow("a -> b"), Some(1));
        assert_eq!(arrow("a->b -> c"), Some(4), "the first ` -> `");
        assert_eq!((arrow(" -> "), arrow("a -> ")), (Some(0), Some(1)));
        for none in ["", ">", "a->b", "a ->b", "a- > b", "a >  b"] {
            assert_eq!(arrow(none), None, "{none:?}");
        }
    }

    #[test]
    fn long_lines_of_every_kind() {
        let e = long_entry("crw-rw---- 1 root tty 4, 0 Nov 21 09:00 tty0").unwrap();
        assert_eq!((&*e.name, e.size_raw.as_deref(), e.size_bytes), ("tty0", Some("4, 0"), None));
        let e = long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00 two  spaces").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("two  spaces", Some("2024-01-31 12:00")));
        let e = long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00:01.5 +0100 f").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("f", Some("2024-01-31 12:00:01.5 +0100")));
        assert!(long_entry("total 8").is_none());
        assert!(long_entry("-rw-r--r-- 1 a b").is_none(), "truncated");
        // An ISO date is followed by a zone only when the next word is one: a 5-byte name,
        // or a name that starts with a sign, is the name.
        let e = long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00 notes").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("notes", Some("2024-01-31 12:00")));
        let e = long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00 -x").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("-x", Some("2024-01-31 12:00")));
        for name in ["-aA-0", "+0100", "-0100 x"] {
            let e = long_entry(&format!("-rw-r--r-- 1 a b 5 12-07 16:17 {name}")).unwrap();
            assert_eq!((&*e.name, e.date.as_deref()), (name, Some("12-07 16:17")));
        }
        let e = long_entry("-rw-r--r-- 1 a b 5 2024-01-31 12:00:01 -0x00 f").unwrap();
        assert_eq!(&*e.name, "-0x00 f", "no zone without digits");
        // `--time-style=iso`: `MM-DD HH:MM`, or the year's date padded to the same width.
        let e = long_entry("-rw-r--r-- 1 a b 5 12-07 16:17 a b").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("a b", Some("12-07 16:17")));
        let e = long_entry("-rw-r--r-- 1 a b 5 2020-01-02  old one").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("old one", Some("2020-01-02")));
        let e = long_entry("-rw-r--r-- 1 a b 5 2020-01-02   x").unwrap();
        assert_eq!(&*e.name, "x", "the date's padding, the parting blank, GNU's lining up");
        assert!(long_entry("-rw-r--r-- 1 a b 5 12-07 x").is_none(), "a day without its time");
        assert!(long_entry("-rw-r--r-- 1 a b 5 1a-07 16:17 x").is_none());
        let e = long_entry("-rw-r--r-- 1 a b 5 2020-01-02 16:1 x").unwrap();
        assert_eq!((&*e.name, e.date.as_deref()), ("16:1 x", Some("2020-01-02")), "no time");
        // ` -> ` in a name is a link's target only for a link, or with a target after it.
        let e = long_entry("-rw-r--r-- 1 a b 5 Jan  3 08:12 x -> ").unwrap();
        assert_eq!((&*e.name, e.link), ("x -> ", None));
        let e = long_entry("lrwxrwxrwx 1 a b 5 Jan  3 08:12 x -> ").unwrap();
        assert_eq!((&*e.name, e.link.as_deref()), ("x", Some("")));
    }

    /// Names as GNU `ls` quotes them on a terminal, read back; other names as printed.
    #[test]
    fn quoted_names_are_read_back() {
        fn word(s: &str) -> Option<(String, &str)> {
            shell_word(s).map(|(w, end)| (w, &s[end..]))
        }
        assert_eq!(word("'a b' x").unwrap(), ("a b".to_owned(), " x"));
        assert_eq!(word(r#""it's""#).unwrap().0, "it's");
        assert_eq!(word(r#"'both'\''"q'"#).unwrap().0, "both'\"q");
        assert_eq!(word(r"'tab'$'\t''x'").unwrap().0, "tab\tx");
        assert_eq!(word(r"''$'\001''ctl'").unwrap().0, "\u{1}ctl");
        assert_eq!(
            word(r#"$'\n\r\a\b\v\f\e\E\\\'\"\?'"#).unwrap().0,
            "\n\r\x07\x08\x0b\x0c\x1b\x1b\\'\"?"
        );
        assert_eq!(word(r"$'\303\251'").unwrap().0, "\u{e9}", "octal bytes of UTF-8");
        assert_eq!(word(r"$'\377'").unwrap().0, "\u{fffd}", "a byte of no UTF-8");
        assert_eq!(word(r"$'\0'x").unwrap().0, "\0x");
        assert_eq!(word("dollar$x").unwrap().0, "dollar$x");
        for open in ["'a b", "\"a", "$'a", r"$'\q'", r"$'\", r"$'\400'"] {
            assert_eq!(word(open), None, "{open}");
        }
        let long = |name: &str| {
            let line = format!("lrwxrwxrwx 1 a b 5 Jan  3 08:12 {name}");
            let e = long_entry(&line).unwrap();
            (e.name.to_string(), e.link.map(String::from))
        };
        let own = |name: &str, link: Option<&str>| (name.to_owned(), link.map(str::to_owned));
        assert_eq!(long("'link c' -> 'a b'"), own("link c", Some("a b")));
        assert_eq!(long("'x -> y' -> z"), own("x -> y", Some("z")), "quotes end the name");
        assert_eq!(long(" plain -> 'it'\\''s'"), own("plain", Some("it's")));
        assert_eq!(long("b -> 'a"), own("b", Some("'a")), "unclosed: as printed");
        assert_eq!(long("'a b' c"), own("'a b' c", None), "no name: as printed");
        assert_eq!(long("'a b"), own("'a b", None));
        // The blank GNU puts before names it did not quote, to line them up: not the name's.
        assert_eq!(long(" plain"), own("plain", None));
        assert_eq!(long("  two"), own(" two", None));
        // Short listings: words of the shell when quoted, else words.
        let output = "ls\n'a b'  plain   \"it's\"\n 'c'$'\\n''d'  e\nit's x\n'ok' 'open\n$ ";
        let (typed, json) = crate::unix::parse::typed_and_registry(&Ls::new(), output);
        let files = &typed.unwrap()["files"];
        let names: Vec<&String> = files.as_object().unwrap().keys().collect();
        assert_eq!(names, ["'open", "a b", "c\nd", "e", "it's", "ok", "plain", "x"]);
        assert_eq!(json.unwrap()["files"], *files);
    }

    /// The options say which columns come between the links and the size; the values of
    /// options that take one are no options, and `--` ends them.
    #[test]
    fn the_options_say_which_columns_a_long_line_has() {
        let columns = |o: &str| {
            let c = Format::of(o);
            [c.owner, c.group, c.author, c.context].map(u8::from)
        };
        assert_eq!(columns(""), [1, 1, 0, 0]);
        assert_eq!(columns("-la"), [1, 1, 0, 0]);
        assert_eq!(columns("-lag"), [0, 1, 0, 0]);
        assert_eq!(columns("-o"), [1, 0, 0, 0]);
        assert_eq!(columns("-l -G"), [1, 0, 0, 0]);
        assert_eq!(columns("-l --no-group"), [1, 0, 0, 0]);
        assert_eq!(columns("-go"), [0, 0, 0, 0]);
        assert_eq!(columns("-l --author"), [1, 1, 1, 0]);
        assert_eq!(columns("-lZ"), [1, 1, 0, 1]);
        assert_eq!(columns("-l --context"), [1, 1, 0, 1]);
        assert_eq!(columns("-lgZ --author dir"), [0, 1, 1, 1]);
        // Values: `-I PATTERN`, `-T COLS`, `-w COLS` (in the word or the next one), long ones.
        assert_eq!(columns("-l -I g -T Z -wgo"), [1, 1, 0, 0]);
        assert_eq!(columns("-l --sort g --ignore=Z --hide -o"), [1, 1, 0, 0]);
        assert_eq!(columns("-l -- -g -o"), [1, 1, 0, 0]);
        // A name of a long option that only starts like one of these is another option.
        assert_eq!(columns("-l --authors --no-groups"), [1, 1, 0, 0]);
    }

    /// Sizes in the units the options say, the last one said winning; the `total` line too.
    #[test]
    fn sizes_count_what_the_options_say() {
        let bytes = |options: &str, size: &str| {
            let line = format!("-rw-r--r-- 1 a b {size} Dec  7 16:17 f");
            long_line(&line, Format::of(options)).unwrap().size_bytes
        };
        assert_eq!(bytes("-l", "150000"), Some(150_000));
        assert_eq!(bytes("-lh", "147K"), Some(147 << 10));
        assert_eq!(bytes("-l --si", "150k"), Some(150_000));
        assert_eq!(bytes("-lh --si", "1.5M"), Some(1_500_000));
        assert_eq!(bytes("-l --si -h", "147K"), Some(147 << 10));
        assert_eq!(bytes("-l --block-size=1K", "147"), Some(147 << 10));
        assert_eq!(bytes("-l --block-size 1000", "150"), Some(150_000));
        assert_eq!(bytes("-l --block-size=K", "147K"), Some(147 << 10));
        assert_eq!(bytes("-l --block-size=KB", "150kB"), Some(150_000));
        assert_eq!(bytes("-l --block-size=KiB", "147KiB"), Some(147 << 10));
        assert_eq!(bytes("-l --block-size=1K -h", "146"), Some(146), "-h counts bytes again");
        assert_eq!(bytes("-l --block-size=nonsense", "5"), Some(5));
        let output = "ls -l --si\ntotal 156k\n-rw-r--r-- 1 a b 150k Dec  7 16:17 f\n$ ";
        let cmd = Ls::new().options("-l --si");
        let (typed, json) = crate::unix::parse::typed_and_registry(&cmd, output);
        let typed = typed.unwrap();
        assert_eq!(typed["total"]["bytes"], 156_000);
        assert_eq!(typed["files"]["f"]["size_bytes"], 150_000);
        assert_eq!(json.unwrap(), typed);
    }

    /// Lines as GNU `ls` prints them with columns left out or added, devices included.
    #[test]
    fn long_lines_with_other_columns() {
        let read = |options: &str, line: &str| {
            let e = long_line(line, Format::of(options)).map(LongLine::entry).expect(line);
            let text = |s: Option<CompactString>| s.map(String::from).unwrap_or_default();
            [e.owner, e.group, e.author, e.context, e.size_raw, Some(e.name)].map(text)
        };
        let read_as = |options: &str, line: &str, want: [&str; 6]| {
            assert_eq!(read(options, line), want.map(String::from), "{options}: {line}");
        };
        read_as("-lg", "-rw-r--r-- 1 root    0 Dec  7 16:17 a", ["", "root", "", "", "0", "a"]);
        read_as("-lo", "drwxr-xr-x 2 bob 4096 Dec  7 16:17 d", ["bob", "", "", "", "4096", "d"]);
        read_as("-lgo", "lrwxrwxrwx 1    1 Dec  7 16:17 b -> a", ["", "", "", "", "1", "b"]);
        read_as(
            "-lg",
            "crw-rw-rw- 1 tty 1, 3 Dec  6 13:09 null",
            ["", "tty", "", "", "1, 3", "null"],
        );
        read_as("-lZ", "-rw-r--r-- 1 a b ?    0 Dec  7 16:17 a", ["a", "b", "", "?", "0", "a"]);
        let selinux = "-rw-r--r--. 1 a b unconfined_u:object_r:user_home_t:s0 5 Jan  3 08:12 f";
        read_as("-lZ", selinux, ["a", "b", "", "unconfined_u:object_r:user_home_t:s0", "5", "f"]);
        let both = "crw-rw-rw- 1 root root root ? 1, 3 Dec  6 13:09 /dev/null";
        read_as("-lZ --author", both, ["root", "root", "root", "?", "1, 3", "/dev/null"]);
        read_as(
            "-loZ --author",
            "-rw-r--r-- 1 a c ? 0 Dec  7 16:17 x",
            ["a", "", "c", "?", "0", "x"],
        );
        // Read with the wrong columns, a line is no long line (or a device's numbers are
        // taken for names): the options decide.
        assert!(long_line("-rw-r--r-- 1 root    0 Dec  7 16:17 a", Format::default()).is_none());
        assert!(long_line("-rw-r--r-- 1 a b ? 0 Dec  7 16:17 a", Format::default()).is_none());
        assert!(long_line("-rw-r--r-- 1 a b 0 Dec  7 16:17 a", Format::of("-lZ")).is_none());
    }

    /// `-i` and `-s` print the inode and the blocks before the permissions (right-aligned, so
    /// after blanks): the entry is the same. Numbers before anything else are names.
    #[test]
    fn the_inode_and_the_blocks_before_a_long_line_are_passed_over() {
        let plain = long_entry("-rw-r--r-- 1 a b 5 Jan  3 08:12 f").unwrap();
        for line in [
            "10109302 -rw-r--r-- 1 a b 5 Jan  3 08:12 f",
            "   8 -rw-r--r-- 1 a b 5 Jan  3 08:12 f",
            "10109302 8 -rw-r--r-- 1 a b 5 Jan  3 08:12 f",
            "\t4.0K -rw-r--r-- 1 a b 5 Jan  3 08:12 f",
        ] {
            assert_eq!(long_entry(line), Some(plain.clone()), "{line:?}");
        }
        assert!(long_entry("1 2 3 -rw-r--r-- 1 a b 5 Jan  3 08:12 f").is_none(), "three numbers");
        assert!(long_entry("x -rw-r--r-- 1 a b 5 Jan  3 08:12 f").is_none(), "not a number");
        // Words in the places of a long line's, but no permissions: names, each of them.
        assert!(long_entry("notes 1 a b 5 Jan 3 08:12 x").is_none());
        assert!(long_entry("4 notes 1 a b 5 Jan 3 08:12 x").is_none());
    }

    /// `ls a b` (and `-R`) head each directory's files with its name and a colon: not a file.
    /// Short listings hold names only, however many on a line.
    #[test]
    fn directory_headers_are_no_files_and_short_lines_are_names() {
        let output = "ls a b\na:\nx  y\n\nb:\n4 notes 1 a b 5 Jan 3 08:12 z\n$ ";
        let (typed, json) = crate::unix::parse::typed_and_registry(&Ls::new().path("a b"), output);
        let names: Vec<&str> = "08:12 1 3 4 5 Jan a b notes x y z".split(' ').collect();
        let files = &typed.unwrap()["files"];
        assert_eq!(files.as_object().unwrap().keys().collect::<Vec<_>>(), names);
        assert_eq!(json.unwrap()["files"], *files);
    }

    /// The typed result's accessors and conversions agree with the entries listed.
    #[test]
    fn the_files_list_reads_back_every_way() {
        let files: LsFiles = ["c", "a", "b"]
            .iter()
            .map(|n| LsEntry { name: (*n).into(), ..LsEntry::default() })
            .collect();
        assert!(!files.is_empty());
        let names: Vec<&str> = files.as_slice().iter().map(|e| &*e.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let keys = files.keys();
        assert_eq!((keys.len(), keys.size_hint()), (3, (3, Some(3))));
        assert_eq!(files.keys().rev().collect::<Vec<_>>(), ["c", "b", "a"]);
        let mut keys = files.keys();
        assert_eq!((keys.next(), keys.next_back(), keys.len()), (Some("a"), Some("c"), 1));
        let map = BTreeMap::from(files.clone());
        assert_eq!(map.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map["b"], files["b"]);
        // Read back from JSON, an entry is named by its key.
        let back: LsFiles =
            serde_json::from_value(serde_json::json!({"k": {"name": "other"}})).unwrap();
        assert_eq!(back.keys().collect::<Vec<_>>(), ["k"]);
        assert_eq!(back["k"].name, "k");
    }
}
