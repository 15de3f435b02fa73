//! `pkill`: [`Pkill`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{required, Nothing};
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// `pkill name`; result `{}`. "Operation not permitted" fails it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkill {
    /// The process name (a pattern, as pkill takes it).
    pub name: String,
}
builder!(Pkill { name: String });

impl UnixCommand for Pkill {
    const NAME: &'static str = "pkill";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(format!("pkill {}", required("name", &self.name)?))
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.failure("Operation not permitted|^pkill: ").ret_required(false)
    }
}
