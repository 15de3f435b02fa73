//! `wait4prompts`: the event [`Wait4Prompts`].

use std::collections::BTreeMap;

use moler_core::{Error, Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{till, UnixEvent};
use crate::MapOutput;

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
