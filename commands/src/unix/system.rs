//! The system and the user: env, export, id, which, kill, date.

use std::collections::BTreeMap;

use moler_core::{Command, Context, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::basic::own_errors;
use super::parse::{regex, required};
use crate::spec::{builder, push_opt, UnixCommand};

/// Variables as `NAME → value`, from `NAME=value` (env) or `declare -x NAME="value"` (export).
#[derive(Debug)]
pub struct Variables {
    line: Regex,
    vars: BTreeMap<String, String>,
}

impl Parser for Variables {
    type Output = BTreeMap<String, String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if !partial {
            if let Some(c) = self.line.captures(line) {
                self.vars.insert(c[1].to_owned(), c[2].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<Self::Output, String> {
        Ok(std::mem::take(&mut self.vars))
    }
}

/// `env`; result `{NAME: value}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Env {}
builder!(Env {});

impl UnixCommand for Env {
    const NAME: &'static str = "env";
    type Parser = Variables;
    type Output = BTreeMap<String, String>;
    fn command_line(&self) -> Result<String, String> {
        Ok("env".into())
    }
    fn parser(&self) -> Variables {
        Variables { line: regex(r"^([^=\s]+)=(.*)$"), vars: BTreeMap::new() }
    }
    fn setup(&self, command: Command<Variables>) -> Command<Variables> {
        own_errors(command, "env")
    }
}

/// `export`, `export PS1=<ps1_param>` or `export <set_param>`; result: the exported variables
/// (`{}` when setting one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// The new PS1 (with its quotes): `export PS1=…`.
    pub ps1_param: Option<String>,
    /// `NAME=value` to export.
    pub set_param: Option<String>,
}
builder!(Export {}, ps1_param, set_param);

impl UnixCommand for Export {
    const NAME: &'static str = "export";
    type Parser = Variables;
    type Output = BTreeMap<String, String>;
    fn command_line(&self) -> Result<String, String> {
        Ok(match (&self.ps1_param, &self.set_param) {
            (Some(_), Some(_)) => return Err("give `ps1_param` or `set_param`, not both".into()),
            (Some(ps1), None) => format!("export PS1={ps1}"),
            (None, Some(set)) => format!("export {set}"),
            (None, None) => "export".into(),
        })
    }
    fn parser(&self) -> Variables {
        Variables { line: regex(r#"^declare -x ([^=\s]+)="(.*)"$"#), vars: BTreeMap::new() }
    }
    fn setup(&self, command: Command<Variables>) -> Command<Variables> {
        own_errors(command, "-?bash: export").ret_required(false)
    }
}

/// `id [user]`; result `{"UID": [{"ID", "NAME"}], "GID": […], "GROUPS": […]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Id {
    /// The user (none: the current one).
    pub user: Option<String>,
}
builder!(Id {}, user);

/// One id and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdName {
    /// The number.
    #[serde(rename = "ID")]
    pub id: u64,
    /// The name.
    #[serde(rename = "NAME")]
    pub name: String,
}

/// Result of [`Id`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdResult {
    /// The user.
    #[serde(rename = "UID")]
    pub uid: Vec<IdName>,
    /// The primary group.
    #[serde(rename = "GID")]
    pub gid: Vec<IdName>,
    /// All groups.
    #[serde(rename = "GROUPS")]
    pub groups: Vec<IdName>,
}

/// Parser of [`Id`].
#[derive(Debug)]
pub struct IdParser {
    pair: Regex,
    result: Option<IdResult>,
}

impl Parser for IdParser {
    type Output = IdResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial || !line.starts_with("uid=") {
            return Ok(());
        }
        let mut result = IdResult::default();
        for part in line.split_whitespace() {
            let Some((key, values)) = part.split_once('=') else { continue };
            let list = match key {
                "uid" => &mut result.uid,
                "gid" => &mut result.gid,
                "groups" => &mut result.groups,
                _ => continue,
            };
            for c in self.pair.captures_iter(values) {
                let id = c[1].parse().map_err(|e| format!("id {:?}: {e}", &c[1]))?;
                list.push(IdName { id, name: c[2].to_owned() });
            }
        }
        self.result = Some(result);
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn finish(&mut self) -> Result<IdResult, String> {
        self.result.take().ok_or_else(|| "no `uid=` line in the output".into())
    }
}

impl UnixCommand for Id {
    const NAME: &'static str = "id";
    type Parser = IdParser;
    type Output = IdResult;
    fn command_line(&self) -> Result<String, String> {
        let mut line = "id".to_owned();
        push_opt(&mut line, self.user.as_deref());
        Ok(line)
    }
    fn parser(&self) -> IdParser {
        IdParser { pair: regex(r"(\d+)\(([^)]*)\)"), result: None }
    }
    fn setup(&self, command: Command<IdParser>) -> Command<IdParser> {
        own_errors(command, "id")
    }
}

/// `which [-a] names…`; result `{name: [paths]}` (an empty list for a name not found).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Which {
    /// The programs to look for.
    pub names: Vec<String>,
    /// Every match in PATH, not only the first (`-a`).
    #[serde(default)]
    pub show_all: bool,
}

impl Which {
    /// Looks for these programs.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self { names: names.into_iter().map(Into::into).collect(), show_all: false }
    }
    /// Every match, not only the first.
    pub fn show_all(mut self, on: bool) -> Self {
        self.show_all = on;
        self
    }
}

