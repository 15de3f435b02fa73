//! `w`: [`W`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::{regex, words};
use crate::spec::{builder, unix_command, UnixCommand};

/// `w [options]`; result `{"GENERAL_INFO": {...}, "RESULT": [...]}`: the summary line, and a
/// mapping per session by the header's names (`WHAT` takes the rest of the line), or the
/// version line of `-V`. `-h` (no header) is left out of the options, as Moler does: the
/// header names the columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct W {
    /// `-s`, `-f`, `-V`…
    pub options: Option<String>,
}
builder!(W {}, options);

/// Result of [`W`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WResult {
    /// The summary line (empty when absent).
    #[serde(rename = "GENERAL_INFO")]
    pub general_info: WGeneralInfo,
    /// The sessions, or the version line.
    #[serde(rename = "RESULT")]
    pub result: Vec<WLine>,
}

/// The summary line of [`W`] (Moler's keys); all absent without one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WGeneralInfo {
    /// `14:40:19`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time: Option<String>,
    /// `7:12`, `3 days,  2:03`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uptime: Option<String>,
    /// Logged-in users, as printed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_number: Option<String>,
    /// `0.50, 0.33, 0.14`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub load_average: Option<String>,
}

/// An entry of [`WResult::result`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WLine {
    /// A session by column (`USER`, `TTY`, `FROM`, `LOGIN@`, `IDLE`, `JCPU`, `PCPU`, `WHAT`).
    Session(BTreeMap<String, String>),
    /// The version line of `-V`.
    Text(String),
}

/// Parser of [`W`].
#[derive(Debug)]
pub struct WParser {
    general: Arc<Regex>,
    headers: Vec<String>,
    result: WResult,
}

impl Parser for WParser {
    type Output = WResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || line.trim().is_empty() {
            return Ok(());
        }
        if let Some(at) = line.find("w from") {
            self.result.result.push(WLine::Text(line[at..].to_owned()));
        } else if let Some(c) = self.general.captures(line) {
            self.result.general_info = WGeneralInfo {
                time: Some(c[1].to_owned()),
                uptime: Some(c[2].to_owned()),
                user_number: Some(c[3].to_owned()),
                load_average: Some(c[4].to_owned()),
            };
        } else if self.headers.is_empty() {
            self.headers = line.split_whitespace().map(str::to_owned).collect();
        } else {
            let values: Vec<(usize, &str)> = words(line).collect();
            let last = self.headers.len() - 1;
            let mut session = BTreeMap::new();
            for (i, header) in self.headers.iter().enumerate() {
                let Some(&(at, value)) = values.get(i) else { break };
                // The command (`WHAT`) holds blanks: the rest of the line.
                let value = if i == last { line[at..].trim_end() } else { value };
                session.insert(header.clone(), value.to_owned());
            }
            self.result.result.push(WLine::Session(session));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<WResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

/// The options without `-h`: a lone `-h` goes, an `h` in a cluster of short options (`-sh`)
/// too.
fn without_h(options: &str) -> String {
    options
        .split_whitespace()
        .filter_map(|word| match word {
            "-h" | "--no-header" => None,
            w if w.starts_with('-') && !w.starts_with("--") => {
                let rest = w.replace('h', "");
                (rest != "-").then_some(rest)
            }
            w => Some(w.to_owned()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

unix_command!(W, "w", WParser,
    |s| WParser {
        // Moler's summary regex wants `users`: one logged-in user prints `1 user`.
        general: regex(
            r"(\d{2}:\d{2}:\d{2})\s*up\s*(.*),\s*(\d*)\s*users?,\s*load\s*average:\s(\S*,\s*\S*,\s*\S*)",
        ),
        headers: Vec::new(),
        result: WResult::default(),
    },
    line: |s| {
        let options = without_h(s.options.as_deref().unwrap_or(""));
        Ok(if options.is_empty() { "w".to_owned() } else { format!("w {options}") })
    },
    setup: |c| c.ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn the_options_are_sent_without_h() {
        // Moler sends a bare `w` for any options without an `h` (`-s`, `-V`): here they are kept.
        let line = |o: &str| W::new().options(o).command_line().unwrap();
        assert_eq!(line("-h"), "w");
        assert_eq!(line("-sh"), "w -s");
        assert_eq!(line("-s"), "w -s");
        assert_eq!(line("-V"), "w -V");
        // A long option and a user name keep their h.
        assert_eq!(line("--short -h harry"), "w --short harry");
        assert_eq!(W::new().command_line().unwrap(), "w");
    }

    #[test]
    fn one_user_is_a_summary_too() {
        let out = "w\n 07:50:01 up 1 day,  2:03,  1 user,  load average: 0.00, 0.01, 0.00\nUSER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n$ ";
        let r = offline::parse(W::new().command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap();
        assert_eq!(r.general_info.user_number.as_deref(), Some("1"));
        assert_eq!(r.general_info.uptime.as_deref(), Some("1 day,  2:03"));
        assert!(r.result.is_empty());
    }
}
