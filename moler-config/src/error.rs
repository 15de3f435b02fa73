//! Errors that point: every problem names the file, line and column it comes from.

use std::fmt;
use std::io;

use crate::yaml::Origin;

/// What kind of mistake a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read (missing, not UTF-8, `MOLER_CONFIG` not set).
    Read,
    /// The text is not valid YAML.
    Syntax,
    /// A key this place does not know (with a "did you mean" when one is close).
    UnknownKey,
    /// A key given twice with different values.
    DuplicateKey,
    /// A value of the wrong type (text where a number belongs, …).
    WrongType,
    /// A value of the right type that is not allowed (a port of 0, an unknown log kind, …).
    InvalidValue,
    /// A required parameter is missing.
    MissingParameter,
    /// An `io_type` no constructor is registered for.
    UnknownIoType,
    /// A variant that is neither a runner nor registered for the io_type.
    UnknownVariant,
    /// What this build left out: a variant's runner (features `tokio`, `smol`) or the
    /// `sshshell` io_type (feature `ssh`). Reported when such a connection opens, so that a
    /// config shared between builds still loads.
    NotCompiled,
    /// A `DEVICE_CLASS` that is not known.
    UnknownDeviceClass,
    /// One device name with two different definitions.
    DeviceDefinedTwice,
    /// `CLONED_FROM` names no device (or the clones form a loop).
    UnknownClonedFrom,
    /// A device name (in `LOGICAL_TOPOLOGY`) that is not defined.
    UnknownDevice,
    /// A connection name that is not defined.
    UnknownConnection,
    /// The same connection name with two different definitions.
    ConnectionDefinedTwice,
    /// A state its device class does not have (in `CONNECTION_HOPS` or `INITIAL_STATE`).
    UnknownState,
    /// A command or event name the command registry does not know (a hop's `execute_command`).
    UnknownCommand,
}

