//! Why parameters make no command: [`ParamError`], what [`UnixCommand::command_line`] and the
//! registry's constructors return.
//!
//! [`UnixCommand::command_line`]: crate::UnixCommand::command_line

use std::sync::Arc;

use crate::BuildError;

/// Why a command's (or an event's) parameters make no command.
///
/// Text converts into [`ParamError::Invalid`] (`Err("give a or b, not both".into())`), a JSON
/// error into [`ParamError::Json`] (`?` on `serde_json::from_value`).
///
/// ```
/// use moler_commands::unix::Ssh;
/// use moler_commands::{ParamError, UnixCommand};
///
/// let err = Ssh::new(" ", "tester", "secret", "tester@").command_line().unwrap_err();
/// assert!(matches!(err, ParamError::Missing(ref name) if name == "host"));
/// assert_eq!(err.to_string(), "parameter `host` is required");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// A required parameter is missing (or empty).
    #[error("parameter `{0}` is required")]
    Missing(String),
    /// The parameters do not make a command: two that exclude each other, one that needs
    /// another, a list that must not be empty.
    #[error("{0}")]
    Invalid(String),
    /// A parameter holds a regex that does not compile; the regex error is the source.
    #[error("invalid {name} regex {pattern:?}")]
    Regex {
        /// The parameter (`expected_prompt`, `prompt`, …).
        name: String,
        /// The regex given.
        pattern: String,
        /// Why it does not compile.
        #[source]
        source: regex::Error,
    },
    /// A parameter the command does not have (the registry's text of a build error adds the
    /// name it most likely meant, and the parameters the command takes).
    #[error("unknown parameter `{name}`")]
    Unknown {
        /// The name given.
        name: String,
    },
    /// The parameters do not deserialize into the command's, for a reason the registry could
    /// not pin on one parameter (an unknown one is [`ParamError::Unknown`], a missing one
    /// [`ParamError::Missing`], a wrong value [`ParamError::Field`]).
    #[error(transparent)]
    Json(Arc<serde_json::Error>),
    /// Parameter `name` holds a value of the wrong type or out of range (the registry finds
    /// which; serde's own message does not say).
    #[error("parameter `{name}`: {error}")]
    Field {
        /// The parameter.
        name: String,
        /// What serde said of its value (its whole text is in this one's).
        error: Arc<serde_json::Error>,
    },
    /// Parameter `name` holds a value the command refuses for a reason of its own (a timeout
    /// that is not a positive number), said in `message`.
    #[error("parameter `{name}`: {message}")]
    Value {
        /// The parameter.
        name: String,
        /// Why its value is refused.
        message: String,
    },
    /// The command embedded by name (`sudo`'s and `su`'s `cmd_class_name`) could not be built.
    #[error(transparent)]
    Embedded(Box<BuildError>),
    /// An event refused its parameters.
    #[error(transparent)]
    Event(Box<moler_core::Error>),
}

impl ParamError {
    /// Parameter `name`'s value refused, `message` saying why ([`ParamError::Value`]).
    pub(crate) fn value(name: &str, message: impl Into<String>) -> ParamError {
        ParamError::Value { name: name.to_owned(), message: message.into() }
    }

    /// The parameter whose value is refused, when one is ([`ParamError::Field`],
    /// [`ParamError::Value`], [`ParamError::Regex`]; `cmd_params` for
    /// [`ParamError::Embedded`], the parameters of the command `sudo` or `su` runs): where a
    /// config shows the mistake.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            ParamError::Field { name, .. }
            | ParamError::Value { name, .. }
            | ParamError::Regex { name, .. } => Some(name),
            ParamError::Embedded(_) => Some("cmd_params"),
            _ => None,
        }
    }

    /// Compiles `pattern`, the value of parameter `name` (through the core's regex cache: the
    /// same pattern is compiled once).
    pub(crate) fn regex(
        name: &str,
        pattern: &str,
    ) -> Result<std::sync::Arc<regex::Regex>, ParamError> {
        moler_core::cached_regex(pattern).map_err(|source| ParamError::Regex {
            name: name.to_owned(),
            pattern: pattern.to_owned(),
            source,
        })
    }
}

impl From<String> for ParamError {
    fn from(message: String) -> ParamError {
        ParamError::Invalid(message)
    }
}

impl From<&str> for ParamError {
    fn from(message: &str) -> ParamError {
        ParamError::Invalid(message.to_owned())
    }
}

impl From<serde_json::Error> for ParamError {
    fn from(e: serde_json::Error) -> ParamError {
        ParamError::Json(Arc::new(e))
    }
}

impl From<BuildError> for ParamError {
    fn from(e: BuildError) -> ParamError {
        ParamError::Embedded(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_bad_regex_names_the_parameter_and_keeps_the_regex_error() {
        let err = ParamError::regex("expected_prompt", "root(#").unwrap_err();
        assert_eq!(err.to_string(), "invalid expected_prompt regex \"root(#\"");
        let cause = err.source().expect("the regex error is kept");
        assert!(cause.downcast_ref::<regex::Error>().is_some());
        assert!(!err.to_string().contains(&cause.to_string()));
    }

    #[test]
    fn a_json_error_shows_through() {
        let json: serde_json::Error = serde_json::from_str::<u8>("x").unwrap_err();
        let text = json.to_string();
        let err = ParamError::from(json);
        assert_eq!(err.to_string(), text, "transparent");
        assert!(err.source().is_none(), "serde_json's error has no source of its own");
    }
}
