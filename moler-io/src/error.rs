//! Why a transport could not be opened, or why its stream failed.
//!
//! Every variant names the transport and the step, and keeps the error that caused it as its
//! [`source`](std::error::Error::source): its `Display` is only this crate's part
//! (`connect to 10.0.0.5:23`), the cause follows in the chain (`Connection refused (os error
//! 111)`). To show a whole chain, walk `source()` (the `moler` CLI does; `moler_core::Report`
//! prints one on a line).
//!
//! Opening functions return this type; `?` turns it into an [`io::Error`] of the same
//! [`kind`](Error::kind) that keeps it (reach it again with [`io::Error::downcast`]). A
//! stream's `read`, `write` and `tick` return `io::Error`s that carry an `Error` the same way.

use std::io;

/// Why opening a transport (or one of its stream operations) failed.
///
/// ```
/// use moler_io::process::{spawn, ProcessOptions};
///
/// let err = spawn(&ProcessOptions::new("/no/such/program", [""; 0])).unwrap_err();
/// assert!(matches!(err, moler_io::Error::Spawn { .. }));
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "spawn \"/no/such/program\"");
/// let cause = std::error::Error::source(&err).unwrap();
/// assert!(cause.to_string().contains("No such file or directory"), "{cause}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A child process (the `process` transport) did not start.
    #[error("spawn {program:?}")]
    Spawn {
        /// The program.
        program: String,
        /// Why (the program is missing, not executable, no pipe left, …).
        #[source]
        source: io::Error,
    },
    /// No TCP connection could be made (also the one under SSH).
    #[error("connect to {address}")]
    Connect {
        /// `host:port`.
        address: String,
        /// Why (refused, timed out, the name does not resolve, …).
        #[source]
        source: io::Error,
    },
    /// Setting up a connected socket failed.
    #[error("{transport}: {step}")]
    Setup {
        /// The transport's name (`tcp:host:port`).
        transport: String,
        /// What was being done.
        step: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading or writing an open transport failed (a serial port that vanished, a telnet or
    /// RFC 2217 socket that broke), or its protocol went wrong (a server that refused the
    /// COM-PORT-OPTION).
    #[error("{transport}: {step}")]
    Stream {
        /// The transport's name (`serial:/dev/ttyUSB0`, `telnet:host:port`).
        transport: String,
        /// What was being done: `read`, `write`, `negotiate COM-PORT-OPTION`, …
        step: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The local shell could not be started in a pseudo-terminal.
    #[error("terminal {shell}: {step}")]
    Terminal {
        /// The shell.
        shell: String,
        /// What was being done: `open a pseudo-terminal`, `start the shell`, …
        step: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The OpenSSH client (`ssh` in a pseudo-terminal, the `sshshell` of a build without
    /// libssh2) could not log in: what it said is the source's text, its kind says why
    /// (`PermissionDenied` for a refused password or host key, `ConnectionRefused`,
    /// `TimedOut`, `NotFound` for a missing `ssh`).
    #[error("ssh {target} (OpenSSH client): {step}")]
    OpenSsh {
        /// `user@host:port`.
        target: String,
        /// `start ssh`, `log in`, …
        step: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A step of opening an SSH session failed in libssh2.
    #[cfg(feature = "ssh")]
    #[error("ssh {target}: {step}")]
    Ssh {
        /// `user@host:port`.
        target: String,
        /// The step: `handshake`, `request a pty`, `start the shell`, …
        step: &'static str,
        /// libssh2's error.
        #[source]
        source: ssh2::Error,
    },
    /// Reading or writing an SSH shell channel failed (also its setup line and keepalives).
    #[cfg(feature = "ssh")]
    #[error("ssh {target}: {step}")]
    SshIo {
        /// `user@host:port`.
        target: String,
        /// `read`, `write`, `keepalive`, `send the setup line`.
        step: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The server's host key was refused, or could not be checked or recorded.
    #[cfg(feature = "ssh")]
    #[error("ssh {target}: host key {problem}")]
    HostKey {
        /// `user@host:port`.
        target: String,
        /// What is wrong: `mismatch: …`, `unknown: …`, `check: read ~/.ssh/known_hosts`, …
        problem: String,
        /// The error behind it, when there is one (the file could not be read or written).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The server accepted none of the secrets given (each was tried once). The text lists
    /// every method tried with the server's refusal of it (several refusals make no single
    /// chain; each is kept in `tried`), then `reason`: `ssh u@h:22: authentication failed:
    /// tried password (Authentication failed (username/password)); the server offers
    /// publickey,password`.
    #[cfg(feature = "ssh")]
    #[error("ssh {target}: authentication failed: {}{reason}", crate::ssh::tried_text(.tried))]
    Authentication {
        /// `user@host:port`.
        target: String,
        /// The methods tried, in order, each with libssh2's refusal.
        tried: Vec<crate::ssh::AuthAttempt>,
        /// What else is wrong: `the server offers publickey,password`, `key file … does not
        /// exist`, `no password or key file given; …`, `asking for the methods`.
        reason: String,
        /// libssh2's error, when the failure was not a refused secret (asking for the methods).
        #[source]
        source: Option<ssh2::Error>,
    },
}

impl Error {
    /// The [`io::ErrorKind`] callers match on: the cause's for I/O failures (`NotFound` for a
    /// missing program, `ConnectionRefused`, `TimedOut`, …), `PermissionDenied` for a refused
    /// host key or login, `TimedOut`/`ConnectionAborted` for libssh2's timeouts and drops.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Spawn { source, .. }
            | Error::Connect { source, .. }
            | Error::OpenSsh { source, .. }
            | Error::Setup { source, .. }
            | Error::Stream { source, .. } => source.kind(),
            Error::Terminal { source, .. } => {
                source.downcast_ref::<io::Error>().map_or(io::ErrorKind::Other, io::Error::kind)
            }
            #[cfg(feature = "ssh")]
            Error::Ssh { source, .. } => crate::ssh::kind_of(source),
            #[cfg(feature = "ssh")]
            Error::SshIo { source, .. } => source.kind(),
            #[cfg(feature = "ssh")]
            Error::HostKey { .. } | Error::Authentication { .. } => io::ErrorKind::PermissionDenied,
        }
    }
}

impl From<Error> for io::Error {
    /// An `io::Error` of the same [`kind`](Error::kind) that keeps the error: its `Display` is
    /// the error's, its `source()` the error's source, and [`io::Error::downcast`] gives it back.
    fn from(e: Error) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn refused() -> io::Error {
        io::Error::from(io::ErrorKind::ConnectionRefused)
    }

    #[test]
    fn the_source_is_kept_and_not_repeated() {
        let e = Error::Connect { address: "10.0.0.5:23".into(), source: refused() };
        assert_eq!(e.to_string(), "connect to 10.0.0.5:23");
        let cause = e.source().expect("the cause is kept");
        assert_eq!(
            cause.downcast_ref::<io::Error>().unwrap().kind(),
            io::ErrorKind::ConnectionRefused
        );
        assert!(!e.to_string().contains(&cause.to_string()), "{e}");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn as_an_io_error_it_keeps_kind_text_chain_and_itself() {
        let e = Error::Spawn { program: "nosuch".into(), source: io::ErrorKind::NotFound.into() };
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::NotFound);
        assert_eq!(io.to_string(), "spawn \"nosuch\"");
        // io::Error shows its custom error and continues with that error's source.
        let cause = io.source().expect("the cause follows");
        assert_eq!(cause.downcast_ref::<io::Error>().unwrap().kind(), io::ErrorKind::NotFound);
        let back = io.downcast::<Error>().expect("the typed error is inside");
        assert!(matches!(back, Error::Spawn { .. }));
    }

    #[test]
    fn a_terminal_error_keeps_a_boxed_cause() {
        let e = Error::Terminal {
            shell: "/no/such/shell".into(),
            step: "start the shell",
            source: Box::new(io::Error::from(io::ErrorKind::NotFound)),
        };
        assert_eq!(e.to_string(), "terminal /no/such/shell: start the shell");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.source().is_some());
    }

    #[cfg(feature = "ssh")]
    #[test]
    fn ssh_refusals_are_permission_denied_and_keep_their_cause() {
        let refusal = ssh2::Error::new(
            ssh2::ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_AUTHENTICATION_FAILED),
            "Authentication failed (username/password)",
        );
        let denied = Error::Authentication {
            target: "u@h:22".into(),
            tried: vec![crate::ssh::AuthAttempt {
                method: "password".into(),
                refusal: Some(refusal),
            }],
            reason: "the server offers publickey,password".into(),
            source: None,
        };
        assert_eq!(denied.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            denied.to_string(),
            "ssh u@h:22: authentication failed: tried password (Authentication failed \
             (username/password)); the server offers publickey,password"
        );
        assert!(denied.source().is_none(), "a refused secret is no cause: it is in `tried`");
        let unreadable = Error::HostKey {
            target: "u@h:22".into(),
            problem: "check: read /k".into(),
            source: Some(Box::new(io::Error::from(io::ErrorKind::PermissionDenied))),
        };
        assert_eq!(unreadable.to_string(), "ssh u@h:22: host key check: read /k");
        let cause = unreadable.source().expect("the read error is kept");
        assert!(!unreadable.to_string().contains(&cause.to_string()));
    }

    #[cfg(feature = "ssh")]
    #[test]
    fn a_libssh2_timeout_is_timed_out() {
        let timeout = ssh2::Error::new(
            ssh2::ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_TIMEOUT),
            "Timed out waiting on socket",
        );
        let e = Error::Ssh { target: "u@h:22".into(), step: "handshake", source: timeout };
        assert_eq!(e.to_string(), "ssh u@h:22: handshake");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(e.source().unwrap().to_string(), "[Session(-9)] Timed out waiting on socket");
    }
}
