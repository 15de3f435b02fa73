//! `ping`: [`Ping`], its parameters, its result and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{
    Command, Context, ParseError, ParseResult, Parser, Publisher, DEFAULT_COMMAND_TIMEOUT,
};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::{each_option, number_or_text, own_errors, regex, required, Opt, OptionSpec};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `ping destination [options]` (`ping6` for an IPv6 address, as Moler does; give `-c N` or
/// `-w S`, or it never ends); result: the statistics with Moler's keys (times also in seconds).
/// Its timeout follows from `-c`/`-i`/`-W`/`-w` ([`Ping::expected_duration`] + 10 s), so a
/// `-c 100` ping in the background does not time out at the generic 20 s.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// Host or address.
    pub destination: String,
    /// `-c 4`, `-w 5`, `-6`…
    pub options: Option<String>,
    /// Where each reply goes as it comes ([`Ping::replies`]); not a parameter of Moler's.
    #[serde(skip)]
    pub replies: Option<Publisher<PingReply>>,
}
builder!(Ping { destination: String }, options);

/// One reply of a running ping (`64 bytes from 10.0.0.1: icmp_seq=3 ttl=64 time=0.045 ms`),
/// published as it comes ([`Ping::replies`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingReply {
    /// Who answered (as printed: an address, or a name and an address).
    pub from: String,
    /// The sequence number.
    pub icmp_seq: u64,
    /// The time to live, when printed.
    pub ttl: Option<u64>,
    /// The round trip, in seconds, when printed.
    pub time_seconds: Option<f64>,
    /// The whole line.
    pub line: String,
}

/// Letters of ping options (iputils, BSD, busybox) that take a value: `-c5` and `-c 5` alike.
const PING_VALUE_OPTIONS: &str = "ceiIlmMNpQsStTwWF";

/// ping's default wait for a reply after the last packet (iputils' linger time, `-W`).
const PING_LINGER: Duration = Duration::from_secs(10);

/// Added to a ping's expected duration for its timeout: name resolution, a slow start, a
/// busy machine.
pub const PING_SLACK: Duration = Duration::from_secs(10);

impl Ping {
    /// Publishes each reply to `publisher` as it comes, while the ping runs (Moler's
    /// publisher of ping's lines): subscribe before starting it. The subscriptions end when
    /// the ping ends.
    ///
    /// ```
    /// use moler_commands::unix::{Ping, PingReply};
    /// use moler_core::{Connection, Publisher};
    /// use moler_commands::UnixCommand;
    /// use std::time::Instant;
    ///
    /// let replies: Publisher<PingReply> = Publisher::new();
    /// let seen = replies.subscribe();
    /// let ping = Ping::new("10.0.0.1").options("-c 2").replies(&replies);
    /// let mut conn = Connection::new("demo");
    /// let done = conn.start(ping.build(Some("^\\$ $")), Instant::now());
    /// let _ = conn.poll_transmit(&mut Vec::new());
    /// conn.handle_input(b"ping 10.0.0.1 -c 2\n64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms\n", Instant::now());
    /// assert_eq!(seen.try_next().unwrap().icmp_seq, 1, "published while it runs");
    /// assert!(done.try_result().is_none());
    /// ```
    pub fn replies(mut self, publisher: &Publisher<PingReply>) -> Self {
        self.replies = Some(publisher.clone());
        self
    }

