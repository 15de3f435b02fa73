//! `export`: [`Export`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, regex, Variables};
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// `export`, `export PS1=<ps1_param>` or `export <set_param>`; result: the exported variables
/// (`{}` when setting one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// The new PS1 (with its quotes): `export PS1=…`.
    pub ps1_param: Option<String>,
    /// `NAME=value` to export.
    pub set_param: Option<String>,
}
builder!(Export {}, ps1_param, set_param);

impl UnixCommand for Export {
    const NAME: &'static str = "export";
    type Parser = Variables;
    type Output = BTreeMap<String, String>;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(match (&self.ps1_param, &self.set_param) {
            (Some(_), Some(_)) => return Err("give `ps1_param` or `set_param`, not both".into()),
            (Some(ps1), None) => format!("export PS1={ps1}"),
            (None, Some(set)) => format!("export {set}"),
            (None, None) => "export".into(),
        })
    }
    fn parser(&self) -> Variables {
        Variables::new(regex(r#"^declare -x ([^=\s]+)="(.*)"$"#))
    }
    fn setup(&self, command: Command<Variables>) -> Command<Variables> {
        own_errors(command, "-?bash: export").ret_required(false)
    }
}
