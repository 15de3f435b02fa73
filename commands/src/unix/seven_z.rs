//! `7z`: [`SevenZ`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, required, Words};
use super::unrar::ReplaceAllParser;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `7z options archive_file [files]` (Moler's name `7z`); result `{"files": [...], "details":
/// [...]}` for a listing (`l`), else `{}`. Asked whether to replace a file, it answers `a`
/// (always).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SevenZ {
    /// `a`, `e`, `x`, `l`…
    pub options: String,
    /// The archive.
    pub archive_file: String,
    /// The files: one string as it is or a list.
    pub files: Option<Words>,
}
builder!(SevenZ { options: String, archive_file: String });

impl SevenZ {
    /// Sets `files`.
    pub fn files(mut self, files: impl Into<Words>) -> Self {
        self.files = Some(files.into());
        self
    }
}

/// Result of [`SevenZ`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SevenZResult {
    /// The names a listing shows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub files: Option<Vec<String>>,
    /// One entry per file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub details: Option<Vec<SevenZEntry>>,
}

/// A file of a `7z l` listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SevenZEntry {
    /// `2024-07-24`.
    pub date: String,
    /// `13:17:27`.
    pub time: String,
    /// `....A`.
    pub attr: String,
    /// Size in bytes.
    pub size: u64,
    /// Compressed size in bytes.
    pub compressed: u64,
    /// The name.
    pub name: String,
}

/// The listing part of [`SevenZ`]'s parser.
#[derive(Debug)]
pub struct SevenZListing {
    row: Arc<Regex>,
    result: SevenZResult,
}

impl Parser for SevenZListing {
    type Output = SevenZResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.row.captures(line) {
            let entry = SevenZEntry {
                date: c[1].to_owned(),
                time: c[2].to_owned(),
                attr: c[3].to_owned(),
                size: c[4].parse()?,
                compressed: c[5].parse()?,
                name: c[6].to_owned(),
            };
            self.result.files.get_or_insert_with(Vec::new).push(entry.name.clone());
            self.result.details.get_or_insert_with(Vec::new).push(entry);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<SevenZResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(SevenZ, "7z", ReplaceAllParser<SevenZListing>,
    |s| ReplaceAllParser::new(
        r"\(Y\)es / \(N\)o / \(A\)lways / \(S\)kip all / A\(u\)to rename all / \(Q\)uit\?",
        SevenZListing {
            row: regex(r"^(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})\s+(\S+)\s+(\d+)\s+(\d+)\s+(.*)$"),
            result: SevenZResult::default(),
        },
    ),
    line: |s| {
        let mut line = "7z".to_owned();
        push_opt(&mut line, Some(required("options", &s.options)?));
        push_opt(&mut line, Some(required("archive_file", &s.archive_file)?));
        push_opt(&mut line, s.files.as_ref().map(Words::joined).as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r": No more files|ERROR:").ret_required(false));
