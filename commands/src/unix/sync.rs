//! `sync`: [`Sync`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, unix_command, UnixCommand};

/// `sync`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sync {}
builder!(Sync {});

unix_command!(Sync, "sync", Nothing, |s| Nothing,
    line: |s| Ok("sync".to_owned()),
    setup: |c| c.ret_required(false));
