//! `get_manufacturer_id`: [`GetManufacturerId`], its result and its parser.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, ValueParser};

/// `AT+CGMI`: the manufacturer; result `{"manufacturer": "QUALCOMM INCORPORATED"}`. The
/// answer's first line ends the command (modems need not end it with `OK`; one that does
/// leaves its `OK` before the next command's echo, where it is ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetManufacturerId {}

impl GetManufacturerId {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`GetManufacturerId`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetManufacturerIdResult {
    /// The first non-blank line after the echo.
    pub manufacturer: String,
}

/// Parser of [`GetManufacturerId`].
pub type GetManufacturerIdParser = ValueParser<GetManufacturerIdResult>;

at_command!(GetManufacturerId, "get_manufacturer_id", GetManufacturerIdParser,
    |s| ValueParser::new(r"^\s*(?P<manufacturer>\S.*)$", "manufacturer",
        |manufacturer| GetManufacturerIdResult { manufacturer }).ending(true),
    line: |l| Ok("AT+CGMI".to_owned()));
