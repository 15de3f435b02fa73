//! The one error type of the core, shared by every observer's result; the parse error parsers
//! return; and [`Report`], which prints an error with its causes.

use std::fmt;
use std::num::{ParseFloatError, ParseIntError};
use std::sync::Arc;
use std::time::Duration;

/// Why an observer (a command or an event) did not produce a value.
///
/// `Clone`, because one failure (a closed connection) reaches many waiters.
///
/// Each variant's `Display` is one sentence. A variant that wraps another error
/// ([`Error::ConnectionClosed`]'s reason, [`Error::Parse`]'s [`ParseError`], [`Error::Other`])
/// says that error's own message in the sentence and continues the chain with *its* source, as
/// [`std::io::Error`] does with a custom error: no text appears twice when a chain is printed
/// ([`Report`]), and `{}` alone still says what went wrong. The wrapped error itself is in the
/// variant's field.
///
/// ```
/// use moler_core::{Error, ParseError, Report};
/// use std::error::Error as _;
///
/// let not_a_number = "x1".parse::<u32>().unwrap_err();
/// let err = Error::Parse {
///     command: "df".into(),
///     error: ParseError::at_line("x1 blocks", "a size that is not a number").with_source(not_a_number),
/// };
/// assert_eq!(err.to_string(), "command 'df' output could not be parsed: a size that is not a number: \"x1 blocks\"");
/// assert_eq!(err.source().unwrap().to_string(), "invalid digit found in string");
/// assert_eq!(
///     Report(&err).to_string(),
///     "command 'df' output could not be parsed: a size that is not a number: \"x1 blocks\": invalid digit found in string"
/// );
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The observer's timeout passed before it finished.
    ///
    /// The message quotes what the connection received last, since that is usually why:
    /// `command 'ls' timed out after 20.000s (timeout 20.000s); last received: "ls\r\nuser@box:~$ "; the last line "user@box:~$ " looks like a prompt but does not match the prompt regex ^moler_bash# $`.
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
        /// What may explain the timeout: a last line that looks like a prompt but does not
        /// match the command's prompt regex; a command line that leaves a quote open (the shell
        /// waits for the rest); bash's continuation prompt right after the command; the prompt
        /// come back with no result for a command that waits for one.
        hint: Option<String>,
    },
    /// The connection closed (or was dropped) before the observer finished. The text says the
    /// reason's message; the chain continues with the reason's source.
    ConnectionClosed {
        /// The connection's name.
        connection: String,
        /// The I/O error that closed it, if any (`None`: a clean close or end of stream).
        reason: Option<Arc<std::io::Error>>,
    },
    /// A command's output matched its failure pattern; reported once the prompt came back.
    CommandFailure {
        /// The command string.
        command: String,
        /// The output line that matched the failure pattern.
        line: String,
    },
    /// A parser rejected the command's output.
    Parse {
        /// The command string.
        command: String,
        /// What the parser said (its source, if any, is this error's source).
        error: ParseError,
    },
    /// The observer was cancelled through its handle.
    Cancelled {
        /// What was cancelled.
        observer: String,
    },
    /// The observer panicked; it failed alone, the connection carries on.
    ObserverPanicked {
        /// The observer that panicked.
        observer: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The result was already taken by an earlier `wait`, `try_result` or `.await`.
    ResultTaken {
        /// Whose result.
        observer: String,
    },
    /// The API was used in a way that cannot work (for instance an invalid pattern).
    WrongUsage(String),
    /// A failure of a layer above the core, with its own error type (a device's): an observer
    /// that wraps another ends with it (`Step::Done(Err(Error::Other(..)))`), or a command is
    /// built to fail with it ([`Command::fail_at_start`](crate::Command::fail_at_start));
    /// callers find it again with `downcast_ref`. Transparent: its `Display` and `source` are
    /// the inner error's.
    ///
    /// ```
    /// use moler_core::Error;
    /// use std::sync::Arc;
    ///
    /// #[derive(Debug)]
    /// struct Unplugged;
    /// impl std::fmt::Display for Unplugged {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("the device was unplugged")
    ///     }
    /// }
    /// impl std::error::Error for Unplugged {}
    ///
    /// let err = Error::Other(Arc::new(Unplugged));
    /// assert_eq!(err.to_string(), "the device was unplugged");
    /// let Error::Other(inner) = &err else { unreachable!() };
    /// assert!(inner.downcast_ref::<Unplugged>().is_some());
    /// ```
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { observer, timeout, elapsed, last_received, hint } => write!(
                f,
                "{observer} timed out after {elapsed:.3?} (timeout {timeout:.3?}){}{}",
                received_suffix(last_received),
                hint_suffix(hint)
            ),
            Error::ConnectionClosed { connection, reason } => {
                write!(f, "connection {connection} closed{}", reason_suffix(reason))
            }
            Error::CommandFailure { command, line } => {
                write!(f, "command '{command}' failed: {line}")
            }
            Error::Parse { command, error } => {
                write!(f, "command '{command}' output could not be parsed: {error}")
            }
            Error::Cancelled { observer } => write!(f, "{observer} was cancelled"),
            Error::ObserverPanicked { observer, message } => {
                write!(f, "{observer} panicked: {message}")
            }
            Error::ResultTaken { observer } => {
                write!(f, "the result of {observer} was already taken")
            }
            Error::WrongUsage(message) => write!(f, "wrong usage: {message}"),
            Error::Other(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    /// The source of the wrapped error (see the type's doc): the reason's cause for a closed
    /// connection, the parse error's cause, the inner error's source for [`Error::Other`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ConnectionClosed { reason: Some(reason), .. } => reason.source(),
            Error::Parse { error, .. } => error.source(),
            Error::Other(e) => e.source(),
            _ => None,
        }
    }
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

