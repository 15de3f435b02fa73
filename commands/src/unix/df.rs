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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    fn df(options: Option<&str>, output: &str) -> moler_core::Result<DfResult> {
        let df = Df { options: options.map(str::to_owned) };
        offline::parse(df.build(Some(r"^\$ $")), [output.as_bytes()])
    }

    /// Without options it asks for Moler's `-BM -T -P` (sizes in MiB, the type, one line per
    /// file system), and the `M` of those sizes is dropped.
    #[test]
    fn by_default_sizes_in_mib_with_the_type_one_line_each() {
        assert_eq!(Df::new().command_line().unwrap(), "df -BM -T -P");
        assert_eq!(Df::new().options("-h").command_line().unwrap(), "df -h");
        let out =
            "df -BM -T -P\nFilesystem     Type 1M-blocks  Used Available Capacity Mounted on\n\
                   /dev/vda       ext4    16000M 8000M     7200M      53% /\n$ ";
        let r = df(None, out).unwrap();
        let root = &r.by_mountpoint["/"];
        assert_eq!((root["Size"].as_str(), root["Used"].as_str()), ("16000", "8000"));
        assert_eq!((root["Avail"].as_str(), root["Use_percentage"].as_str()), ("7200", "53"));
        assert_eq!((root["Type"].as_str(), root["Filesystem"].as_str()), ("ext4", "/dev/vda"));
    }

    /// `df -i`: the inode columns under their own names, the mount point the rest of the line.
    #[test]
    fn inodes_have_columns_of_their_own() {
        let out = "df -i\nFilesystem                Inodes  IUsed    IFree IUse% Mounted on\n\
                   /dev/vda                16777216 446630 16330586    3% /\n\
                   tmpfs                    3085471      1  3085470    1% /mnt/my disk\n$ ";
        let r = df(Some("-i"), out).unwrap();
        let root = &r.by_fs["/dev/vda"];
        let row: Vec<(&str, &str)> = root.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            row,
            [
                ("Filesystem", "/dev/vda"),
                ("IFree", "16330586"),
                ("IUse_percentage", "3"),
                ("IUsed", "446630"),
                ("Inodes", "16777216"),
                ("Mounted_on", "/"),
            ]
        );
        assert_eq!(r.by_mountpoint["/mnt/my disk"]["Filesystem"], "tmpfs");
    }

    /// Moler's `ret_required`: a prompt before any header is no result (the command waits),
    /// and a header it does not know is an error naming the column.
    #[test]
    fn no_header_is_no_result_and_an_unknown_column_is_named() {
        let err = df(None, "df -BM -T -P\n$ ").unwrap_err().to_string();
        assert!(err.contains("the output gave the command no result"), "{err}");
        let err = df(Some("-x"), "df -x\nFilesystem Frobs Mounted on\n$ ").unwrap_err().to_string();
        assert!(err.contains("unknown df column \"Frobs\""), "{err}");
    }
}
