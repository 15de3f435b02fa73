//! `shutdown`: the event [`Shutdown`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{pattern_event, till, UnixEvent};

pattern_event!(
    /// `shutdown`: `The system is going down for reboot at …` (groups: what, when).
    Shutdown, "shutdown",
    [r"system is going down for (\w+) at (.+)"], partial: false
);