/// What a [`Parser`](crate::Parser)'s methods return: `ParseResult` for
/// [`on_line`](crate::Parser::on_line), `ParseResult<Self::Output>` for
/// [`finish`](crate::Parser::finish).
pub type ParseResult<T = ()> = std::result::Result<T, ParseError>;

/// Why a [`Parser`](crate::Parser) rejected a command's output: a message, the line it is about
/// (if any), and the error behind it (if any). A parser returns it from
/// [`on_line`](crate::Parser::on_line) or [`finish`](crate::Parser::finish); the command then
/// fails with [`Error::Parse`].
///
/// Text converts into one (`Err("no checksum in the output".into())`), and so do the errors
/// of reading numbers (`?` on `str::parse`); [`ParseError::with_source`] keeps any other cause.
///
/// ```
/// use moler_core::ParseError;
/// use std::error::Error as _;
///
/// let plain: ParseError = "no path in the output".into();
/// assert_eq!(plain.to_string(), "no path in the output");
/// assert!(plain.source().is_none());
///
/// let line = "total x";
/// let err = ParseError::at_line(line, "a total that is not a number")
///     .with_source(line[6..].parse::<u64>().unwrap_err());
/// assert_eq!(err.to_string(), "a total that is not a number: \"total x\"");
/// assert_eq!(err.line(), Some("total x"));
/// assert_eq!(err.source().unwrap().to_string(), "invalid digit found in string");
/// ```
#[derive(Debug, Clone)]
pub struct ParseError {
    message: String,
    line: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ParseError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> ParseError {
        ParseError { message: message.into(), line: None, source: None }
    }

    /// An error about one output line; the text is `message: "line"`.
    pub fn at_line(line: impl Into<String>, message: impl Into<String>) -> ParseError {
        ParseError { message: message.into(), line: Some(line.into()), source: None }
    }

    /// Keeps `source` as the cause (shown by chain printers after this error's text).
    pub fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> ParseError {
        self.source = Some(Arc::new(source));
        self
    }

    /// The message, without the line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The output line the error is about, if it is about one.
    pub fn line(&self) -> Option<&str> {
        self.line.as_deref()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.line {
            // Debug quoting shows blanks and control characters at the line's ends.
            Some(line) => write!(f, "{}: {line:?}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for ParseError {
    fn from(message: String) -> ParseError {
        ParseError::new(message)
    }
}

impl From<&str> for ParseError {
    fn from(message: &str) -> ParseError {
        ParseError::new(message)
    }
}

impl From<ParseIntError> for ParseError {
    fn from(e: ParseIntError) -> ParseError {
        ParseError::new("not an integer").with_source(e)
    }
}

impl From<ParseFloatError> for ParseError {
    fn from(e: ParseFloatError) -> ParseError {
        ParseError::new("not a number").with_source(e)
    }
}

/// Prints an error and the causes behind it on one line, `error: cause: cause`, walking
/// [`source`](std::error::Error::source). A cause whose text is already on the line is
/// skipped, so errors that print their source and also return it show it once.
///
/// What to print when the whole story matters (a command-line tool, a log line): the errors of
/// the transports and the config keep their causes as sources instead of repeating them.
///
/// ```
/// use moler_core::Report;
/// use std::io;
///
/// #[derive(Debug)]
/// struct Open(io::Error);
/// impl std::fmt::Display for Open {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("cannot open the console")
///     }
/// }
/// impl std::error::Error for Open {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
///         Some(&self.0)
///     }
/// }
///
/// let err = Open(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
/// assert_eq!(err.to_string(), "cannot open the console");
/// assert_eq!(Report(&err).to_string(), "cannot open the console: refused");
/// ```
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                shown.push_str(": ");
                shown.push_str(&text);
            }
            next = cause.source();
        }
        f.write_str(&shown)
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;
    use std::io;

