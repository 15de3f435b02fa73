//! `wait4prompts`: the event [`Wait4Prompts`], its occurrence [`PromptSeen`] and
//! [`PromptsChange`] (Moler's `change_prompts`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use moler_core::{Error, MatchMode, Occurrence, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::line_event::{wait4, Reading};
use super::records::serialize_time;
use super::{till, Records, Retarget, UnixEvent};

/// `wait4prompts` (Moler's `Wait4prompts`): prompts mapped to states; each prompt seen reports
/// its state, also on the unfinished last line. The prompts are tried in the order of their
/// regexes' text (Moler sorts them so); the first that matches a line wins, or, with
/// `check_against_all_prompts`, every one that matches is listed in `list_matched` and the last
/// of them is the occurrence (as Moler does).
///
/// Moler reads a chunk's lines newest first and reports only the newest prompt in it, so what
/// it reports depends on how the text was cut into reads; this event reports every prompt, in
/// order, however the text comes.
///
/// ```
/// use moler_commands::events::Wait4Prompts;
/// use moler_commands::UnixEvent;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let spec = Wait4Prompts {
///     prompts: [("^moler_bash# $".into(), "UNIX_LOCAL".into())].into(),
///     till_occurs_times: Some(1),
///     ..Default::default()
/// };
/// let mut conn = Connection::new("demo");
/// let done = conn.start(spec.event().unwrap(), Instant::now());
/// conn.handle_input(b"exit\nmoler_bash# ", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()[0].state, "UNIX_LOCAL");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait4Prompts {
    /// Prompt regex → state name.
    pub prompts: BTreeMap<String, String>,
    /// How many prompts end the event (`-1`, the default: until cancelled, as devices use it).
    pub till_occurs_times: Option<i64>,
    /// List every prompt matching a line in `list_matched` (Moler's attribute of the same
    /// name; default false).
    #[serde(default)]
    pub check_against_all_prompts: bool,
}

/// One prompt seen by [`Wait4Prompts`] (Moler's keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptSeen {
    /// The line.
    pub line: String,
    /// The regex that matched.
    pub prompt_regex: String,
    /// What it matched.
    pub matched: String,
    /// Its state.
    pub state: String,
    /// When the text that completed it came.
    #[serde(serialize_with = "serialize_time")]
    pub time: Instant,
    /// With `check_against_all_prompts`: every prompt that matched the line, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_matched: Option<Vec<PromptSeen>>,
}

/// The prompts of a [`Wait4Prompts`], compiled.
struct Table {
    regexes: Vec<Arc<Regex>>,
    states: Vec<String>,
    check_all: bool,
}

impl Table {
    fn new(prompts: &BTreeMap<String, String>, check_all: bool) -> Result<Table> {
        if prompts.is_empty() {
            return Err(Error::WrongUsage("prompts needs at least one regex → state".into()));
        }
        let mut regexes = Vec::new();
        for p in prompts.keys() {
            regexes
                .push(moler_core::cached_regex(p).map_err(|e| {
                    Error::WrongUsage(format!("prompts: invalid regex {p:?}: {e}"))
                })?);
        }
        Ok(Table { regexes, states: prompts.values().cloned().collect(), check_all })
    }

    fn seen(&self, i: usize, line: &str, matched: &str, time: Instant) -> PromptSeen {
        PromptSeen {
            line: line.to_owned(),
            prompt_regex: self.regexes[i].as_str().to_owned(),
            matched: matched.to_owned(),
            state: self.states[i].clone(),
            time,
            list_matched: None,
        }
    }

    /// The occurrence of a line on which prompt `o.pattern`, the first in order, matched.
    fn fold(&self, o: Occurrence) -> PromptSeen {
        if !self.check_all {
            return self.seen(o.pattern, &o.line, &o.matched, o.time);
        }
        let all: Vec<PromptSeen> = (o.pattern..self.regexes.len())
            .filter_map(|i| {
                Some(self.seen(i, &o.line, self.regexes[i].find(&o.line)?.as_str(), o.time))
            })
            .collect();
        // Invariant: prompt `o.pattern` matched this line, so `all` has it.
        let mut last = all.last().cloned().expect("the prompt that matched is listed");
        last.list_matched = Some(all);
        last
    }

    /// The inner event and its fold.
    fn parts(self) -> Result<(moler_core::Wait4, impl FnMut(Occurrence) -> Option<PromptSeen>)> {
        let how = Reading { full_lines_only: false, strip_escape_codes: true };
        let patterns: Vec<&str> = self.regexes.iter().map(|r| r.as_str()).collect();
        let inner = wait4(&patterns, MatchMode::Any, how)?;
        Ok((inner, move |o| Some(self.fold(o))))
    }
}

/// Changes the prompts of a running [`Wait4Prompts`] event (Moler's `change_prompts`), as a
/// device does when a state's prompt changes.
///
/// ```
/// use moler_commands::events::Wait4Prompts;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let spec = Wait4Prompts { prompts: [("^old> $".into(), "A".into())].into(), ..Default::default() };
/// let (event, change) = spec.event_with_change().unwrap();
/// let mut conn = Connection::new("demo");
/// let handle = conn.start(event, Instant::now());
/// change.change_prompts(&[("^new> $".into(), "B".into())].into()).unwrap();
/// conn.handle_input(b"old> \nnew> ", Instant::now());
/// handle.cancel();
/// ```
#[derive(Debug, Clone)]
pub struct PromptsChange {
    retarget: Retarget<PromptSeen>,
    check_all: bool,
}

impl PromptsChange {
    /// From the next text on, the event watches for `prompts` (regex → state). An invalid
    /// regex is an error here and changes nothing.
    pub fn change_prompts(&self, prompts: &BTreeMap<String, String>) -> Result<()> {
        let (inner, fold) = Table::new(prompts, self.check_all)?.parts()?;
        self.retarget.set(inner, fold);
        Ok(())
    }
}

impl Wait4Prompts {
    /// The event and a handle to change its prompts while it runs.
    pub fn event_with_change(&self) -> Result<(Records<PromptSeen>, PromptsChange)> {
        let mut event = self.event()?;
        let retarget = event.retarget();
        Ok((event, PromptsChange { retarget, check_all: self.check_against_all_prompts }))
    }
}

impl UnixEvent for Wait4Prompts {
    const NAME: &'static str = "wait4prompts";
    type Record = PromptSeen;
    fn event(&self) -> Result<Records<PromptSeen>> {
        let (inner, fold) = Table::new(&self.prompts, self.check_against_all_prompts)?.parts()?;
        Ok(Records::new(inner, till(self.till_occurs_times, -1)?, fold))
    }
}
