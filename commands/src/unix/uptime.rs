//! `uptime`: [`Uptime`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::own_errors;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `uptime [options]`; result `{"UPTIME", "UPTIME_SECONDS", "USERS"}`, or with `-s`
/// `{"date", "time"}`. With `-p` (`up 1 week, 2 hours, 3 minutes`) the uptime is that text,
/// with no users (`USERS` null).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uptime {
    /// `-s`, `-p`…
    pub options: Option<String>,
}
builder!(Uptime {}, options);

/// Result of [`Uptime`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UptimeResult {
    /// The usual line.
    Up {
        /// As printed (`3 days  2:14`).
        #[serde(rename = "UPTIME")]
        uptime: String,
        /// In seconds.
        #[serde(rename = "UPTIME_SECONDS")]
        seconds: u64,
        /// Logged-in users (`None` when not shown).
        #[serde(rename = "USERS")]
        users: Option<u64>,
    },
    /// `uptime -s`: up since.
    Since {
        /// `2018-11-06`.
        date: String,
        /// `13:41:00`.
        time: String,
    },
}

/// Seconds of an uptime text: `3 days  2:14`, `2 days, 4 minutes`, `18 min`, `137 day(s),
/// 19:07`, `2 hrs`, `1 week`.
fn uptime_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number: Option<u64> = None;
    for word in text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
        if let Some((h, m)) = word.split_once(':') {
            total += h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
            continue;
        }
        if let Ok(n) = word.parse() {
            number = Some(n);
            continue;
        }
        let n = number.take()?;
        let unit = match word.trim_end_matches("(s)").trim_end_matches('s') {
            "week" => 604_800,
            "day" => 86_400,
            "hour" | "hr" | "h" => 3600,
            "minute" | "min" | "m" => 60,
            "second" | "sec" => 1,
            _ => return None,
        };
        total += n * unit;
    }
    number.is_none().then_some(total)
}

/// Parser of [`Uptime`].
#[derive(Debug, Default)]
pub struct UptimeParser(Option<UptimeResult>);

impl Parser for UptimeParser {
    type Output = UptimeResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || self.0.is_some() {
            return Ok(());
        }
        let t = line.trim();
        if let Some(pretty) = t.strip_prefix("up ") {
            // `uptime -p`.
            let uptime = pretty.trim().to_owned();
            let seconds = uptime_seconds(&uptime).ok_or_else(|| format!("uptime {uptime:?}"))?;
            self.0 = Some(UptimeResult::Up { uptime, seconds, users: None });
        } else if let Some((_, after)) = t.split_once(" up ") {
            let (before_load, _) = after.split_once("load average").unwrap_or((after, ""));
            let parts: Vec<&str> = before_load.trim_end_matches([',', ' ']).split(',').collect();
            let (uptime_parts, users) = match parts.last() {
                Some(p) if p.trim().ends_with("user") || p.trim().ends_with("users") => {
                    let n = p.split_whitespace().next().and_then(|n| n.parse().ok());
                    (&parts[..parts.len() - 1], n)
                }
                _ => (&parts[..], None),
            };
            let uptime = uptime_parts.join(",").trim().to_owned();
            let seconds = uptime_seconds(&uptime).ok_or_else(|| format!("uptime {uptime:?}"))?;
            self.0 = Some(UptimeResult::Up { uptime, seconds, users });
        } else if let Some((date, time)) = t.split_once(' ') {
            let d = date.as_bytes();
            if d.len() == 10 && d[4] == b'-' && d[7] == b'-' && time.contains(':') {
                self.0 = Some(UptimeResult::Since { date: date.into(), time: time.trim().into() });
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> ParseResult<UptimeResult> {
        self.0.take().ok_or_else(|| "no uptime in the output".into())
    }
}

impl UnixCommand for Uptime {
    const NAME: &'static str = "uptime";
    type Parser = UptimeParser;
    type Output = UptimeResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "uptime".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> UptimeParser {
        UptimeParser::default()
    }
    fn setup(&self, command: Command<UptimeParser>) -> Command<UptimeParser> {
        own_errors(command, "uptime")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    fn uptime(options: &str, line: &str) -> moler_core::Result<UptimeResult> {
        let output = format!("host:~ # uptime {options}\n{line}\nhost:~ # ");
        let command = Uptime::new().options(options).command_with_prompt("^host:~ # $");
        offline::parse(command, [output.as_bytes()])
    }

    /// `uptime -p`'s words, as the usual line's uptime.
    #[test]
    fn the_pretty_uptime_is_read() {
        let up = |uptime: &str, seconds| UptimeResult::Up {
            uptime: uptime.into(),
            seconds,
            users: None,
        };
        assert_eq!(
            uptime("-p", "up 7 hours, 4 minutes").unwrap(),
            up("7 hours, 4 minutes", 25_440)
        );
        let long = "1 week, 2 days, 1 hour, 1 minute";
        assert_eq!(uptime("-p", &format!("up {long}")).unwrap(), up(long, 781_260));
        assert!(uptime("-p", "up and running").is_err());
    }

    /// The first uptime line is the result; `-s`'s date needs a time after it; output without
    /// an uptime is no result (Moler's `ret_required`).
    #[test]
    fn the_first_uptime_line_is_the_result_and_nothing_else_is() {
        let two = " 14:28:00 up  7:04,  2 users,  load average: 0.1, 0.2, 0.3\n\
                     14:29:00 up  7:05,  3 users,  load average: 0.1, 0.2, 0.3";
        let UptimeResult::Up { seconds, users, .. } = uptime("", two).unwrap() else { panic!() };
        assert_eq!((seconds, users), (25_440, Some(2)));
        let since = uptime("-s", "2026-12-07 07:23:59").unwrap();
        let want = UptimeResult::Since { date: "2026-12-07".into(), time: "07:23:59".into() };
        assert_eq!(since, want);
        for none in ["2026-12-07 later", "2026/12/07 07:23:59", "nothing to see"] {
            let err = uptime("-s", none).unwrap_err().to_string();
            assert!(err.contains("the output gave the command no result"), "{none}: {err}");
        }
        assert_eq!(Uptime::new().command_line().unwrap(), "uptime");
        assert_eq!(Uptime::new().options("-s").command_line().unwrap(), "uptime -s");
    }

    #[test]
    fn uptimes_in_seconds() {
        assert_eq!(uptime_seconds("3 days  2:14"), Some(267_240));
        assert_eq!(uptime_seconds("2 days, 4 minutes"), Some(173_040));
        assert_eq!(uptime_seconds("137 day(s), 19:07"), Some(11_905_620));
        assert_eq!(uptime_seconds("18 min"), Some(1080));
        assert_eq!(uptime_seconds("1 week, 2 hrs"), Some(612_000));
        assert_eq!(uptime_seconds("1 min, 5 secs"), Some(65));
        assert_eq!(uptime_seconds("3 fortnights"), None);
        assert_eq!(uptime_seconds("x:y"), None);
    }
}
