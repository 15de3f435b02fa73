//! `u_boot_crtm`: the event [`UBootCrtm`] and its occurrence [`UBootCrtmSeen`].

use std::time::Instant;

use moler_core::{MatchMode, Result};
use serde::{Deserialize, Serialize};

use super::line_event::{wait4, Reading};
use super::records::serialize_opt_time;
use super::{till, Records, UnixEvent};

/// The lines read, in Moler's order: a line is the first of them it matches.
const LINES: [&str; 6] = [
    r"U-Boot CRTM.*$",
    r"\[CPLD\]\s*Version\s*=(?P<CPLD_version>.*)",
    r"Reset\s*Reason\s*[=:](?P<CPLD_reset_reason>.*)",
    r"\[CPLD\]\s*Board Id\s*=(?P<CPLD_board_id>.*)",
    r"\[CPLD\]\s*GPIR\s*=(?P<CPLD_gpir>.*)",
    r"\[CPLD\]\s*SJMPR\s*=(?P<CPLD_sjmpr>.*)",
];

/// `u_boot_crtm` (Moler's `UBootCrtm`): a boot through U-Boot CRTM with its CPLD registers.
/// An occurrence gathers the `[CPLD]` lines (whole lines) and ends with `SJMPR`; `time` is
/// when the `U-Boot CRTM` line came.
///
/// ```
/// use moler_commands::events::UBootCrtm;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let done = conn.start(UBootCrtm::default().event().unwrap(), Instant::now());
/// conn.handle_input(b"U-Boot CRTM 2013.01\n[CPLD] Version = 0x01.04\n[CPLD] SJMPR = 0x00\n", Instant::now());
/// let seen = &done.try_result().unwrap().unwrap()[0];
/// assert_eq!((seen.cpld_version.as_deref(), seen.cpld_sjmpr.as_deref()), (Some(" 0x01.04"), Some(" 0x00")));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UBootCrtm {
    /// How many boots end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

/// An occurrence of [`UBootCrtm`]: what was seen of it (Moler's keys, the text after `=`
/// as printed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct UBootCrtmSeen {
    /// When the `U-Boot CRTM` line came (none if it was not seen).
    #[serde(serialize_with = "serialize_opt_time", skip_serializing_if = "Option::is_none")]
    pub time: Option<Instant>,
    #[serde(rename = "CPLD_version", skip_serializing_if = "Option::is_none")]
    pub cpld_version: Option<String>,
    #[serde(rename = "CPLD_reset_reason", skip_serializing_if = "Option::is_none")]
    pub cpld_reset_reason: Option<String>,
    #[serde(rename = "CPLD_board_id", skip_serializing_if = "Option::is_none")]
    pub cpld_board_id: Option<String>,
    #[serde(rename = "CPLD_gpir", skip_serializing_if = "Option::is_none")]
    pub cpld_gpir: Option<String>,
    #[serde(rename = "CPLD_sjmpr", skip_serializing_if = "Option::is_none")]
    pub cpld_sjmpr: Option<String>,
}

impl UnixEvent for UBootCrtm {
    const NAME: &'static str = "u_boot_crtm";
    type Record = UBootCrtmSeen;
    fn event(&self) -> Result<Records<UBootCrtmSeen>> {
        let how = Reading { full_lines_only: true, strip_escape_codes: true };
        let inner = wait4(&LINES, MatchMode::Any, how)?;
        let mut seen = UBootCrtmSeen::default();
        Ok(Records::new(inner, till(self.till_occurs_times, 1)?, move |o| {
            let value = o.named_groups.into_values().next().flatten();
            match o.pattern {
                0 => seen.time = Some(o.time),
                1 => seen.cpld_version = value,
                2 => seen.cpld_reset_reason = value,
                3 => seen.cpld_board_id = value,
                4 => seen.cpld_gpir = value,
                _ => {
                    seen.cpld_sjmpr = value;
                    return Some(std::mem::take(&mut seen));
                }
            }
            None
        }))
    }
}
