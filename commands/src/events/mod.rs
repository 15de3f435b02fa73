//! Moler's events, one module per event, named as Moler names them (`wait4prompt.rs` holds
//! [`Wait4Prompt`]): prompts, ping replies, logins, warnings, boots and the generic line
//! events of each device family. Each occurrence has Moler's shape (its `event_data`,
//! including `time`); `register_all` is the one list of the events the registry knows by
//! name.
//!
//! ```
//! use moler_commands::events::PingResponse;
//! use moler_commands::UnixEvent;
//! use moler_core::Connection;
//! use std::time::Instant;
//!
//! let mut conn = Connection::new("demo");
//! let t = Instant::now();
//! let event = PingResponse { till_occurs_times: Some(1) }.event().unwrap();
//! let done = conn.start(event, t);
//! conn.handle_input(b"64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.1 ms\n", t);
//! let found = done.try_result().unwrap().unwrap();
//! assert_eq!((found[0].line.as_str(), found[0].time), ("64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.1 ms", t));
//! ```

mod advise_to_change_your_password;
mod failed_login_counter;
mod genericjuniper_ex_lineevent;
mod genericjuniper_lineevent;
mod genericscpi_lineevent;
mod genericshared_lineevent;
mod genericunix_lineevent;
mod last_failed_login;
mod last_login;
mod line_event;
mod password_prompt;
mod ping_no_response;
mod ping_response;
mod private_system;
mod records;
mod shutdown;
mod u_boot_crtm;
mod wait4;
mod wait4prompt;
mod wait4prompts;
mod warning_default_password;

pub use advise_to_change_your_password::{AdviseToChangeYourPassword, PasswordAdvice};
pub use failed_login_counter::FailedLoginCounter;
pub use genericjuniper_ex_lineevent::GenericJuniperExLineEvent;
pub use genericjuniper_lineevent::GenericJuniperLineEvent;
pub use genericscpi_lineevent::GenericScpiLineEvent;
pub use genericshared_lineevent::GenericSharedLineEvent;
pub use genericunix_lineevent::GenericUnixLineEvent;
pub use last_failed_login::LastFailedLogin;
pub use last_login::{LastLoginEvent, LoginSeen};
pub use line_event::LineRecord;
pub use password_prompt::{PasswordPrompt, PasswordSeen};
pub use ping_no_response::PingNoResponse;
pub use ping_response::PingResponse;
pub use private_system::PrivateSystem;
pub use records::{iso_utc, wall_clock, Fold, LineOccurrence, Records, Retarget};
pub use shutdown::Shutdown;
pub use u_boot_crtm::{UBootCrtm, UBootCrtmSeen};
pub use wait4::Wait4Event;
pub use wait4prompt::Wait4Prompt;
pub use wait4prompts::{PromptSeen, PromptsChange, Wait4Prompts};
pub use warning_default_password::WarningDefaultPassword;

use moler_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Registry;

/// An event of the library: its parameters are the struct itself (Moler's names), its
/// occurrences are [`UnixEvent::Record`]s.
///
/// ```
/// use moler_commands::events::{LineOccurrence, Records};
/// use moler_commands::UnixEvent;
/// use moler_core::{Result, Wait4};
///
/// /// Kernel oopses.
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Oops {}
///
/// impl UnixEvent for Oops {
///     const NAME: &'static str = "oops";
///     type Record = LineOccurrence;
///     fn event(&self) -> Result<Records<LineOccurrence>> {
///         let oops = Wait4::new([r"Oops: (\w+)"])?;
///         Ok(Records::new(oops, Some(1), |o| Some(LineOccurrence::from_occurrence(o))))
///     }
/// }
/// let mut registry = moler_commands::Registry::default();
/// registry.register_event::<Oops>();
/// assert!(registry.event("oops", &serde_json::json!({})).is_ok());
/// ```
pub trait UnixEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Moler's name of the event.
    const NAME: &'static str;
    /// One occurrence (Moler's `event_data`); the event finishes with a list of them.
    type Record: Serialize + Clone + Send + 'static;
    /// The observer; an error names a bad parameter.
    fn event(&self) -> Result<Records<Self::Record>>;
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
        .register_event::<LastFailedLogin>()
        .register_event::<AdviseToChangeYourPassword>()
        .register_event::<PrivateSystem>()
        .register_event::<UBootCrtm>()
        .register_event::<WarningDefaultPassword>()
        .register_event::<GenericUnixLineEvent>()
        .register_event::<GenericSharedLineEvent>()
        .register_event::<GenericJuniperLineEvent>()
        .register_event::<GenericJuniperExLineEvent>()
        .register_event::<GenericScpiLineEvent>();
}

/// Moler's `till_occurs_times`: a count, or `-1` for "until cancelled" (`None`); `default`
/// when absent.
pub(crate) fn till(times: Option<i64>, default: i64) -> Result<Option<usize>> {
    match times.unwrap_or(default) {
        -1 => Ok(None),
        n if n > 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        n => Err(Error::WrongUsage(format!("till_occurs_times must be -1 or > 0, not {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `till_occurs_times`: `-1` until cancelled, a count above 0, nothing else (Moler's
    /// default when absent).
    #[test]
    fn till_occurs_times_is_minus_one_or_a_count() {
        assert_eq!(till(Some(-1), 1).unwrap(), None);
        assert_eq!(till(Some(3), -1).unwrap(), Some(3));
        assert_eq!(till(None, -1).unwrap(), None);
        assert_eq!(till(None, 1).unwrap(), Some(1));
        for bad in [0, -2, i64::MIN] {
            let err = till(Some(bad), -1).unwrap_err().to_string();
            assert!(
                err.contains(&format!("till_occurs_times must be -1 or > 0, not {bad}")),
                "{err}"
            );
        }
        // By name, as a config gives it.
        let registry = crate::Registry::default();
        let params = serde_json::json!({"detect_patterns": ["x"], "till_occurs_times": 0});
        assert!(registry.event("wait4", &params).is_err());
    }
}
