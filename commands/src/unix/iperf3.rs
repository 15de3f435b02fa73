//! `iperf3`: [`Iperf3`], its parameters and its result; the parser is
//! [`Iperf2`](super::Iperf2)'s engine reading iperf 3 (as Moler's Iperf3 is its Iperf2 adapted).

use std::time::Duration;

use moler_core::{Command, Publisher};
use serde::{Deserialize, Serialize};

use super::iperf2::{has_word, Engine, Flavor, IperfParser, IperfResult, IperfStats, Options};
use super::parse::required;
use crate::spec::UnixCommand;
use crate::ParamError;

/// `iperf3 options`: a client (`-c host`) or a server (`-s`); result: the statistics of every
/// connection interval by interval (`Transfer` in bytes, `Bitrate` in bytes per second, `Retr`,
/// `Cwnd`, UDP's `Jitter` in ms…) and the final report (the client's `sender` line, the
/// server's `receiver` line), as [`IperfResult`]. A server stops itself with Ctrl-C once it has
/// the report (not with `-1`, which ends by itself). Records are published while it runs
/// ([`Iperf3::records`]). Client-only options (`-u`, `-t`, `-P`) with `-s` are refused, as by
/// Moler.
///
/// ```
/// use moler_commands::{unix::Iperf3, UnixCommand};
///
/// assert_eq!(Iperf3::new("-c 127.0.0.1 -t 3").command_line().unwrap(), "iperf3 -c 127.0.0.1 -t 3");
/// assert!(Iperf3::new("-s -u").command_line().is_err());
/// assert!(Iperf3::new("-c h -t 5 --set-mss 1400").command_line().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iperf3 {
    /// iperf3's options.
    pub options: String,
    /// Where each interval's record and each report go as they come; not a parameter of
    /// Moler's.
    #[serde(skip)]
    pub records: Option<Publisher<IperfStats>>,
}

impl Iperf3 {
    /// iperf3 with `options`.
    pub fn new(options: impl Into<String>) -> Self {
        Self { options: options.into(), records: None }
    }

    /// Publishes each interval's record and each report as they come (see
    /// [`Iperf2::records`](super::Iperf2::records)).
    pub fn records(mut self, publisher: &Publisher<IperfStats>) -> Self {
        self.records = Some(publisher.clone());
        self
    }
}

impl UnixCommand for Iperf3 {
    const NAME: &'static str = "iperf3";
    type Parser = IperfParser;
    type Output = IperfResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let options = required("options", &self.options)?.trim();
        // Words, not Moler's substrings (which refused a client's `-t 5 --set-mss 1400`).
        let server = has_word(options, &["-s", "--server"]);
        for (short, long) in [("-u", "--udp"), ("-t", "--time"), ("-P", "--parallel")] {
            if server && has_word(options, &[short, long]) {
                return Err(ParamError::Invalid(format!(
                    "option ({long}) you are trying to set is client only"
                )));
            }
        }
        Ok(format!("iperf3 {options}"))
    }
    fn parser(&self) -> IperfParser {
        IperfParser::new(Engine::new(Flavor::Three, self.options.trim(), self.records.clone()))
    }
    fn setup(&self, command: Command<IperfParser>) -> Command<IperfParser> {
        command.no_default_failures()
    }
    /// The test's duration (`-t`, default 10 s) plus 10 s, never below 20 s.
    fn default_timeout(&self) -> Duration {
        Options::read(&self.options, Flavor::Three).timeout()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn intervals_and_the_report_are_published_while_iperf3_runs() {
        let stats: Publisher<IperfStats> = Publisher::new();
        let seen = stats.subscribe();
        let iperf = Iperf3::new("-c 127.0.0.1 -i 1 -t 2").records(&stats);
        let mut conn = Connection::new("t");
        let t = Instant::now();
        let done = conn.start(iperf.command_with_prompt(r"^\$ $"), t);
        let _ = conn.poll_transmit(&mut Vec::new());
        let lines = [
            "iperf3 -c 127.0.0.1 -i 1 -t 2\n",
            "Connecting to host 127.0.0.1, port 5201\n",
            "[  5] local 127.0.0.1 port 48058 connected to 127.0.0.1 port 5201\n",
            "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n",
            "[  5]   0.00-1.00   sec  3.16 GBytes  27.2 Gbits/sec    0   1.25 MBytes\n",
            "[  5]   1.00-2.00   sec  4.17 GBytes  35.8 Gbits/sec    0   1.25 MBytes\n",
        ];
        for line in lines {
            conn.handle_input(line.as_bytes(), t);
        }
        let intervals: Vec<_> = seen.try_iter().map(|s| (s.record.interval(), s.report)).collect();
        assert_eq!(intervals, [(Some((0.0, 1.0)), false), (Some((1.0, 2.0)), false)]);
        let tail = "- - - - - - - - - - - - -\n\
                    [ ID] Interval           Transfer     Bitrate         Retr\n\
                    [  5]   0.00-2.00   sec  7.33 GBytes  31.5 Gbits/sec    0             sender\n\
                    [  5]   0.00-2.05   sec  7.33 GBytes  30.7 Gbits/sec                  receiver\n\
                    \niperf Done.\n$ ";
        conn.handle_input(tail.as_bytes(), t);
        let reports: Vec<_> = seen.try_iter().filter(|s| s.report).collect();
        assert!(!reports.is_empty(), "the report is published");
        assert_eq!(reports[0].record.interval(), Some((0.0, 2.0)));
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_timeout_is_the_test_s_duration_and_ten_seconds_at_least_twenty() {
        let timeout = |options: &str| Iperf3::new(options).default_timeout().as_secs();
        assert_eq!(timeout("-c h -t 30"), 40);
        assert_eq!(timeout("-c h --time 15"), 25);
        assert_eq!(timeout("-c h"), 20);
        assert_eq!(timeout("-c h -t 2"), 20);
        assert_eq!(timeout("-s"), 20);
    }
}
