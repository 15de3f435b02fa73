//! The one error type of the core, shared by every observer's result.

use std::sync::Arc;
use std::time::Duration;

/// Why an observer (a command or an event) did not produce a value.
///
/// `Clone`, because one failure (a closed connection) reaches many waiters.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The observer's timeout passed before it finished.
    ///
    /// The message quotes what the connection received last, since that is usually why:
    /// `command 'ls' timed out after 20.000s (timeout 20.000s); last received: "ls\r\nuser@box:~$ "; the last line "user@box:~$ " looks like a prompt but does not match the prompt regex ^moler_bash# $`.
    #[error(
        "{observer} timed out after {elapsed:.3?} (timeout {timeout:.3?}){}{}",
        received_suffix(.last_received),
        hint_suffix(.hint)
    )]
    Timeout {
        /// What timed out, e.g. `command 'sleep 5'`.
        observer: String,
        /// The timeout that was in force.
        timeout: Duration,
        /// Time from the observer's start to its expiry.
        elapsed: Duration,
        /// The last lines the connection received (at most 3 lines or 400 characters, secrets
        /// masked, terminal escapes removed); empty when nothing came, `None` when not known
        /// (a blocking wait that gave up without the connection answering).
        last_received: Option<String>,
        /// What may explain the timeout, e.g. a last line that looks like a prompt but does not
        /// match the command's prompt regex.
        hint: Option<String>,
    },
    /// The connection closed (or was dropped) before the observer finished.
    #[error("connection {connection} closed{}", reason_suffix(.reason))]
    ConnectionClosed {
        /// The connection's name.
        connection: String,
        /// The I/O error that closed it, if any (`None`: a clean close or end of stream).
        #[source]
        reason: Option<Arc<std::io::Error>>,
    },
    /// A command's output matched its failure pattern; reported once the prompt came back.
    #[error("command '{command}' failed: {line}")]
    CommandFailure {
        /// The command string.
        command: String,
        /// The output line that matched the failure pattern.
        line: String,
    },
    /// A parser rejected the command's output.
    #[error("command '{command}' output could not be parsed: {message}")]
    Parse {
        /// The command string.
        command: String,
        /// What the parser said.
        message: String,
    },
    /// The observer was cancelled through its handle.
    #[error("{observer} was cancelled")]
    Cancelled {
        /// What was cancelled.
        observer: String,
    },
    /// The observer panicked; it failed alone, the connection carries on.
    #[error("{observer} panicked: {message}")]
    ObserverPanicked {
        /// The observer that panicked.
        observer: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The result was already taken by an earlier `wait`, `try_result` or `.await`.
    #[error("the result of {observer} was already taken")]
    ResultTaken {
        /// Whose result.
        observer: String,
    },
    /// The API was used in a way that cannot work (for instance an invalid pattern).
    #[error("wrong usage: {0}")]
    WrongUsage(String),
    /// The observer was made for one state of a device (its prompt, its newline) and started
    /// when the device was in another: Moler's `CommandWrongState`.
    #[error("{observer} was made for state {made_for} of device {device}, but the device is in {current} now")]
    WrongState {
        /// The observer.
        observer: String,
        /// The device.
        device: String,
        /// The state it was made for.
        made_for: String,
        /// The state the device was in when the observer started.
        current: String,
    },
}

fn reason_suffix(reason: &Option<Arc<std::io::Error>>) -> String {
    match reason {
        Some(e) => format!(": {e}"),
        None => String::new(),
    }
}

fn received_suffix(last_received: &Option<String>) -> String {
    match last_received {
        Some(text) if text.is_empty() => "; nothing received".into(),
        // Debug quoting shows line ends and other control characters.
        Some(text) => format!("; last received: {text:?}"),
        None => "; what was received is not known".into(),
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(hint) => format!("; {hint}"),
        None => String::new(),
    }
}

impl Error {
    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True for [`Error::ConnectionClosed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::ConnectionClosed { .. })
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