    /// How long the ping lasts at most by its options, when they say: `-w S` (deadline) ends it
    /// after S seconds; `-c N` after N packets `-i` apart (default 1 s) and a last wait for
    /// replies (`-W`, default 10 s). `None` when neither is given (it runs until stopped).
    ///
    /// ```
    /// use moler_commands::unix::Ping;
    /// use std::time::Duration;
    ///
    /// let ping = Ping::new("10.0.0.1").options("-c 100");
    /// assert_eq!(ping.expected_duration(), Some(Duration::from_secs(110)));
    /// let ping = Ping::new("10.0.0.1").options("-c 100 -w 30");
    /// assert_eq!(ping.expected_duration(), Some(Duration::from_secs(30)));
    /// assert_eq!(Ping::new("10.0.0.1").expected_duration(), None);
    /// ```
    pub fn expected_duration(&self) -> Option<Duration> {
        let (mut count, mut interval, mut deadline, mut linger) = (None, 1.0, None, None);
        // getopt's grouping: `-qc 5`, `-qc5`; the first letter taking a value ends it.
        let spec =
            OptionSpec { short_values: PING_VALUE_OPTIONS, long_values: &[], bsd_values: None };
        each_option(self.options.as_deref().unwrap_or(""), &spec, |opt| {
            let Opt::Short(letter, value) = opt else { return true };
            // (A value missing at the end is no number: that option is unset.)
            let seconds = value.unwrap_or("").trim_start_matches('=').parse::<f64>().ok();
            let seconds = seconds.filter(|s| s.is_finite() && *s >= 0.0);
            match letter {
                'c' => count = seconds,
                'i' => interval = seconds.unwrap_or(interval),
                'w' => deadline = seconds,
                'W' => linger = seconds,
                _ => {}
            }
            true
        });
        let by_count = count.map(|n| {
            let linger = linger.map_or(PING_LINGER, Duration::from_secs_f64);
            Duration::from_secs_f64(n * interval) + linger
        });
        let by_deadline = deadline.map(Duration::from_secs_f64);
        // Both given: whichever comes first ends it.
        match (by_count, by_deadline) {
            (Some(c), Some(d)) => Some(c.min(d)),
            (c, d) => c.or(d),
        }
    }
}

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
    stats: Arc<Regex>,
    rtt: Arc<Regex>,
    reply: Arc<Regex>,
    result: PingResult,
    seen_stats: bool,
    replies: Option<Publisher<PingReply>>,
}

