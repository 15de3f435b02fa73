//! Moler's adb family (`moler.cmd.adb`): [`AdbShell`], which enters an Android device's shell
//! from a local one. Registered as `adb.adb_shell` ([`register_all`]); in the device's shell
//! the unix commands apply.

mod adb_shell;

pub use crate::prompt_change::PromptChange;
pub use adb_shell::AdbShell;

use crate::Registry;

/// Registers the family's commands under their qualified names (`adb.adb_shell`).
pub fn register_all(r: &mut Registry) {
    r.register_command_as::<AdbShell>("adb.adb_shell");
}
