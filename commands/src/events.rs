//! Moler's unix events: prompts, ping replies, logins, shutdowns.

use moler_core::{Observer, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Registry;

/// An event of the library: its parameters are the struct itself (Moler's names).
pub trait UnixEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Moler's name of the event.
    const NAME: &'static str;
    /// The observer.
    type Event: Observer<Output = Self::Output>;
    /// What it finishes with.
    type Output: Serialize + Send + 'static;
    /// The observer; an error names a bad parameter.
    fn event(&self) -> Result<Self::Event>;
}

/// Registers every event of this module under its Moler name.
pub(crate) fn register_all(r: &mut Registry) {
    r.register_event::<Wait4Event>()
        .register_event::<Wait4Prompt>()
        .register_event::<Wait4Prompts>()
        .register_event::<PingResponse>()
        .register_event::<PingNoResponse>()
        .register_event::<PasswordPrompt>()
        .register_event::<Shutdown>()
        .register_event::<FailedLoginCounter>()
        .register_event::<LastLoginEvent>()
        .register_event::<LastFailedLogin>();
}

use std::collections::BTreeMap;

use moler_core::{Error, MatchMode, Occurrence, Wait4};

use crate::MapOutput;
use serde::Deserialize;

/// Moler's `till_occurs_times`: a count, or `-1` (or absent) for "until cancelled".
fn till(event: Wait4, times: Option<i64>) -> Result<Wait4> {
    match times {
        None | Some(-1) => Ok(event),
        Some(n) if n > 0 => Ok(event.till_occurs_times(n as usize)),
        Some(n) => Err(Error::WrongUsage(format!("till_occurs_times must be -1 or > 0, not {n}"))),
    }
}

/// `wait4`: lines matching `detect_patterns` (`match`: `any`, `all` or `sequence`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Event {
    /// The regexes.
    pub detect_patterns: Vec<String>,
    /// `any` (default), `all` or `sequence`.
    #[serde(rename = "match")]
    pub match_mode: Option<String>,
    /// How many occurrences end the event (`-1`: until cancelled, the default).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Wait4Event {
    const NAME: &'static str = "wait4";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let mode = match self.match_mode.as_deref() {
            None | Some("any") => MatchMode::Any,
            Some("all") => MatchMode::All,
            Some("sequence") => MatchMode::Sequence,
            Some(other) => {
                return Err(Error::WrongUsage(format!(
                    "match must be any, all or sequence, not {other:?}"
                )))
            }
        };
        till(Wait4::new(&self.detect_patterns)?.mode(mode), self.till_occurs_times)
    }
}

/// `wait4prompt`: the prompt `prompt` (also without a line end).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Prompt {
    /// The prompt regex.
    pub prompt: String,
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for Wait4Prompt {
    const NAME: &'static str = "wait4prompt";
    type Event = Wait4;
    type Output = Vec<Occurrence>;
    fn event(&self) -> Result<Wait4> {
        let event = Wait4::new([&self.prompt])?.match_partial_lines(true);
        till(event, Some(self.till_occurs_times.unwrap_or(1)))
    }
}

/// `wait4prompts`: prompts mapped to states; each prompt seen reports its state. With several
/// prompts matching one line the first listed wins; across lines the newest one decides.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Prompts {
    /// Prompt regex → state name.
    pub prompts: BTreeMap<String, String>,
    /// How many prompts end the event (`-1`, the default: until cancelled, as devices use it).
    pub till_occurs_times: Option<i64>,
}

/// One prompt seen by [`Wait4Prompts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptSeen {
    /// The line.
    pub line: String,
    /// The regex that matched.
    pub prompt_regex: String,
    /// Its state.
    pub state: String,
}

impl Wait4Prompts {
    /// The regexes and their states, in the same order (the event's pattern indexes).
    fn split(&self) -> (Vec<String>, Vec<String>) {
        self.prompts.iter().map(|(r, s)| (r.clone(), s.clone())).unzip()
    }

    /// The event, with a callback for every prompt as it is seen (devices track their state
    /// with it).
    pub fn watch(&self, mut on_prompt: impl FnMut(&PromptSeen) + Send + 'static) -> Result<Wait4> {
        let (regexes, states) = self.split();
        let event = Wait4::new(&regexes)?.match_partial_lines(true).on_occurrence(move |o| {
            on_prompt(&PromptSeen {
                line: o.line.clone(),
                prompt_regex: regexes[o.pattern].clone(),
                state: states[o.pattern].clone(),
            })
        });
        till(event, self.till_occurs_times)
    }
}

impl UnixEvent for Wait4Prompts {
    const NAME: &'static str = "wait4prompts";
    type Event = MapOutput<Wait4, Vec<PromptSeen>>;
    type Output = Vec<PromptSeen>;
    fn event(&self) -> Result<Self::Event> {
        if self.prompts.is_empty() {
            return Err(Error::WrongUsage("prompts needs at least one regex → state".into()));
        }
        let (regexes, states) = self.split();
        Ok(MapOutput::new(self.watch(|_| {})?, move |found: Vec<Occurrence>| {
            found
                .into_iter()
                .map(|o| PromptSeen {
                    line: o.line,
                    prompt_regex: regexes[o.pattern].clone(),
                    state: states[o.pattern].clone(),
                })
                .collect()
        }))
    }
}

