//! `attach`: [`Attach`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `AT+CGATT=1`: attach to the packet domain (timeout 180 s, as Moler's); result `{}`.
    Attach, "attach", "AT+CGATT=1", timeout: 180
);
