//! Why a device could not do what was asked: [`DeviceError`] (cheap to clone, its sources
//! kept), and [`WrongState`], the failure of an observer started after its device left the
//! state it was made for.
//!
//! As in the core's errors, a variant that wraps another error says that error's message in its
//! own, and its [`source`](std::error::Error::source) goes on from that error's source: a chain
//! printed with [`moler_core::Report`] shows every text once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use moler_commands::BuildError;
use moler_config::ConfigError;
use moler_core::Error;

use crate::logging::LogError;

/// An observer made for one state of a device (its prompt, its newline) started, or was still
/// running, when the device was in another: Moler's `CommandWrongState`. Observers fail with
/// it as [`Error::Other`]; [`DeviceError::WrongState`] is how a device reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrongState {
    /// The observer.
    pub observer: String,
    /// The device.
    pub device: String,
    /// The state it was made for.
    pub made_for: String,
    /// The state the device was in.
    pub current: String,
}

impl fmt::Display for WrongState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was made for state {} of device {}, but the device is in {} now",
            self.observer, self.made_for, self.device, self.current
        )
    }
}

impl std::error::Error for WrongState {}

impl WrongState {
    /// The `WrongState` inside an observer's error, if that is what it is.
    pub fn of(error: &Error) -> Option<&WrongState> {
        match error {
            Error::Other(e) => e.downcast_ref::<WrongState>(),
            _ => None,
        }
    }
}

/// Why a device could not do what was asked. Cheap to clone (a background state change's
/// result can be handed on); every cause is kept as a source.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeviceError {
    /// The config (or a device added in code) has mistakes; each names its place.
    Config(ConfigError),
    /// No device of that name is configured.
    UnknownDevice {
        /// The name asked for.
        name: String,
        /// `; did you mean …?` or the names configured.
        hint: String,
    },
    /// The device's class has no such state.
    UnknownState {
        /// The device.
        device: String,
        /// Its class.
        class: String,
        /// The state asked for.
        state: String,
        /// `; did you mean …?` or the states it has.
        hint: String,
    },
    /// A hop (or opening the connection) failed; the device stays where it got to.
    StateChange {
        /// The device.
        device: String,
        /// The state it was in when the hop started.
        from: String,
        /// The state the hop leads to.
        to: String,
        /// The hop: `UNIX_LOCAL -> UNIX_REMOTE (ssh)`, or `opening the connection`.
        hop: String,
        /// Why.
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A background state change did not end within the time waited for it (it goes on).
    StateTimeout {
        /// The device.
        device: String,
        /// The state waited for.
        state: String,
        /// How long.
        waited: Duration,
    },
    /// The config's `LOGGER` could not be set up.
    Log(Arc<LogError>),
    /// The device has no connection (state NOT_CONNECTED): commands need one.
    NotConnected {
        /// The device.
        device: String,
        /// What was asked.
        what: String,
    },
    /// A command or event by name could not be built (unknown name, wrong parameters).
    Build {
        /// The device.
        device: String,
        /// What the registry said.
        source: Arc<BuildError>,
    },
    /// The device was removed from its factory.
    Removed {
        /// The device.
        device: String,
    },
    /// An observer was made for another state than the one the device is in.
    WrongState(WrongState),
    /// A command or event failed.
    Observer(Error),
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::Config(e) => fmt::Display::fmt(e, f),
            DeviceError::UnknownDevice { name, hint } => write!(f, "no device named {name}{hint}"),
            DeviceError::UnknownState { device, class, state, hint } => {
                write!(f, "device {device} ({class}) has no state {state}{hint}")
            }
            DeviceError::StateChange { device, from, to, hop, source } => {
                write!(f, "device {device}: cannot go from {from} to {to}: {hop} failed: {source}")
            }
            DeviceError::StateTimeout { device, state, waited } => {
                write!(f, "device {device}: still not in {state} after {waited:?}")
            }
            DeviceError::Log(e) => fmt::Display::fmt(e, f),
            DeviceError::NotConnected { device, what } => write!(
                f,
                "device {device} is NOT_CONNECTED: {what} needs a connected device (goto_state first)"
            ),
            DeviceError::Build { device, source } => write!(f, "device {device}: {source}"),
            DeviceError::Removed { device } => write!(f, "device {device} was removed"),
            DeviceError::WrongState(e) => fmt::Display::fmt(e, f),
            DeviceError::Observer(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for DeviceError {
    /// The wrapped error's own source: its message is in this one's already.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeviceError::Config(e) => e.source(),
            DeviceError::StateChange { source, .. } => source.source(),
            DeviceError::Log(e) => e.source(),
            DeviceError::Build { source, .. } => source.source(),
            DeviceError::Observer(e) => e.source(),
            _ => None,
        }
    }
}

impl From<ConfigError> for DeviceError {
    fn from(e: ConfigError) -> Self {
        DeviceError::Config(e)
    }
}

impl From<LogError> for DeviceError {
    fn from(e: LogError) -> Self {
        DeviceError::Log(Arc::new(e))
    }
}

/// An observer's error; one that is a [`WrongState`] becomes [`DeviceError::WrongState`].
impl From<Error> for DeviceError {
    fn from(e: Error) -> Self {
        match WrongState::of(&e) {
            Some(w) => DeviceError::WrongState(w.clone()),
            None => DeviceError::Observer(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_chain_shows_each_text_once_and_clones_share_the_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let closed = Error::ConnectionClosed { connection: "c".into(), reason: Some(Arc::new(io)) };
        let err = DeviceError::StateChange {
            device: "D".into(),
            from: "UNIX_LOCAL".into(),
            to: "UNIX_REMOTE".into(),
            hop: "hop UNIX_LOCAL -> UNIX_REMOTE (ssh)".into(),
            source: Arc::new(closed),
        };
        let copy = err.clone();
        assert_eq!(copy.to_string(), err.to_string());
        assert_eq!(
            moler_core::Report(&err).to_string(),
            "device D: cannot go from UNIX_LOCAL to UNIX_REMOTE: hop UNIX_LOCAL -> UNIX_REMOTE (ssh) failed: connection c closed: refused"
        );
        assert!(err.source().is_none(), "the io error has no source of its own");
    }

    #[test]
    fn a_wrong_state_observer_error_becomes_the_devices_own() {
        let w = WrongState {
            observer: "command 'pwd'".into(),
            device: "D".into(),
            made_for: "UNIX_REMOTE".into(),
            current: "UNIX_LOCAL".into(),
        };
        let observer_error = Error::Other(Arc::new(w.clone()));
        assert_eq!(WrongState::of(&observer_error), Some(&w));
        let err = DeviceError::from(observer_error);
        assert!(matches!(&err, DeviceError::WrongState(x) if *x == w));
        assert_eq!(
            err.to_string(),
            "command 'pwd' was made for state UNIX_REMOTE of device D, but the device is in UNIX_LOCAL now"
        );
    }
}
