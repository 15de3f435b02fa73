//! # moler: automated testing of devices through text streams
//!
//! Moler (Python, nokia/moler) for Rust. Open a connection to a device (a local shell, later
//! SSH and TCP consoles), run **commands** on it as blocking calls or in the background, and
//! watch for **events** at the same time. Results are typed; handles can be waited on or awaited.
//!
//! The pieces, from the bottom up (each is its own crate, re-exported here):
//! - [`moler_core`]: the sans-IO connection, the observer contract, the generic [`Command`] and
//!   the [`Wait4`] line event;
//! - [`moler_io`]: transports (memory, local terminal);
//! - [`moler_runners`]: the [`ThreadRunner`] that drives a connection over a transport.
//!
//! ```
//! use moler::prelude::*;
//! use std::time::Duration;
//!
//! let shell = moler::local_shell()?;
//! let marks = shell.start(Wait4::new([r"^MARK (\d+)$"])?.till_occurs_times(1));
//! let out = shell.run(Command::lines("echo MARK 7", LOCAL_PROMPT), Duration::from_secs(10))?;
//! assert_eq!(out, ["MARK 7"]);
//! assert_eq!(marks.wait(Duration::from_secs(10))?[0].groups[0].as_deref(), Some("7"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use moler_core::{
    Command, Completion, Connection, Context, Error, Kind, Lines, MatchMode, Observer, Occurrence,
    Occurrences, Parser, Result, Step, Wait4,
};
pub use moler_runners::{ConnectionHandle, ThreadRunner};
pub use {moler_core, moler_io, moler_runners};

/// The prompt regex of a shell opened by [`local_shell`].
pub const LOCAL_PROMPT: &str = "^moler_bash# $";

/// Opens a local `bash` in a pseudo-terminal (prompt `moler_bash# `, 300 columns, no bracketed
/// paste) and drives it with the [`ThreadRunner`].
pub fn local_shell() -> std::io::Result<ConnectionHandle> {
    local_shell_with(&moler_io::terminal::TerminalOptions::default())
}

/// [`local_shell`] with options (shell, size, directory, environment).
pub fn local_shell_with(
    options: &moler_io::terminal::TerminalOptions,
) -> std::io::Result<ConnectionHandle> {
    let io = moler_io::terminal::open(options)?;
    ThreadRunner::new().spawn("local", io)
}

/// What a test script needs, in one `use`.
pub mod prelude {
    pub use crate::{
        local_shell, Command, Completion, ConnectionHandle, Error, MatchMode, Observer, Occurrence,
        Parser, ThreadRunner, Wait4, LOCAL_PROMPT,
    };
}