/// Parser of [`Which`].
#[derive(Debug)]
pub struct WhichParser {
    found: BTreeMap<String, Vec<String>>,
}

impl Parser for WhichParser {
    type Output = BTreeMap<String, Vec<String>>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        let line = line.trim();
        if partial || !line.starts_with('/') {
            return Ok(());
        }
        let base = line.rsplit('/').next().unwrap_or(line);
        if let Some(paths) = self.found.get_mut(base) {
            paths.push(line.to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<Self::Output, String> {
        Ok(std::mem::take(&mut self.found))
    }
}

impl UnixCommand for Which {
    const NAME: &'static str = "which";
    type Parser = WhichParser;
    type Output = BTreeMap<String, Vec<String>>;
    fn command_line(&self) -> Result<String, String> {
        if self.names.is_empty() {
            return Err("parameter `names` needs at least one name".into());
        }
        let all = if self.show_all { " -a" } else { "" };
        Ok(format!("which{all} {}", self.names.join(" ")))
    }
    fn parser(&self) -> WhichParser {
        WhichParser { found: self.names.iter().map(|n| (n.clone(), Vec::new())).collect() }
    }
    fn setup(&self, command: Command<WhichParser>) -> Command<WhichParser> {
        own_errors(command, "which").ret_required(false)
    }
}

/// `kill [options] pid`; result `{}`, or `{"Pid": pid}` when there is no such process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kill {
    /// The process id (or `%job`).
    pub pid: String,
    /// `-9`, `-s TERM`…
    pub options: Option<String>,
}
builder!(Kill { pid: String }, options);

/// Result of [`Kill`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillResult {
    /// The pid reported as not existing.
    #[serde(rename = "Pid", skip_serializing_if = "Option::is_none", default)]
    pub no_such_process: Option<String>,
}

/// Parser of [`Kill`].
#[derive(Debug)]
pub struct KillParser {
    no_such: Regex,
    result: KillResult,
}

