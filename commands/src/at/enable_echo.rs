//! `enable_echo`: [`EnableEcho`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `ATE1`: turn the modem's echo on; result `{}`.
    EnableEcho, "enable_echo", "ATE1"
);
