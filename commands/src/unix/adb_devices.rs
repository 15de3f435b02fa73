//! `adb_devices`: [`AdbDevices`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `adb devices [options]`; result: the attached devices by serial number (Moler's
/// `{"DEVICES": {serial: {"NAME", "TYPE", "DETAILS"}}}`), `DETAILS` with `-l`.
///
/// ```
/// use moler_commands::{offline, unix::AdbDevices, UnixCommand};
///
/// let out = "adb devices\nList of devices attached\nemulator-5554 device\n$ ";
/// let found = offline::parse(AdbDevices::new().command_with_prompt(r"^\$ $"), [out.as_bytes()]);
/// assert_eq!(found.unwrap().devices["emulator-5554"].kind, "device");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdbDevices {
    /// `-l`…
    pub options: Option<String>,
}
builder!(AdbDevices {}, options);

/// One device of [`AdbDevices`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdbDevice {
    /// The serial number.
    #[serde(rename = "NAME")]
    pub name: String,
    /// `device`, `offline`, `unauthorized`…
    #[serde(rename = "TYPE")]
    pub kind: String,
    /// With `-l`: `raw` (the rest of the line) and each `key:value` of it.
    #[serde(rename = "DETAILS", skip_serializing_if = "Option::is_none", default)]
    pub details: Option<BTreeMap<String, String>>,
}

/// Result of [`AdbDevices`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdbDevicesResult {
    /// The devices by serial number.
    #[serde(rename = "DEVICES")]
    pub devices: BTreeMap<String, AdbDevice>,
}

/// Parser of [`AdbDevices`].
#[derive(Debug)]
pub struct AdbDevicesParser {
    device: Arc<Regex>,
    result: AdbDevicesResult,
}

impl Parser for AdbDevicesParser {
    type Output = AdbDevicesResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        // The header, and the adb server's own news (`* daemon started successfully`).
        if partial || line.trim_start().starts_with("List of devices") || line.starts_with('*') {
            return Ok(());
        }
        if let Some(c) = self.device.captures(line) {
            let details = c.name("raw").map(|raw| {
                let raw = raw.as_str();
                let mut details: BTreeMap<String, String> = raw
                    .split_whitespace()
                    .filter_map(|t| t.split_once(':'))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                details.insert("raw".into(), raw.to_owned());
                details
            });
            let name = c["name"].to_owned();
            let device = AdbDevice { name: name.clone(), kind: c["kind"].to_owned(), details };
            self.result.devices.insert(name, device);
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<AdbDevicesResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(AdbDevices, "adb_devices", AdbDevicesParser,
    |s| AdbDevicesParser {
        device: regex(r"(?P<name>\S+)\s+(?P<kind>\S+)(?:\s+(?P<raw>\S.*\S))?"),
        result: AdbDevicesResult::default(),
    },
    line: |s| {
        let mut line = "adb devices".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| c.ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn the_server_s_news_and_odd_details_are_no_devices() {
        let out = "adb devices -l\n* daemon not running; starting now at tcp:5037\n\
                   * daemon started successfully\nList of devices attached\n\
                   R58M device usb:1-1 odd model:SM_G\n$ ";
        let cmd = AdbDevices::new().options("-l").command_with_prompt(r"^\$ $");
        let r = offline::parse(cmd, [out.as_bytes()]).unwrap();
        assert_eq!(r.devices.len(), 1, "{r:?}");
        let details = r.devices["R58M"].details.as_ref().unwrap();
        assert_eq!((details["usb"].as_str(), details["model"].as_str()), ("1-1", "SM_G"));
        assert_eq!(details["raw"], "usb:1-1 odd model:SM_G");
    }
}
