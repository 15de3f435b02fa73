//! # moler-commands: Moler's unix commands and events, with Moler's result shapes
//!
//! Each command is a struct of its parameters (Moler's keyword arguments, same names) that
//! builds a [`moler_core::Command`] with its parser; the parsed result is a typed value whose
//! JSON is exactly what Moler returns (keys, nesting, number types), checked against Moler's own
//! reference outputs. Events watch the stream for prompts, ping replies, logins and shutdowns.
//!
//! No I/O and no runtime here: results come from text fed to a [`moler_core::Connection`] by any
//! runner, or offline from a captured output.
//!
//! - Typed: `shell.run(Ls::new().options("-l").command_with_prompt(PROMPT), timeout)` gives an
//!   [`unix::LsResult`].
//! - Tested: [`FeedTester`] feeds a captured output to a parser whole, line by line and in every
//!   chunk size, and checks every way gives the same result.
//! - By name: [`Registry::command`]`("ls", &json!({"options": "-l"}))` gives an observer whose
//!   result is a `serde_json::Value`; users [register](Registry::register_command) their own.
//! - Families: [`unix`] by Moler's names, the others qualified ([`at`]: `at.get_imsi`, a modem's
//!   AT commands over its serial line).
//!
//! ```
//! use moler_commands::unix::Uname;
//! use moler_commands::UnixCommand;
//! use moler_core::Connection;
//! use std::time::Instant;
//!
//! let mut conn = Connection::new("offline");
//! let uname = conn.start(Uname::new().options("-s").command(), Instant::now());
//! conn.handle_input(b"host:~ # uname -s\nLinux\nhost:~ # ", Instant::now());
//! assert_eq!(uname.try_result().unwrap().unwrap().result, ["Linux"]);
//! ```

mod adapt;
pub mod adb;
pub mod at;
mod error;
pub mod events;
mod feed;
pub mod juniper;
pub mod offline;
mod param_info;
pub mod pdu_aten;
mod prompt_change;
mod registry;
pub mod scpi;
mod spec;
#[cfg(test)]
mod testing;
pub mod uboot;
pub mod unix;

pub use adapt::{JsonParser, MapOutput};
pub use error::ParamError;
pub use events::UnixEvent;
pub use feed::{Feed, FeedTester};
pub use param_info::ParamInfo;
pub use prompt_change::PromptChange;
pub use registry::{
    family_of, params_from_text, short_name, BuildError, Embedded, JsonObserver,
    OccurrenceCallback, Registry, COMMON_COMMAND_PARAMS,
};
pub use spec::{Empty, UnixCommand};
