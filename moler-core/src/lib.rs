//! # moler-core: the sans-IO heart of moler
//!
//! A [`Connection`] turns the bytes of one link (a shell, an SSH channel, a TCP console) into
//! text and hands it to **observers**: [`Command`]s, which send a line and parse what comes
//! back until the prompt returns, and events such as [`Wait4`], which keep watching for lines.
//! Every observer's result lands in a [`Completion`], a `Future`; an event's
//! [`Occurrences`] are a queue to take from or poll.
//!
//! This crate does no I/O, spawns no thread, never blocks and never reads the clock: the
//! caller passes the time in, and nothing here waits for anything (quinn's sans-IO rule,
//! checked by `.ci/run`). Runners (crate `moler-runners`) drive it over real transports, and
//! the blocking edge lives there too: `moler_runners::CompletionExt::wait(timeout)` parks the
//! thread and polls the `Completion` with a waker that unparks it (on expiry it asks the
//! connection to time the observer out: [`Completion::expire`]), and
//! `moler_runners::OccurrencesExt` blocks on occurrences the same way.
//!
//! ```text
//!  transport bytes ──► handle_input(bytes, now) ──► UTF-8 decode ──► every observer, in order
//!                                                                     │  Command: echo, lines,
//!  poll_transmit(buf) ◄── outbox ◄── sendline / Ctrl-C / answers ◄────┤  prompt, failures
//!  poll_timeout()  ◄── earliest deadline                              │  Wait4: lines × regexes
//!  Mailbox (any thread): start, cancel, expire, close ──► handle_requests(now)
//!          results ──► Completion (a Future: `.await` it; block on it with moler-runners)
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

mod awaiting;
mod background;
mod cache;
mod command;
mod completion;
mod connection;
mod decode;
mod echo;
mod error;
mod event;
mod inactivity;
mod observer;
mod prefilter;
mod prompt;
mod publish;
mod tail;
mod text;
mod transcript;

pub use awaiting::{all_done, any_done, cancel_all, separate_done, AllDone, AnyDone, Awaitable};
pub use background::{FailureScope, Unread};
pub use cache::regex as cached_regex;
pub use command::{
    Command, End, Lines, Parser, DEFAULT_COMMAND_TIMEOUT, DEFAULT_FAILURES, DEFAULT_PROMPT,
    DEFAULT_TERMINATING_PERIOD, PROMPT_QUIET,
};
pub use completion::{wakes_same_task, Assist, Completion, Mailbox, ObserverId, TimeoutAction};
pub use connection::Connection;
pub use decode::Utf8Decoder;
pub use error::{Error, ParseError, ParseResult, Report, Result};
pub use event::{MatchMode, Occurrence, Occurrences, Wait4};
pub use inactivity::{Inactivity, ObserverExt, OnInactivity};
pub use observer::{Context, Kind, Observer, Step};
pub use prefilter::Literals;
pub use prompt::PROMPT_ENDS;
pub use publish::{Publisher, Subscription};
pub use text::{strip_escapes, LineSplitter, DEFAULT_LINE_CAP};
pub use transcript::{Transcript, MASK};
