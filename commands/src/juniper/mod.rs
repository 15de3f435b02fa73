//! Moler's juniper family (`moler.cmd.juniper`; `moler.cmd.juniper_ex` adds no command): the
//! moves between Junos's operational mode and its configuration mode, [`Configure`] and
//! [`ExitConfigure`]. Registered as `juniper.configure` and `juniper.exit_configure`
//! ([`register_all`]).

mod configure;
mod exit_configure;

pub use crate::prompt_change::PromptChange;
pub use configure::Configure;
pub use exit_configure::ExitConfigure;

use crate::Registry;

/// Registers the family's commands under their qualified names (`juniper.configure`).
pub fn register_all(r: &mut Registry) {
    r.register_command_as::<Configure>("juniper.configure")
        .register_command_as::<ExitConfigure>("juniper.exit_configure");
}
