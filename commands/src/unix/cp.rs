//! `cp`: [`Cp`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{opt, silent_command};
use super::parse::{own_errors, required, Nothing};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

silent_command!(
    /// `cp [options] src dst`; result `{}`.
    Cp, "cp",
    { /// Source.
      src: String, /// Destination.
      dst: String, /// `-r`, `-v`…
      options: Option<String> },
    required { src, dst }, optional { options },
    line: |s| {
        let mut line = "cp".to_owned();
        push_opt(&mut line, opt(&s.options));
        Ok(format!("{line} {} {}", required("src", &s.src)?, required("dst", &s.dst)?))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_required_parameters_are_named() {
        let err = Cp::new("a", "").command_line().unwrap_err();
        assert!(err.contains("`dst`"), "{err}");
    }
}
