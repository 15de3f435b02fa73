//! `mount`: [`Mount`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `mount [options] [device] [directory]`: lists the mounts, or mounts `device` on
/// `directory`. Result: the lines (`RESULT`) and each `spec on file type vfstype (options)`
/// line by mount point (`ON`).
///
/// ```
/// use moler_commands::{offline, unix::Mount, UnixCommand};
///
/// let out = "mount -t proc\nproc on /proc type proc (rw,nosuid)\n$ ";
/// let r = offline::parse(Mount::new().options("-t proc").command_with_prompt(r"^\$ $"), [out.as_bytes()]);
/// assert_eq!(r.unwrap().on["/proc"].fs_mntopts, "rw,nosuid");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// `-t tmpfs`, `-o loop`, `-B`…
    pub options: Option<String>,
    /// What to mount.
    pub device: Option<String>,
    /// Where.
    pub directory: Option<String>,
}
builder!(Mount {}, options, device, directory);

/// One mount of [`Mount`]'s list (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MountPoint {
    #[serde(rename = "FS_SPEC")]
    pub fs_spec: String,
    #[serde(rename = "FS_FILE")]
    pub fs_file: String,
    #[serde(rename = "FS_VFSTYPE")]
    pub fs_vfstype: String,
    #[serde(rename = "FS_MNTOPTS")]
    pub fs_mntopts: String,
}

/// Result of [`Mount`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountResult {
    /// Every output line.
    #[serde(rename = "RESULT")]
    pub lines: Vec<String>,
    /// The mounts by mount point.
    #[serde(rename = "ON")]
    pub on: BTreeMap<String, MountPoint>,
}

/// Parser of [`Mount`].
#[derive(Debug)]
pub struct MountParser {
    on: Arc<Regex>,
    result: MountResult,
}

impl Parser for MountParser {
    type Output = MountResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        self.result.lines.push(line.to_owned());
        if let Some(c) = self.on.captures(line) {
            let point = MountPoint {
                fs_spec: c[1].to_owned(),
                fs_file: c[2].to_owned(),
                fs_vfstype: c[3].to_owned(),
                fs_mntopts: c[4].to_owned(),
            };
            self.result.on.insert(point.fs_file.clone(), point);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<MountResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Mount, "mount", MountParser,
    |s| MountParser {
        on: regex(r"(?i)(\S+)\s+on\s+(\S+)\s+type\s+(\S+)\s+\((.*)\)"),
        result: MountResult::default(),
    },
    line: |s| {
        let mut line = "mount".to_owned();
        push_opt(&mut line, s.options.as_deref());
        push_opt(&mut line, s.device.as_deref());
        push_opt(&mut line, s.directory.as_deref());
        Ok(line)
    },
    setup: |c| c.failure(r"(?i)mount:\s"));
