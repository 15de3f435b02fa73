//! # moler-io: transports
//!
//! A transport carries the bytes of one connection. This crate opens them and hands them over
//! as a [`BlockingIo`]: a reader, a writer and a [`Close`] handle that ends the link and
//! unblocks the reader. Runners (crate `moler-runners`) drive a `moler_core::Connection` over it.
//!
//! | io_type | constructor | what |
//! |---|---|---|
//! | `memory` | [`memory::pair`] | in-process duplex for tests: inject data, answer the next write, echo, close |
//! | `terminal` | [`terminal::open`] | a local `bash` in a pseudo-terminal, prompt `moler_bash# ` |
//!
//! ```
//! use std::io::{Read, Write};
//! let (mut io, device) = moler_io::memory::pair("demo");
//! device.set_echo(true);
//! io.writer.write_all(b"hello").unwrap();
//! let mut buf = [0; 16];
//! let n = io.reader.read(&mut buf).unwrap();
//! assert_eq!(&buf[..n], b"hello");
//! io.closer.close();
//! assert_eq!(io.reader.read(&mut buf).unwrap(), 0, "end of stream after close");
//! ```

use std::io::{Read, Write};
use std::sync::Arc;

pub mod memory;
pub mod terminal;

/// Ends a transport: further reads return end of stream (or an error), further writes fail.
/// Idempotent, callable from any thread, never blocks for long.
pub trait Close: Send + Sync {
    /// Closes the link.
    fn close(&self);
}

/// An opened blocking transport, split for a reader thread and writers.
pub struct BlockingIo {
    /// A name for errors and logs (`terminal`, `memory:demo`, …).
    pub name: String,
    /// Blocking reads; `Ok(0)` means the peer ended the stream.
    pub reader: Box<dyn Read + Send>,
    /// Blocking writes.
    pub writer: Box<dyn Write + Send>,
    /// Ends the link and unblocks `reader`.
    pub closer: Arc<dyn Close>,
}

impl std::fmt::Debug for BlockingIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingIo").field("name", &self.name).finish_non_exhaustive()
    }
}