    /// Every text of the chain, top first.
    fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
        let mut texts = vec![e.to_string()];
        let mut next = e.source();
        while let Some(cause) = next {
            texts.push(cause.to_string());
            next = cause.source();
        }
        texts
    }

    /// No text of a chain contains the text of the next one: nothing is said twice.
    fn assert_said_once(e: &(dyn std::error::Error + 'static)) {
        let texts = chain(e);
        for pair in texts.windows(2) {
            assert!(!pair[0].contains(&pair[1]), "{:?} repeats {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn a_parse_error_keeps_its_cause_and_is_shown_once() {
        let cause = "x".parse::<u8>().unwrap_err();
        let error = ParseError::at_line("id x", "an id that is not a number").with_source(cause);
        let err = Error::Parse { command: "id".into(), error };
        assert_eq!(
            err.to_string(),
            "command 'id' output could not be parsed: an id that is not a number: \"id x\""
        );
        let source = err.source().expect("the parse error's cause");
        assert!(source.downcast_ref::<ParseIntError>().is_some());
        assert_said_once(&err);
        let copy = err.clone();
        assert!(copy.source().is_some(), "a clone keeps the cause");
    }

    #[test]
    fn text_and_numbers_convert_into_parse_errors() {
        let e: ParseError = "no output".into();
        assert_eq!(
            (e.to_string(), e.line(), e.source().is_none()),
            ("no output".into(), None, true)
        );
        let e: ParseError = String::from("no path").into();
        assert_eq!(e.message(), "no path");
        let e = ParseError::from("1.x".parse::<f64>().unwrap_err());
        assert_eq!(e.to_string(), "not a number");
        assert!(e.source().unwrap().downcast_ref::<ParseFloatError>().is_some());
        let e = ParseError::from("-".parse::<u32>().unwrap_err());
        assert_eq!(e.to_string(), "not an integer");
    }

    #[test]
    fn a_closed_connection_says_its_reason_once() {
        #[derive(Debug)]
        struct Step(io::Error);
        impl fmt::Display for Step {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("ssh u@h:22: read")
            }
        }
        impl std::error::Error for Step {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let os = io::Error::new(io::ErrorKind::ConnectionAborted, "socket disconnected");
        let reason = io::Error::new(io::ErrorKind::ConnectionAborted, Step(os));
        let err =
            Error::ConnectionClosed { connection: "ssh".into(), reason: Some(Arc::new(reason)) };
        assert_eq!(err.to_string(), "connection ssh closed: ssh u@h:22: read");
        assert_eq!(chain(&err), ["connection ssh closed: ssh u@h:22: read", "socket disconnected"]);
        assert_eq!(
            Report(&err).to_string(),
            "connection ssh closed: ssh u@h:22: read: socket disconnected"
        );
        // A plain reason has no cause of its own: the text says it all.
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        let err =
            Error::ConnectionClosed { connection: "tcp".into(), reason: Some(Arc::new(reset)) };
        assert!(err.to_string().starts_with("connection tcp closed: "), "{err}");
        assert!(err.source().is_none());
    }

    #[test]
    fn other_is_transparent_and_found_again() {
        #[derive(Debug)]
        struct WrongState {
            cause: io::Error,
        }
        impl fmt::Display for WrongState {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("made for UNIX_REMOTE, the device is in UNIX_LOCAL")
            }
        }
        impl std::error::Error for WrongState {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.cause)
            }
        }
        let err = Error::Other(Arc::new(WrongState { cause: io::Error::other("the ssh ended") }));
        let shared = err.clone();
        assert_eq!(shared.to_string(), "made for UNIX_REMOTE, the device is in UNIX_LOCAL");
        assert_eq!(shared.source().unwrap().to_string(), "the ssh ended");
        let Error::Other(inner) = &shared else { panic!("{shared:?}") };
        assert!(inner.downcast_ref::<WrongState>().is_some());
        assert_said_once(&shared);
    }

    #[test]
    fn report_skips_a_cause_already_said() {
        // An error that says its source and also returns it (not ours): said once all the same.
        #[derive(Debug)]
        struct Both(io::Error);
        impl fmt::Display for Both {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "hop failed: {}", self.0)
            }
        }
        impl std::error::Error for Both {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Both(io::Error::other("refused"));
        assert_eq!(Report(&err).to_string(), "hop failed: refused");
        assert_eq!(format!("{:?}", Report(&err)), "hop failed: refused");
    }
}