/// One mistake in a config, and where it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of mistake.
    pub kind: ErrorKind,
    /// Where it is.
    pub origin: Origin,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Problem {
    /// A problem of `kind` at `origin`.
    pub fn new(kind: ErrorKind, origin: Origin, message: impl Into<String>) -> Problem {
        Problem { kind, origin, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {self}", self.kind)
    }
}

/// Everything wrong with a config: one or more [`Problem`]s, in file order. Its `Display` is
/// one line per problem, `file:line:column: message`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

/// What the loaders collect while they read.
pub(crate) type Problems = ConfigError;

impl ConfigError {
    pub(crate) fn one(problem: Problem) -> ConfigError {
        ConfigError { problems: vec![problem] }
    }

    pub(crate) fn new(kind: ErrorKind, origin: Origin, message: impl Into<String>) -> ConfigError {
        ConfigError::one(Problem::new(kind, origin, message))
    }

    pub(crate) fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub(crate) fn add(&mut self, kind: ErrorKind, origin: &Origin, message: impl Into<String>) {
        self.push(Problem::new(kind, origin.clone(), message));
    }

    pub(crate) fn extend(&mut self, other: ConfigError) {
        self.problems.extend(other.problems);
    }

    /// File order: by source, line, column (stable, so problems at one place keep theirs).
    pub(crate) fn sort(&mut self) {
        self.problems.sort_by_key(|p| p.origin.sort_key());
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&Problem) -> bool) {
        self.problems.retain(keep);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    pub(crate) fn into_result<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The problems given, in file order (what layers above use to report their own checks of
    /// a config the way the loader does).
    pub fn from_problems(problems: impl IntoIterator<Item = Problem>) -> ConfigError {
        let mut e = ConfigError { problems: problems.into_iter().collect() };
        e.sort();
        e
    }

    /// The problems, in the order they were found (file order within one file).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The kind of the first problem.
    pub fn kind(&self) -> ErrorKind {
        self.problems.first().map_or(ErrorKind::InvalidValue, |p| p.kind)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ConfigError {}

/// Why a connection could not be opened.
///
/// [`Error::Open`] shows which connection failed and keeps why as its
/// [`source`](std::error::Error::source) (a `moler_io::Error` inside an `io::Error`, itself with
/// a cause): print the whole chain with `moler_core::Report`.
///
/// ```
/// use moler_config::Config;
///
/// let refused = moler_testkit::RefusedPort::new(); // a port where connections are refused
/// let port = refused.port();
/// let config = Config::from_yaml(&format!(
///     "NAMED_CONNECTIONS:\n  gone: {{io_type: tcp, host: 127.0.0.1, port: {port}}}\n"
/// ))?;
/// let err = config.open("gone").unwrap_err();
/// assert_eq!(err.to_string(), "cannot open NAMED_CONNECTIONS.gone (io_type tcp)");
/// assert_eq!(
///     moler_core::Report(&err).to_string(),
///     format!("cannot open NAMED_CONNECTIONS.gone (io_type tcp): connect to 127.0.0.1:{port}: \
///              Connection refused (os error 111)")
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The config (or the parameters given in code) is wrong.
    Config(ConfigError),
    /// Opening failed: `what` says which connection, `source` why (refused, no such host, …).
    Open {
        /// The connection: `connection net_1 (tcp, threaded)`.
        what: String,
        /// Why.
        source: io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => fmt::Display::fmt(e, f),
            // The cause is the source, not part of the text: chain printers show it once.
            Error::Open { what, .. } => write!(f, "cannot open {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            Error::Open { source, .. } => Some(source),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}

impl From<Error> for io::Error {
    /// An `io::Error` that keeps the error (and so its chain): of the cause's kind for
    /// [`Error::Open`], `InvalidInput` for [`Error::Config`].
    fn from(e: Error) -> io::Error {
        let kind = match &e {
            Error::Open { source, .. } => source.kind(),
            Error::Config(_) => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, e)
    }
}

/// The candidate closest to `given`, if it is close enough to be a likely typo: the same
/// letters in another case, or a few edits away.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = given.to_lowercase();
    let (given_len, lower_len) = (given.chars().count(), lower.chars().count());
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let c_lower = c.to_lowercase();
        let limit = (given_len.max(c.chars().count()) / 3).max(1);
        // The distance is at least the difference in length: a long unknown key is not
        // compared with every known one (quadratic work for nothing).
        if lower_len.abs_diff(c_lower.chars().count()) > limit {
            continue;
        }
        let d = if c_lower == lower { 0 } else { distance(&lower, &c_lower) };
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean X?` or nothing.
pub(crate) fn hint<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(given, candidates).map_or_else(String::new, |c| format!("; did you mean {c}?"))
}

/// `; did you mean X?`, else `; expected one of …` (nothing when `known` is empty).
pub(crate) fn or_expected(given: &str, known: &[&str]) -> String {
    let h = hint(given, known.iter().copied());
    if h.is_empty() && !known.is_empty() {
        format!("; expected one of {}", known.join(", "))
    } else {
        h
    }
}

/// Optimal string alignment distance (Levenshtein with swaps of neighbours).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_names_the_connection_and_keeps_the_cause_once() {
        let cause = io::Error::new(io::ErrorKind::ConnectionRefused, "refused by 10.0.0.5:23");
        let e =
            Error::Open { what: "NAMED_CONNECTIONS.console (io_type tcp)".into(), source: cause };
        assert_eq!(e.to_string(), "cannot open NAMED_CONNECTIONS.console (io_type tcp)");
        let source = std::error::Error::source(&e).expect("the cause");
        assert_eq!(source.to_string(), "refused by 10.0.0.5:23");
        assert!(!e.to_string().contains(&source.to_string()));
        // As an io::Error: the cause's kind, the same text, the same chain, the error inside.
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(io.to_string(), "cannot open NAMED_CONNECTIONS.console (io_type tcp)");
        assert_eq!(std::error::Error::source(&io).unwrap().to_string(), "refused by 10.0.0.5:23");
        assert!(matches!(io.downcast::<Error>(), Ok(Error::Open { .. })));
    }

    #[test]
    fn suggestions() {
        let keys = ["DEVICE_CLASS", "CONNECTION_DESC", "CONNECTION_HOPS", "INITIAL_STATE"];
        assert_eq!(did_you_mean("DEVICE_CLAS", keys), Some("DEVICE_CLASS"));
        assert_eq!(did_you_mean("device_class", keys), Some("DEVICE_CLASS"));
        assert_eq!(did_you_mean("CONECTION_HOPS", keys), Some("CONNECTION_HOPS"));
        assert_eq!(did_you_mean("INTIAL_STATE", keys), Some("INITIAL_STATE"));
        assert_eq!(did_you_mean("COLOR", keys), None);
        assert_eq!(did_you_mean("prot", ["port", "host"]), Some("port"));
        assert_eq!(did_you_mean(&"DEVICE_CLASS".repeat(100), keys), None);
        assert_eq!(did_you_mean("DEVICE_CLASS_X", keys), Some("DEVICE_CLASS"));
        // Two as near: the first named wins.
        assert_eq!(did_you_mean("cat", ["bat", "hat"]), Some("bat"));
        assert_eq!(did_you_mean("cat", ["hat", "bat"]), Some("hat"));
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("abc", "ab"), 1, "a deletion");
        assert_eq!(distance("ab", "abc"), 1, "an insertion");
        assert_eq!(distance("abcd", "abxd"), 1, "a substitution");
        assert_eq!(distance("abcd", "acbd"), 1, "a swap of neighbours");
        assert_eq!(distance("abcdef", "badcfe"), 3, "three swaps");
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
