//! `ping_no_response`: the event [`PingNoResponse`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{pattern_event, till, UnixEvent};

pattern_event!(
    /// `ping_no_response`: ping reporting no reply.
    PingNoResponse, "ping_no_response",
    [r"(Destination (Host|Net|Port) Unreachable|no answer yet for icmp_seq=\d+|Request timeout for icmp_seq|100% packet loss)"],
    partial: false
);