impl Drop for PingParser {
    /// The ping ended: its replies' subscriptions end.
    fn drop(&mut self) {
        if let Some(replies) = self.replies.as_ref().filter(|p| p.is_listened()) {
            replies.close();
        }
    }
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
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let bad = |s: &str| ParseError::at_line(line, format!("ping: {s:?} is not a number"));
        let num = |s: &str| s.parse::<u64>().map_err(|e| bad(s).with_source(e));
        let float = |s: &str| s.parse::<f64>().map_err(|e| bad(s).with_source(e));
        if let Some(replies) = self.replies.as_ref().filter(|p| p.is_listened()) {
            if let Some(c) = self.reply.captures(line) {
                replies.publish(PingReply {
                    from: c["from"].to_owned(),
                    icmp_seq: num(&c["seq"])?,
                    ttl: c.name("ttl").map(|m| num(m.as_str())).transpose()?,
                    time_seconds: match (c.name("time"), c.name("unit")) {
                        (Some(t), Some(u)) => Some(float(t.as_str())? * unit_seconds(u.as_str())),
                        _ => None,
                    },
                    line: line.to_owned(),
                });
                return Ok(());
            }
        }
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
    fn finish(&mut self) -> ParseResult<PingResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Ping {
    const NAME: &'static str = "ping";
    type Parser = PingParser;
    type Output = PingResult;
    fn command_line(&self) -> Result<String, ParamError> {
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
            reply: regex(
                r"^\d+ bytes from (?P<from>.+?): icmp_seq=(?P<seq>\d+)(?: ttl=(?P<ttl>\d+))?(?: time=(?P<time>[\d.]+) ?(?P<unit>[a-zµ]+))?",
            ),
            result: PingResult { packet_loss: Value::Null, ..PingResult::default() },
            seen_stats: false,
            replies: self.replies.clone(),
        }
    }
    fn setup(&self, command: Command<PingParser>) -> Command<PingParser> {
        own_errors(command, "ping")
    }
    /// The expected duration ([`Ping::expected_duration`]) plus [`PING_SLACK`], never below
    /// the default 20 s; the default when the options do not say.
    fn default_timeout(&self) -> Duration {
        self.expected_duration()
            .map_or(DEFAULT_COMMAND_TIMEOUT, |d| (d + PING_SLACK).max(DEFAULT_COMMAND_TIMEOUT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    /// Each reply is published as it comes, its round trip in seconds whatever unit ping
    /// printed (ms, µs, us, s), with no time or ttl where the line has none; the lines of the
    /// summary are no replies; the subscription ends when the ping does.
    #[test]
    fn replies_are_published_as_they_come_with_their_time_in_seconds() {
        let publisher: Publisher<PingReply> = Publisher::new();
        let seen = publisher.subscribe();
        let ping = Ping::new("10.0.0.1").options("-c 5").replies(&publisher);
        let now = Instant::now();
        let mut conn = Connection::new("t");
        let done = conn.start(ping.build(Some(r"^\$ $")), now);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(
            b"ping 10.0.0.1 -c 5\nPING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n",
            now,
        );
        for line in [
            "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms",
            "64 bytes from 10.0.0.1: icmp_seq=2 ttl=63 time=250 µs",
            "64 bytes from 10.0.0.1: icmp_seq=3 ttl=63 time=125 us",
            "64 bytes from router (10.0.0.1): icmp_seq=4 ttl=62 time=2 s",
            "64 bytes from 10.0.0.1: icmp_seq=5",
        ] {
            conn.handle_input(format!("{line}\n").as_bytes(), now);
        }
        let replies: Vec<PingReply> = seen.try_iter().collect();
        let got: Vec<(&str, u64, Option<u64>, Option<f64>)> =
            replies.iter().map(|r| (r.from.as_str(), r.icmp_seq, r.ttl, r.time_seconds)).collect();
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-12);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(close(got[0].3, 0.000_045) && close(got[1].3, 0.000_25), "{got:?}");
        assert!(close(got[2].3, 0.000_125) && close(got[3].3, 2.0), "{got:?}");
        assert_eq!((got[3].0, got[3].2), ("router (10.0.0.1)", Some(62)));
        assert_eq!((got[4].1, got[4].2, got[4].3), (5, None, None));
        assert_eq!(replies[0].line, "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms");
        assert!(!seen.is_ended(), "the ping runs on");

        conn.handle_input(
            b"\n--- 10.0.0.1 ping statistics ---\n\
              5 packets transmitted, 5 received, 0% packet loss, time 4005ms\n\
              rtt min/avg/max/mdev = 0.045/400.075/2000.000/799.962 ms\n$ ",
            now,
        );
        let result = done.try_result().expect("ended").expect("a result");
        assert_eq!((result.packets_transmitted, result.packets_received), (5, 5));
        assert!(close(result.time_seconds, 4.005), "{result:?}");
        assert!(close(result.time_max_seconds, 2.0), "{result:?}");
        assert_eq!(seen.try_next(), None, "the summary is no reply");
        assert!(seen.is_ended(), "the subscription ends with the ping");
    }

    /// The command line: the destination, then the options; an IPv6 address goes to `ping6`
    /// (Moler's choice), and no destination is refused.
    #[test]
    fn the_line_names_the_destination_then_the_options() {
        let line = |d: &str, o: Option<&str>| {
            Ping { destination: d.into(), options: o.map(str::to_owned), replies: None }
                .command_line()
        };
        assert_eq!(line("10.0.0.1", Some("-c 5")).unwrap(), "ping 10.0.0.1 -c 5");
        assert_eq!(line("fe80::1", None).unwrap(), "ping6 fe80::1");
        assert!(line("", Some("-c 1")).is_err());
    }

    /// The summary's times in seconds, from each unit ping prints them in.
    #[test]
    fn the_summary_times_are_in_seconds_from_any_unit() {
        for (unit, seconds) in [
            ("ms", 0.001),
            ("us", 0.000_001),
            ("µs", 0.000_001),
            ("s", 1.0),
            ("m", 60.0),
            ("min", 60.0),
        ] {
            let output = format!(
                "ping 10.0.0.1 -c 1\n1 packets transmitted, 1 received, 0% packet loss, time 3{unit}\n\
                 round-trip min/avg/max/stddev = 2/2/2/0 {unit}\n$ "
            );
            let ping = Ping::new("10.0.0.1").options("-c 1").build(Some(r"^\$ $"));
            let r = crate::offline::parse(ping, [output.as_bytes()]).unwrap();
            assert_eq!(r.time_seconds, Some(3.0 * seconds), "{unit}");
            assert_eq!(r.time_avg_seconds, Some(2.0 * seconds), "{unit}");
            assert_eq!(
                (r.packets_time_unit.as_deref(), r.time_unit.as_deref()),
                (Some(unit), Some(unit))
            );
        }
    }
}
