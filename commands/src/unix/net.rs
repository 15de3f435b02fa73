//! The network: ping.

use moler_core::{Command, Context, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::basic::own_errors;
use super::parse::{number_or_text, regex, required};
use crate::spec::{builder, UnixCommand};

/// `ping destination [options]` (`ping6` for an IPv6 address, as Moler does; give `-c N` or `-w S`, or it never ends); result: the
/// statistics with Moler's keys (times also in seconds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// Host or address.
    pub destination: String,
    /// `-c 4`, `-w 5`, `-6`…
    pub options: Option<String>,
}
builder!(Ping { destination: String }, options);

/// Result of [`Ping`] (Moler's keys; numbers keep the type the tool printed: `0` or `0.0`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PingResult {
    pub packets_transmitted: u64,
    pub packets_received: u64,
    /// Percent, as printed (`0`, `11.7021`).
    pub packet_loss: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub duplicates: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub errors: Option<u64>,
    /// The total time as printed (`4996` with unit `ms`), or null.
    pub time: Option<Value>,
    pub packets_time_unit: Option<String>,
    pub time_seconds: Option<f64>,
    pub time_min: Option<f64>,
    pub time_avg: Option<f64>,
    pub time_max: Option<f64>,
    pub time_mdev: Option<f64>,
    pub time_unit: Option<String>,
    pub time_min_seconds: Option<f64>,
    pub time_avg_seconds: Option<f64>,
    pub time_max_seconds: Option<f64>,
    pub time_mdev_seconds: Option<f64>,
}

/// Parser of [`Ping`].
#[derive(Debug)]
pub struct PingParser {
    stats: Regex,
    rtt: Regex,
    result: PingResult,
    seen_stats: bool,
}

fn unit_seconds(unit: &str) -> f64 {
    match unit {
        "us" | "µs" => 0.000_001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        _ => 0.001, // ms
    }
}

impl Parser for PingParser {
    type Output = PingResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial {
            return Ok(());
        }
        let num = |s: &str| s.parse::<u64>().map_err(|e| format!("ping: {s:?}: {e}"));
        let float = |s: &str| s.parse::<f64>().map_err(|e| format!("ping: {s:?}: {e}"));
        let r = &mut self.result;
        if let Some(c) = self.stats.captures(line) {
            self.seen_stats = true;
            r.packets_transmitted = num(&c["tx"])?;
            r.packets_received = num(&c["rx"])?;
            r.duplicates = c.name("dup").map(|m| num(m.as_str())).transpose()?;
            r.errors = c.name("err").map(|m| num(m.as_str())).transpose()?;
            r.packet_loss = number_or_text(&c["loss"]);
            if let (Some(t), Some(u)) = (c.name("time"), c.name("tunit")) {
                r.time = Some(number_or_text(t.as_str()));
                r.time_seconds = Some(float(t.as_str())? * unit_seconds(u.as_str()));
                r.packets_time_unit = Some(u.as_str().to_owned());
            }
        } else if let Some(c) = self.rtt.captures(line) {
            let unit = unit_seconds(&c["unit"]);
            let (min, avg, max, mdev) =
                (float(&c["min"])?, float(&c["avg"])?, float(&c["max"])?, float(&c["mdev"])?);
            (r.time_min, r.time_avg, r.time_max, r.time_mdev) =
                (Some(min), Some(avg), Some(max), Some(mdev));
            (r.time_min_seconds, r.time_avg_seconds, r.time_max_seconds, r.time_mdev_seconds) =
                (Some(min * unit), Some(avg * unit), Some(max * unit), Some(mdev * unit));
            r.time_unit = Some(c["unit"].to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.seen_stats
    }
    fn finish(&mut self) -> Result<PingResult, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ping {
    const NAME: &'static str = "ping";
    type Parser = PingParser;
    type Output = PingResult;
    fn command_line(&self) -> Result<String, String> {
        required("destination", &self.destination)?;
        // Moler's choice: an IPv6 address goes to `ping6`.
        let tool = if self.destination.contains(':') { "ping6" } else { "ping" };
        let mut line = format!("{tool} {}", self.destination);
        crate::spec::push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> PingParser {
        PingParser {
            stats: regex(
                r"(?x)^(?P<tx>\d+)\ packets\ transmitted,\ (?P<rx>\d+)\ (?:packets\ )?received,
                (?:\ \+(?P<dup>\d+)\ duplicates,)?(?:\ \+(?P<err>\d+)\ errors,)?
                \ (?P<loss>[\d.]+)%\ packet\ loss(?:,\ time\ (?P<time>[\d.]+)(?P<tunit>[a-zµ]+))?",
            ),
            rtt: regex(
                r"^(?:rtt|round-trip) min/avg/max/(?:mdev|stddev) = (?P<min>[\d.]+)/(?P<avg>[\d.]+)/(?P<max>[\d.]+)/(?P<mdev>[\d.]+) (?P<unit>[a-zµ]+)",
            ),
            result: PingResult { packet_loss: Value::Null, ..PingResult::default() },
            seen_stats: false,
        }
    }
    fn setup(&self, command: Command<PingParser>) -> Command<PingParser> {
        own_errors(command, "ping")
    }
}