/// Declares an event that is [`Wait4`] on fixed patterns.
macro_rules! pattern_event {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($pattern:literal),+], partial: $partial:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            /// How many occurrences end the event (`-1`: until cancelled; default 1).
            pub till_occurs_times: Option<i64>,
        }

        impl UnixEvent for $ty {
            const NAME: &'static str = $name;
            type Event = Wait4;
            type Output = Vec<Occurrence>;
            fn event(&self) -> Result<Wait4> {
                let event = Wait4::new([$($pattern),+])?.match_partial_lines($partial);
                till(event, Some(self.till_occurs_times.unwrap_or(1)))
            }
        }
    };
}

pattern_event!(
    /// `ping_response`: a reply line of ping.
    PingResponse, "ping_response",
    [r"\d+ bytes from .*(icmp_seq|seq)=\d+"], partial: false
);
pattern_event!(
    /// `ping_no_response`: ping reporting no reply.
    PingNoResponse, "ping_no_response",
    [r"(Destination (Host|Net|Port) Unreachable|no answer yet for icmp_seq=\d+|Request timeout for icmp_seq|100% packet loss)"],
    partial: false
);
pattern_event!(
    /// `password_prompt`: a password (or passphrase) question, also without a line end.
    PasswordPrompt, "password_prompt",
    [r"(?i)(password|passphrase)[^:\n]*:\s*$"], partial: true
);

pattern_event!(
    /// `shutdown`: `The system is going down for reboot at …` (groups: what, when).
    Shutdown, "shutdown",
    [r"system is going down for (\w+) at (.+)"], partial: false
);

/// An occurrence whose groups are numbers where they look like one (Moler converts them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberedOccurrence {
    /// The whole line.
    pub line: String,
    /// The text the pattern matched.
    pub matched: String,
    /// The groups, numbers where they are.
    pub groups: Vec<serde_json::Value>,
    /// The named groups, numbers where they are.
    pub named_groups: BTreeMap<String, serde_json::Value>,
}

fn numbered(o: Occurrence) -> NumberedOccurrence {
    let convert = |g: Option<String>| match g {
        None => serde_json::Value::Null,
        Some(text) => crate::unix::number_or_text(&text),
    };
    NumberedOccurrence {
        line: o.line,
        matched: o.matched,
        groups: o.groups.into_iter().map(convert).collect(),
        named_groups: o.named_groups.into_iter().map(|(k, v)| (k, convert(v))).collect(),
    }
}

/// `failed_login_counter`: `There were N failed login attempts since the last successful
/// login` (`ATTEMPTS_NR` as a number).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedLoginCounter {
    /// How many occurrences end the event (`-1`: until cancelled; default 1).
    pub till_occurs_times: Option<i64>,
}

impl UnixEvent for FailedLoginCounter {
    const NAME: &'static str = "failed_login_counter";
    type Event = MapOutput<Wait4, Vec<NumberedOccurrence>>;
    type Output = Vec<NumberedOccurrence>;
    fn event(&self) -> Result<Self::Event> {
        let event = Wait4::new([
            r"(?i)There (?:were|was|have been) (?P<ATTEMPTS_NR>\d+) (?:failed|unsuccessful) login attempts? since the last successful login",
        ])?;
        let event = till(event, Some(self.till_occurs_times.unwrap_or(1)))?;
        Ok(MapOutput::new(event, |found: Vec<Occurrence>| {
            found.into_iter().map(numbered).collect()
        }))
    }
}

/// A `Last login:` or `Last failed login:` line (Moler's keys; `date` in ISO 8601 when it could
/// be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSeen {
    /// Where from.
    pub host: String,
    /// The date as printed.
    pub date_raw: String,
    /// The date in ISO 8601.
    pub date: Option<String>,
}

/// Declares an event for a `Last … login: DATE from HOST` line.
macro_rules! login_event {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            /// How many occurrences end the event (`-1`: until cancelled; default 1).
            pub till_occurs_times: Option<i64>,
        }

        impl UnixEvent for $ty {
            const NAME: &'static str = $name;
            type Event = MapOutput<Wait4, Vec<LoginSeen>>;
            type Output = Vec<LoginSeen>;
            fn event(&self) -> Result<Self::Event> {
                let event = till(Wait4::new([$pattern])?, Some(self.till_occurs_times.unwrap_or(1)))?;
                Ok(MapOutput::new(event, |found: Vec<Occurrence>| {
                    found
                        .into_iter()
                        .map(|o| {
                            let group = |n: &str| o.named_groups.get(n).cloned().flatten().unwrap_or_default();
                            let date_raw = group("DATE");
                            LoginSeen { host: group("HOST"), date: crate::unix::login_date(&date_raw), date_raw }
                        })
                        .collect()
                }))
            }
        }
    };
}

login_event!(
    /// `last_login`: `Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
    LastLoginEvent, "last_login",
    r"(?i)Last login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)"
);
login_event!(
    /// `last_failed_login`: `Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1`.
    LastFailedLogin, "last_failed_login",
    r"(?i)Last failed login:\s+(?P<DATE>\S.*\S)\s+from\s+(?P<HOST>\S+)"
);
