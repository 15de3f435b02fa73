//! `gunzip`: [`Gunzip`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::gzip::OVERWRITE;
use super::parse::{flag, regex, Answering, Words};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `gunzip [options] archive… [> output_file_name]`; result `{"RESULT": [...]}`: the
/// `-- replaced with` lines of `-v`, or the rows of `-l` as mappings; with `-v` also
/// `"files"` (what was decompressed) and `"details"`. Asked whether to overwrite, it answers
/// `y` with `overwrite`, else `n` and fails.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gunzip {
    /// The archives: a list, or one string (Moler wants a list; one string is one archive here,
    /// where Moler would put a blank between its letters).
    pub archive_name: Words,
    /// Redirect the output to this file.
    pub output_file_name: Option<String>,
    /// `-v`, `-l`, `-k`…
    pub options: Option<String>,
    /// Overwrite existing files (Moler also takes the text `"True"`).
    #[serde(default, deserialize_with = "flag")]
    pub overwrite: bool,
}
builder!(Gunzip { archive_name: Words }, output_file_name, options);

impl Gunzip {
    /// Whether to overwrite existing files.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }
}

/// Result of [`Gunzip`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GunzipResult {
    /// `-v`'s `replaced with` lines, or `-l`'s rows.
    #[serde(rename = "RESULT")]
    pub result: Vec<GunzipLine>,
    /// The decompressed files `-v` reported as created.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub files: Option<Vec<String>>,
    /// One entry per file of `files`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub details: Option<Vec<GunzipDetail>>,
}

/// An entry of [`GunzipResult::result`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GunzipLine {
    /// A row of `-l` by its header's names (`compressed`, `ratio`, `uncompressed_name`…).
    Row(BTreeMap<String, String>),
    /// A line of `-v`.
    Text(String),
}

/// What `-v` says of one archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GunzipDetail {
    /// The archive.
    pub compressed_file: String,
    /// The compression ratio (`0.0%`).
    pub ratio: String,
    /// The file made from it.
    pub decompressed_file: String,
}

/// Parser of [`Gunzip`].
#[derive(Debug)]
pub struct GunzipParser {
    overwrite: Answering,
    keys: Vec<String>,
    listing: Arc<Regex>,
    verbose: Arc<Regex>,
    result: GunzipResult,
}

impl Parser for GunzipParser {
    type Output = GunzipResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.overwrite.answer(line, partial, cx) || partial {
            return Ok(());
        }
        if line.contains(" -- replaced with") {
            self.result.result.push(GunzipLine::Text(line.to_owned()));
        } else if !self.keys.is_empty() && self.result.result.is_empty() {
            let mut values: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
            // `-vl` prints the date as two words (`Aug 9`) under one header.
            if self.keys.iter().any(|k| k == "date") && values.len() > 3 {
                let day = values.remove(3);
                values[2] = format!("{} {day}", values[2]);
            }
            let row = self.keys.iter().cloned().zip(values).collect();
            self.result.result.push(GunzipLine::Row(row));
        } else if self.listing.is_match(line) {
            self.keys = line.split_whitespace().map(str::to_owned).collect();
        } else if let Some(c) = self.verbose.captures(line) {
            let detail = GunzipDetail {
                compressed_file: c[1].to_owned(),
                ratio: c[2].to_owned(),
                decompressed_file: c[3].to_owned(),
            };
            self.result.files.get_or_insert_with(Vec::new).push(c[3].to_owned());
            self.result.details.get_or_insert_with(Vec::new).push(detail);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<GunzipResult> {
        self.overwrite.refusal()?;
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Gunzip, "gunzip", GunzipParser,
    |s| GunzipParser {
        overwrite: Answering::new(OVERWRITE, if s.overwrite { "y" } else { "n" }, !s.overwrite),
        keys: Vec::new(),
        listing: regex(r"(?i) compressed\s*uncompressed\s*ratio\s*uncompressed_name"),
        verbose: regex(r"(\S+):.*\s+([\d.]+%)\s+\S+\s+\S+\s+(\S+)"),
        result: GunzipResult::default(),
    },
    line: |s| {
        if s.archive_name.items().iter().all(|a| a.trim().is_empty()) {
            return Err(crate::ParamError::Missing("archive_name".into()));
        }
        let mut line = "gunzip".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, Some(&s.archive_name.joined()));
        if let Some(out) = s.output_file_name.as_deref().filter(|o| !o.trim().is_empty()) {
            line.push_str(&format!(" > {out}"));
        }
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)gzip:\s").failure_exception(OVERWRITE));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_string_is_one_archive() {
        let g: Gunzip =
            serde_json::from_value(serde_json::json!({"archive_name": "new.gz"})).unwrap();
        assert_eq!(
            g.command_line().unwrap(),
            "gunzip new.gz",
            "Moler would send `gunzip n e w . g z`"
        );
        assert_eq!(
            Gunzip::new(["a.gz", "b.gz"]).options("-k").command_line().unwrap(),
            "gunzip -k a.gz b.gz"
        );
    }

    #[test]
    fn a_verbose_listing_row_joins_its_date_and_a_short_one_is_kept_as_it_is() {
        let out = "gunzip -vl a.gz\n\
                   method  crc     date  time           compressed        uncompressed  ratio uncompressed_name\n\
                   defla 4e1d3c3a Aug  9 10:01                 104                 227  66.1% a\n\
                   defla 4e1d3c3a Aug\n$ ";
        let listing = Gunzip::new(["a.gz"]).options("-vl").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(listing, [out.as_bytes()]).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["RESULT"][0]["date"], "Aug 9", "{json}");
        assert_eq!(json["RESULT"][0]["uncompressed_name"], "a");
        assert_eq!(r.result.len(), 1, "only the first line under the header is its row");
        // A row cut after the date's first word (a read, a narrow terminal): no day to join.
        let cut = "gunzip -vl a.gz\n\
                   method  crc     date  time           compressed        uncompressed  ratio uncompressed_name\n\
                   defla 4e1d3c3a Aug\n$ ";
        let listing = Gunzip::new(["a.gz"]).options("-vl").command_with_prompt(r"^\$ $");
        let r = crate::offline::parse(listing, [cut.as_bytes()]).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap()["RESULT"][0]["date"], "Aug");
    }

    #[test]
    fn overwrite_answers_gzip_s_question_yes() {
        let mut conn = moler_core::Connection::new("t");
        let t = std::time::Instant::now();
        let unzip = Gunzip::new(["a.gz"]).overwrite(true).command_with_prompt(r"^\$ $");
        let done = conn.start(unzip, t);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"gunzip a.gz\ngzip: a already exists; do you wish to overwrite (y or n)? ",
            t,
        );
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"y\n");
        conn.handle_input(b"\n$ ", t);
        assert!(done.try_result().unwrap().is_ok());
    }
}
