//! # moler-runners: drive a connection over a transport
//!
//! A runner owns the I/O of one [`moler_core::Connection`]: it feeds what the transport reads
//! into the connection, writes what the connection's observers send, and wakes the connection at
//! its deadlines. What you get back is a [`ConnectionHandle`]: start commands and events on it
//! from any thread and wait on (or `.await`) their [`Completion`]s.
//!
//! ```text
//!  user threads ── start/cancel/wait ──► Mailbox ─┐
//!                                                  ▼
//!  reader thread: read() ──► handle_input ──► [Connection under a mutex] ──► writer (no lock held)
//!  deadline thread: sleeps until poll_timeout() ──► handle_timeout ─┘
//! ```
//!
//! ```
//! use moler_runners::ThreadRunner;
//! use moler_core::Command;
//! use std::time::Duration;
//!
//! let (io, device) = moler_io::memory::pair("demo");
//! let conn = ThreadRunner::new().spawn("demo", io).unwrap();
//! device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
//! let lines = conn.run(Command::lines("pwd", "^moler_bash# "), Duration::from_secs(5)).unwrap();
//! assert_eq!(lines, ["/root"]);
//! ```

mod thread;

pub use moler_core::Completion;
pub use thread::{ConnectionHandle, ThreadRunner};
