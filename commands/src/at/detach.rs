//! `detach`: [`Detach`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `AT+CGATT=0`: detach from the packet domain; result `{}`.
    Detach, "detach", "AT+CGATT=0"
);
