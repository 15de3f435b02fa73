//! `ping_response`: the event [`PingResponse`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{pattern_event, till, UnixEvent};

pattern_event!(
    /// `ping_response`: a reply line of ping.
    PingResponse, "ping_response",
    [r"\d+ bytes from .*(icmp_seq|seq)=\d+"], partial: false
);
