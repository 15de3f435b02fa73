//! `unzip`: [`Unzip`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{flag, regex, required, Answering};
use crate::spec::{builder, unix_command, UnixCommand};

/// `unzip [options] zip_file [-d extract_dir]`; result `{"FILE_LIST": [...], "FILE_DICT":
/// {name: entry}}`: the files extracted, or with `-v` the files listed and their details.
/// Asked whether to replace a file, it answers `A` (all) with `overwrite`, else `N` and fails.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unzip {
    /// The archive.
    pub zip_file: String,
    /// Extract into this directory (`-d`).
    pub extract_dir: Option<String>,
    /// `-v`, `-o`, `-u`…
    pub options: Option<String>,
    /// Replace existing files (Moler also takes the text `"True"`).
    #[serde(default, deserialize_with = "flag")]
    pub overwrite: bool,
}
builder!(Unzip { zip_file: String }, extract_dir, options);

impl Unzip {
    /// Whether to replace existing files.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }
}

/// Result of [`Unzip`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnzipResult {
    /// The files, in order.
    #[serde(rename = "FILE_LIST")]
    pub file_list: Vec<String>,
    /// With `-v`: each file's details.
    #[serde(rename = "FILE_DICT")]
    pub file_dict: BTreeMap<String, UnzipEntry>,
}

/// A file of `unzip -v` (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnzipEntry {
    /// Uncompressed size.
    pub length: String,
    /// `Stored`, `Defl:N`…
    pub method: String,
    /// Compressed size.
    pub size: String,
    /// Compression (`76%`).
    pub cmpr: String,
    /// `2019-01-30`.
    pub date: String,
    /// `08:58`.
    pub time: String,
    /// The CRC.
    #[serde(rename = "crc-32")]
    pub crc_32: String,
    /// Date and time as ISO 8601 (`2019-01-30T08:58:00`: Moler's `datetime`, serialized).
    pub datetime: String,
}

/// Parser of [`Unzip`].
#[derive(Debug)]
pub struct UnzipParser {
    replace: Answering,
    verbose: bool,
    file: Arc<Regex>,
    entry: Arc<Regex>,
    result: UnzipResult,
}

impl Parser for UnzipParser {
    type Output = UnzipResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.replace.answer(line, partial, cx) || partial {
            return Ok(());
        }
        if let Some(c) = self.file.captures(line) {
            self.result.file_list.push(c[1].to_owned());
        } else if let Some(c) = self.entry.captures(line).filter(|_| self.verbose) {
            let g = |i: usize| c[i].to_owned();
            let entry = UnzipEntry {
                length: g(1),
                method: g(2),
                size: g(3),
                cmpr: g(4),
                datetime: format!("{}T{}:00", &c[5], &c[6]),
                date: g(5),
                time: g(6),
                crc_32: g(7),
            };
            self.result.file_list.push(g(8));
            self.result.file_dict.insert(g(8), entry);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<UnzipResult> {
        self.replace.refusal()?;
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Unzip, "unzip", UnzipParser,
    |s| UnzipParser {
        replace: Answering::new(
            r"(?i)replace\s*\S*\?\s*\[y]es,\s*\[n\]o,\s*\[A\]ll,\s*\[N\]one,\s*\[r\]ename:",
            if s.overwrite { "A" } else { "N" },
            !s.overwrite,
        ),
        verbose: s.options.as_deref().unwrap_or("").contains('v'),
        // Moler knows `extracting:` (stored files) only; deflated ones print `inflating:`.
        file: regex(r"(?:extracting|inflating):+\s*(\S*)"),
        entry: regex(r"(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d)\s+(\S+)\s+(\S+)"),
        result: UnzipResult::default(),
    },
    line: |s| {
        let mut line = "unzip".to_owned();
        if let Some(o) = s.options.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            line = format!("{line} {o}");
        }
        line = format!("{line} {}", required("zip_file", &s.zip_file)?);
        if let Some(d) = s.extract_dir.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            line = format!("{line} -d {d}");
        }
        Ok(line)
    },
    setup: |c| c
        .failure(r"unzip:+\s*cannot find or open|cannot create extraction directory:")
        .ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn deflated_files_are_listed_too() {
        // Moler's FILE_LIST misses every file unzip inflates (any compressed one).
        let out = "unzip a.zip\nArchive:  a.zip\n  inflating: a.txt\n extracting: b.txt\n$ ";
        let r = offline::parse(Unzip::new("a.zip").command_with_prompt(r"^\$ $"), [out.as_bytes()]);
        assert_eq!(r.unwrap().file_list, ["a.txt", "b.txt"]);
    }
}
