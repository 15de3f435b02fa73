//! `useradd`: [`Useradd`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{CollectLines, ResultLines};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `useradd -D [options]` with `defaults`, else `useradd [options] user`; result
/// `{"RESULT": [lines]}` (Moler's shape). `useradd: …` and its usage text fail it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Useradd {
    /// `-m`, `-p HASH`, `-s /bin/sh`…
    pub options: Option<String>,
    /// `-D`: show (or, with options, set) the defaults.
    #[serde(default)]
    pub defaults: bool,
    /// The login to add.
    pub user: Option<String>,
}
builder!(Useradd {}, options, user);

impl Useradd {
    /// Sets `defaults` (`useradd -D`).
    pub fn defaults(mut self, on: bool) -> Self {
        self.defaults = on;
        self
    }
}

impl UnixCommand for Useradd {
    const NAME: &'static str = "useradd";
    type Parser = CollectLines<ResultLines>;
    type Output = ResultLines;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "useradd".to_owned();
        if self.defaults {
            line.push_str(" -D");
            push_opt(&mut line, self.options.as_deref());
        } else if let Some(user) = self.user.as_deref().filter(|u| !u.trim().is_empty()) {
            push_opt(&mut line, self.options.as_deref());
            push_opt(&mut line, Some(user));
        }
        Ok(line)
    }
    fn parser(&self) -> CollectLines<ResultLines> {
        CollectLines::new(true, |result| ResultLines { result })
    }
    fn setup(&self, command: Command<Self::Parser>) -> Command<Self::Parser> {
        command
            .failure(r"(?i)Usage:\s+useradd\s+\[options\]\s+LOGIN|useradd:\s")
            .ret_required(false)
    }
}
