//! `df`: [`Df`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, words};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `df [options]` (default `-BM -T -P`); result `{"by_FS": {fs: row}, "by_MOUNTPOINT": {mount:
/// row}}`, each row keyed by Moler's column names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Df {
    /// Options instead of `-BM -T -P`.
    pub options: Option<String>,
}
builder!(Df {}, options);

/// Result of [`Df`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DfResult {
    /// Rows by file system (the last row wins for a repeated name such as `none`).
    #[serde(rename = "by_FS")]
    pub by_fs: BTreeMap<String, BTreeMap<String, String>>,
    /// Rows by mount point.
    #[serde(rename = "by_MOUNTPOINT")]
    pub by_mountpoint: BTreeMap<String, BTreeMap<String, String>>,
}

/// Parser of [`Df`].
#[derive(Debug, Default)]
pub struct DfParser {
    columns: Vec<&'static str>,
    result: DfResult,
}

fn df_column(header: &str) -> Option<&'static str> {
    Some(match header {
        "Filesystem" => "Filesystem",
        "Type" => "Type",
        "Size" => "Size",
        h if h.ends_with("-blocks") => "Size",
        "Used" => "Used",
        "Avail" | "Available" => "Avail",
        "Use%" | "Capacity" => "Use_percentage",
        "Mounted" => "Mounted_on",
        "Inodes" => "Inodes",
        "IUsed" => "IUsed",
        "IFree" => "IFree",
        "IUse%" => "IUse_percentage",
        _ => return None,
    })
}

impl Parser for DfParser {
    type Output = DfResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        if line.starts_with("Filesystem") {
            self.columns = line
                .split_whitespace()
                .filter(|h| *h != "on")
                .map(|h| df_column(h).ok_or_else(|| format!("unknown df column {h:?}")))
                .collect::<Result<_, _>>()?;
            return Ok(());
        }
        if self.columns.is_empty() {
            return Ok(());
        }
        let n = self.columns.len();
        let mut ws = words(line).collect::<Vec<_>>();
        if ws.len() < n {
            return Ok(()); // a long file system name wraps: df -P avoids it
        }
        // The mount point is the rest of the line (it may hold blanks).
        let mount_at = ws[n - 1].0;
        ws.truncate(n - 1);
        let mut row = BTreeMap::new();
        for (col, (_, value)) in self.columns.iter().zip(&ws) {
            let mut value = value.trim_end_matches('%');
            if let Some(digits) = value.strip_suffix('M') {
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    value = digits;
                }
            }
            row.insert(col.to_string(), value.to_owned());
        }
        row.insert(self.columns[n - 1].to_string(), line[mount_at..].trim_end().to_owned());
        let fs = row.get("Filesystem").cloned().unwrap_or_default();
        let mount = row.get("Mounted_on").cloned().unwrap_or_default();
        self.result.by_fs.insert(fs, row.clone());
        self.result.by_mountpoint.insert(mount, row);
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.columns.is_empty()
    }
    fn finish(&mut self) -> ParseResult<DfResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Df {
    const NAME: &'static str = "df";
    type Parser = DfParser;
    type Output = DfResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("df {}", self.options.as_deref().unwrap_or("-BM -T -P")))
    }
    fn parser(&self) -> DfParser {
        DfParser::default()
    }
    fn setup(&self, command: Command<DfParser>) -> Command<DfParser> {
        own_errors(command, "df")
    }
}
