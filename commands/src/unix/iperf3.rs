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
