//! `fibocom_get_cell_info`: [`FibocomGetCellInfo`], its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::generic::{at_command, regex};

/// `AT+GTCCINFO?` (Fibocom): the cells the modem sees; result [`FibocomCellInfo`]: the cell
/// lines (`raw_output`) and each cell with its values named for its technology (UMTS, LTE,
/// NR, LTE-NR EN-DC) and role (service or neighbor cell). Numbers are numbers, except the
/// identifiers kept as text (`mcc`, `mnc`, `cell_id`, `lac`, `tac`, the ARFCNs).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FibocomGetCellInfo {}

impl FibocomGetCellInfo {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Result of [`FibocomGetCellInfo`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FibocomCellInfo {
    /// The headers (`LTE service cell:`) and cell lines, each ending with a line end (the
    /// line of "no cell" alone, without one, as Moler gives it).
    pub raw_output: String,
    /// One mapping per cell line: name → number or text; `technology` when a header said it.
    pub cells: Vec<BTreeMap<String, Value>>,
}

/// Parser of [`FibocomGetCellInfo`].
#[derive(Debug, Default)]
pub struct FibocomGetCellInfoParser {
    result: FibocomCellInfo,
    technology: Option<String>,
    service: bool,
    /// LTE-NR EN-DC service cells come in pairs: the LTE primary, then the NR secondary.
    en_dc_secondary: bool,
}

const UMTS_SERVICE: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "lac",
    "cell_id",
    "uarfcn",
    "psc",
    "band",
    "ecno",
    "rscp",
    "rac",
    "rxlev",
    "reserved",
    "ec_io_lev",
];
const UMTS_NEIGHBOR: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "lac",
    "cell_id",
    "uarfcn",
    "psc",
    "cell_type",
    "rank_pos",
    "ranking_status",
    "ecno",
    "pathloss",
    "rxlev",
    "rscp",
];
const LTE_SERVICE: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "tac",
    "cell_id",
    "earfcn",
    "physicalcell_id",
    "band",
    "bandwidth",
    "rssnr_value",
    "rxlev",
    "rsrp",
    "rsrq",
];
const LTE_NEIGHBOR: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "tac",
    "cell_id",
    "earfcn",
    "physicalcell_id",
    "bandwidth",
    "rxlev",
    "rsrp",
    "rsrq",
];
const NR_SERVICE: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "tac",
    "cell_id",
    "narfcn",
    "physicalcell_id",
    "band",
    "bandwidth",
    "ss-sinr",
    "rxlev",
    "ss_rsrp",
    "ss_rsrq",
];
const NR_NEIGHBOR: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "tac",
    "cell_id",
    "narfcn",
    "physicalcell_id",
    "ss-sinr",
    "rxlev",
    "ss_rsrp",
    "ss_rsrq",
];
/// No cell, or a technology without its own names: what every technology has (a value under
/// each of the names of its position).
const ANY: &[&str] = &[
    "is_service_cell",
    "rat",
    "mcc",
    "mnc",
    "tac|lac",
    "cell_id",
    "uarfcn|earfcn|narfcn",
    "physicalcell_id|psc",
];
/// Kept as text even when all digits.
const TEXT_KEYS: &[&str] = &["mcc", "mnc", "cell_id", "uarfcn", "earfcn", "narfcn", "lac", "tac"];

impl FibocomGetCellInfoParser {
    fn keys(&mut self) -> &'static [&'static str] {
        match (self.technology.as_deref(), self.service) {
            (Some("UMTS"), true) => UMTS_SERVICE,
            (Some("UMTS"), false) => UMTS_NEIGHBOR,
            (Some("LTE"), true) => LTE_SERVICE,
            (Some("LTE"), false) => LTE_NEIGHBOR,
            (Some("NR"), true) => NR_SERVICE,
            (Some("NR"), false) => NR_NEIGHBOR,
            (Some("LTE-NR EN-DC"), true) => {
                let secondary = self.en_dc_secondary;
                self.en_dc_secondary = !secondary;
                if secondary {
                    NR_SERVICE
                } else {
                    LTE_SERVICE
                }
            }
            _ => ANY,
        }
    }

    fn cell(raw: &str, keys: &[&str]) -> BTreeMap<String, Value> {
        let mut cell = BTreeMap::new();
        for (index, item) in raw.split(',').enumerate() {
            if item.is_empty() {
                continue;
            }
            let Some(names) = keys.get(index) else { break };
            let item = item.trim_matches('"');
            let names: Vec<&str> = names.split('|').collect();
            let digits = !item.is_empty() && item.chars().all(|c| c.is_ascii_digit());
            let value = match item.parse::<i64>() {
                Ok(n) if digits && !names.iter().any(|n| TEXT_KEYS.contains(n)) => Value::from(n),
                _ => Value::from(item),
            };
            for name in names {
                cell.insert(name.to_owned(), value.clone());
            }
        }
        cell
    }
}

impl Parser for FibocomGetCellInfoParser {
    type Output = FibocomCellInfo;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let cell_line = regex(r"^\s*(?P<raw_output>([\d\w.\-+]*,){10,}[\d\w.\-+]*)\s*$");
        let header = regex(
            r"^\s*(?P<technology>[\dA-Za-z\-\s]{2,})\s+(?P<detected_as>service|neighbor)\s+cell\s*:\s*$",
        );
        if let Some(c) = cell_line.captures(line) {
            let raw = &c["raw_output"];
            let keys = self.keys();
            let mut cell = Self::cell(raw, keys);
            match &self.technology {
                None => self.result.raw_output.push_str(raw),
                Some(t) => {
                    self.result.raw_output.push_str(raw);
                    self.result.raw_output.push('\n');
                    cell.insert("technology".to_owned(), Value::from(t.as_str()));
                }
            }
            self.result.cells.push(cell);
        } else if let Some(c) = header.captures(line) {
            self.technology = Some(c["technology"].to_owned());
            self.service = &c["detected_as"] == "service";
            self.result.raw_output.push_str(line);
            self.result.raw_output.push('\n');
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<FibocomCellInfo> {
        Ok(std::mem::take(&mut self.result))
    }
}

at_command!(FibocomGetCellInfo, "fibocom_get_cell_info", FibocomGetCellInfoParser,
    |s| FibocomGetCellInfoParser::default(), line: |l| Ok("AT+GTCCINFO?".to_owned()));
