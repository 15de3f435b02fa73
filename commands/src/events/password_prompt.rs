//! `password_prompt`: the event [`PasswordPrompt`].

use moler_core::{Occurrence, Result, Wait4};
use serde::{Deserialize, Serialize};

use super::{pattern_event, till, UnixEvent};

pattern_event!(
    /// `password_prompt`: a password (or passphrase) question, also without a line end.
    PasswordPrompt, "password_prompt",
    [r"(?i)(password|passphrase)[^:\n]*:\s*$"], partial: true
);
