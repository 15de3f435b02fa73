//! `at`: [`At`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `AT`: is the AT console there? Result `{}`.
    At, "at", "AT"
);
