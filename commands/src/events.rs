//! Moler's unix events: prompts, ping replies, logins, shutdowns.

use moler_core::{Observer, Result};
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
pub(crate) fn register_all(_r: &mut Registry) {}
