//! # moler-core: the sans-IO heart of moler
//!
//! A [`Connection`] turns the bytes of one link (a shell, an SSH channel, a TCP console) into
//! text and hands it to **observers**: [`Command`]s, which send a line and parse what comes
//! back until the prompt returns, and events such as [`Wait4`], which keep watching for lines.
//! Every observer's result lands in a [`Completion`]: a `Future` and a blocking wait at once.
//!
//! This crate does no I/O, spawns no thread and never reads the clock: the caller passes the
//! time in. Runners (crate `moler-runners`) drive it over real transports.
//!
//! ```text
//!  transport bytes ──► handle_input(bytes, now) ──► UTF-8 decode ──► every observer, in order
//!                                                                     │  Command: echo, lines,
//!  poll_transmit() ◄── outbox ◄── sendline / Ctrl-C / answers ◄───────┤  prompt, failures
//!  poll_timeout()  ◄── earliest deadline                              │  Wait4: lines × regexes
//!  Mailbox (any thread): start, cancel, expire, close ──► handle_requests(now)
//!                                                      results ──► Completion (await / wait)
//! ```
//!
//! ```
//! use moler_core::{Command, Connection, Wait4};
//! use std::time::Instant;
//!
//! let mut conn = Connection::new("demo");
//! let alarms = conn.start(Wait4::new(["ALARM (\\d+)"]).unwrap().till_occurs_times(1), Instant::now());
//! let uname = conn.start(Command::lines("uname", "^moler_bash# "), Instant::now());
//! let mut out = Vec::new(); // one buffer, reused for every transmission
//! assert_eq!(conn.poll_transmit(&mut out), 6);
//! assert_eq!(out, b"uname\n");
//! conn.handle_input(b"uname\r\nLinux\r\nALARM 7\r\nmoler_bash# ", Instant::now());
//! assert_eq!(uname.try_result().unwrap().unwrap(), ["Linux", "ALARM 7"]);
//! assert_eq!(alarms.try_result().unwrap().unwrap()[0].groups[0].as_deref(), Some("7"));
//! ```

mod background;
mod cache;
mod command;
mod completion;
mod connection;
mod decode;
mod echo;
mod error;
mod event;
mod observer;
mod prompt;
mod tail;
mod text;
mod transcript;

pub use background::{FailureScope, Unread};
pub use command::{
    Command, End, Lines, Parser, DEFAULT_COMMAND_TIMEOUT, DEFAULT_FAILURES, DEFAULT_PROMPT,
    DEFAULT_TERMINATING_PERIOD, PROMPT_QUIET,
};
pub use completion::{Completion, Mailbox, ObserverId};
pub use connection::Connection;
pub use decode::Utf8Decoder;
pub use error::{Error, Result};
pub use event::{MatchMode, Occurrence, Occurrences, Wait4};
pub use observer::{Context, Kind, Observer, Step};
pub use text::{strip_escapes, LineSplitter, DEFAULT_LINE_CAP};
pub use transcript::{Transcript, MASK};
