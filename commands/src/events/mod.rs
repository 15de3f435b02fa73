//! Moler's unix events, one module per event (`wait4prompt.rs` holds [`Wait4Prompt`]): prompts,
//! ping replies, logins, shutdowns. `register_all` is the one list of the events the registry
//! knows by name.

mod failed_login_counter;
mod last_failed_login;
mod last_login;
mod password_prompt;
mod ping_no_response;
mod ping_response;
mod shutdown;
mod wait4;
mod wait4prompt;
mod wait4prompts;

pub use failed_login_counter::{FailedLoginCounter, NumberedOccurrence};
pub use last_failed_login::LastFailedLogin;
pub use last_login::{LastLoginEvent, LoginSeen};
pub use password_prompt::PasswordPrompt;
pub use ping_no_response::PingNoResponse;
pub use ping_response::PingResponse;
pub use shutdown::Shutdown;
pub use wait4::Wait4Event;
pub use wait4prompt::Wait4Prompt;
pub use wait4prompts::{PromptSeen, Wait4Prompts};

use moler_core::{Error, Observer, Result, Wait4};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Registry;

/// An event of the library: its parameters are the struct itself (Moler's names).
pub trait UnixEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Moler's name of the event.
    const NAME: &'static str;
    /// The observer.
    type Event: Observer<Output = Self::Output>;
    /// What it finishes with.
    type Output: Serialize + Send + 'static;
    /// The observer; an error names a bad parameter.
    fn event(&self) -> Result<Self::Event>;
}

/// Registers every event of this module under its Moler name.
pub(crate) fn register_all(r: &mut Registry) {
    r.register_event::<Wait4Event>()
        .register_event::<Wait4Prompt>()
        .register_event::<Wait4Prompts>()
        .register_event::<PingResponse>()
        .register_event::<PingNoResponse>()
        .register_event::<PasswordPrompt>()
        .register_event::<Shutdown>()
        .register_event::<FailedLoginCounter>()
        .register_event::<LastLoginEvent>()
        .register_event::<LastFailedLogin>();
}

/// Moler's `till_occurs_times`: a count, or `-1` (or absent) for "until cancelled".
pub(crate) fn till(event: Wait4, times: Option<i64>) -> Result<Wait4> {
    match times {
        None | Some(-1) => Ok(event),
        Some(n) if n > 0 => Ok(event.till_occurs_times(n as usize)),
        Some(n) => Err(Error::WrongUsage(format!("till_occurs_times must be -1 or > 0, not {n}"))),
    }
}
