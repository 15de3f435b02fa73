//! `whoami`: [`Whoami`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, FirstLine};
use crate::spec::{builder, unix_command, UnixCommand};

/// `whoami`; result `{"USER": name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whoami {}
builder!(Whoami {});

/// Result of [`Whoami`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoamiResult {
    /// The user name.
    #[serde(rename = "USER")]
    pub user: String,
}

unix_command!(Whoami, "whoami", FirstLine<WhoamiResult>,
    |s| FirstLine::new(|user| WhoamiResult { user }),
    line: |s| Ok("whoami".to_owned()),
    setup: |c| own_errors(c, "whoami"));