impl Parser for KillParser {
    type Output = KillResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if !partial {
            if let Some(c) = self.no_such.captures(line) {
                self.result.no_such_process = Some(c[1].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<KillResult, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Kill {
    const NAME: &'static str = "kill";
    type Parser = KillParser;
    type Output = KillResult;
    fn command_line(&self) -> Result<String, String> {
        let pid = required("pid", &self.pid)?;
        let mut line = "kill".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(format!("{line} {pid}"))
    }
    fn parser(&self) -> KillParser {
        KillParser {
            no_such: regex(r"kill: \(?(\S+?)\)?[: -]+No such process"),
            result: KillResult::default(),
        }
    }
    fn setup(&self, command: Command<KillParser>) -> Command<KillParser> {
        command
            .no_default_failures()
            .failure(r"kill: .*(Operation not permitted|invalid)")
            .ret_required(false)
    }
}

/// `date` (with Moler's format string) or `date <options>`; the result describes the date
/// when the default format is used, else `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Date {
    /// Options instead of the default format (`-s "2021-01-01 00:00"`).
    pub options: Option<String>,
}
builder!(Date {}, options);

/// The format Moler's `date` prints, one field per line.
const DATE_FORMAT: &str = "'+DATE:%t%t%d-%m-%Y%nTIME:%t%t%H:%M:%S%nZONE:%t%t%z %Z%nEPOCH:%t%t%s%nWEEK_NUMBER:%t%-V%nDAY_OF_YEAR:%t%-j%nDAY_OF_WEEK:%t%u (%A)%nMONTH:%t%t%-m (%B)'";

/// Result of [`Date`]: every field is there for the default format (Moler's keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DateResult {
    #[serde(rename = "DATE", skip_serializing_if = "Option::is_none", default)]
    pub date: Option<BTreeMap<String, String>>,
    #[serde(rename = "TIME", skip_serializing_if = "Option::is_none", default)]
    pub time: Option<BTreeMap<String, String>>,
    #[serde(rename = "ZONE", skip_serializing_if = "Option::is_none", default)]
    pub zone: Option<BTreeMap<String, String>>,
    #[serde(rename = "EPOCH", skip_serializing_if = "Option::is_none", default)]
    pub epoch: Option<i64>,
    #[serde(rename = "WEEK_NUMBER", skip_serializing_if = "Option::is_none", default)]
    pub week_number: Option<u32>,
    #[serde(rename = "DAY_OF_YEAR", skip_serializing_if = "Option::is_none", default)]
    pub day_of_year: Option<u32>,
    #[serde(rename = "DAY_OF_MONTH", skip_serializing_if = "Option::is_none", default)]
    pub day_of_month: Option<u32>,
    #[serde(rename = "DAY_OF_WEEK", skip_serializing_if = "Option::is_none", default)]
    pub day_of_week: Option<u32>,
    #[serde(rename = "DAY_NAME", skip_serializing_if = "Option::is_none", default)]
    pub day_name: Option<String>,
    #[serde(rename = "MONTH_NUMBER", skip_serializing_if = "Option::is_none", default)]
    pub month_number: Option<u32>,
    #[serde(rename = "MONTH_NAME", skip_serializing_if = "Option::is_none", default)]
    pub month_name: Option<String>,
}

/// Parser of [`Date`].
#[derive(Debug)]
pub struct DateParser {
    date: Regex,
    time: Regex,
    zone: Regex,
    named: Regex,
    result: DateResult,
}

fn groups(re: &Regex, text: &str, names: &[&str]) -> Option<BTreeMap<String, String>> {
    let c = re.captures(text)?;
    Some(names.iter().map(|n| (n.to_string(), c[*n].to_owned())).collect())
}

impl Parser for DateParser {
    type Output = DateResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial {
            return Ok(());
        }
        let Some((key, value)) = line.split_once(':') else { return Ok(()) };
        let value = value.trim();
        let int = |v: &str| v.parse::<u32>().map_err(|e| format!("date {key}: {v:?}: {e}"));
        let r = &mut self.result;
        match key {
            "DATE" => {
                r.date = groups(&self.date, value, &["FULL", "DAY", "MONTH", "YEAR"]);
                if let Some(d) = &r.date {
                    r.day_of_month = Some(int(&d["DAY"])?);
                }
            }
            "TIME" => r.time = groups(&self.time, value, &["FULL", "HOUR", "MINUTE", "SECOND"]),
            "ZONE" => {
                r.zone = groups(&self.zone, value, &["FULL", "SIGN", "HOUR", "MINUTE", "NAME"])
            }
            "EPOCH" => r.epoch = Some(value.parse().map_err(|e| format!("date EPOCH: {e}"))?),
            "WEEK_NUMBER" => r.week_number = Some(int(value)?),
            "DAY_OF_YEAR" => r.day_of_year = Some(int(value)?),
            "DAY_OF_WEEK" | "MONTH" => {
                let c = self.named.captures(value).ok_or(format!("date {key}: {value:?}"))?;
                let (n, name) = (int(&c[1])?, c[2].to_owned());
                if key == "MONTH" {
                    (r.month_number, r.month_name) = (Some(n), Some(name));
                } else {
                    (r.day_of_week, r.day_name) = (Some(n), Some(name));
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<DateResult, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Date {
    const NAME: &'static str = "date";
    type Parser = DateParser;
    type Output = DateResult;
    fn command_line(&self) -> Result<String, String> {
        Ok(format!("date {}", self.options.as_deref().unwrap_or(DATE_FORMAT)))
    }
    fn parser(&self) -> DateParser {
        DateParser {
            date: regex(r"^(?P<FULL>(?P<DAY>\d+)-(?P<MONTH>\d+)-(?P<YEAR>\d+))$"),
            time: regex(r"^(?P<FULL>(?P<HOUR>\d+):(?P<MINUTE>\d+):(?P<SECOND>\d+))$"),
            zone: regex(
                r"^(?P<FULL>(?P<SIGN>[-+])(?P<HOUR>\d\d)(?P<MINUTE>\d\d)\s+(?P<NAME>\S+))$",
            ),
            named: regex(r"^(\d+)\s+\((\w+)\)$"),
            result: DateResult::default(),
        }
    }
    fn setup(&self, command: Command<DateParser>) -> Command<DateParser> {
        own_errors(command, "date").ret_required(false)
    }
}
