//! `cp`: [`Cp`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `cp [options] src dst`; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cp {
    /// Source.
    pub src: String,
    /// Destination.
    pub dst: String,
    /// `-r`, `-v`…
    pub options: Option<String>,
}
builder!(Cp { src: String, dst: String }, options);

unix_command!(Cp, "cp", Nothing, |s| Nothing,
    line: |s| {
        let mut line = "cp".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(format!("{line} {} {}", required("src", &s.src)?, required("dst", &s.dst)?))
    },
    setup: |c| own_errors(c, "cp").ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_required_parameters_are_named() {
        let err = Cp::new("a", "").command_line().unwrap_err();
        assert!(matches!(&err, crate::ParamError::Missing(name) if name == "dst"), "{err}");
        assert_eq!(err.to_string(), "parameter `dst` is required");
    }
}
