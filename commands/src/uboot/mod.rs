//! The U-Boot family (not one of Moler's): the hops of an embedded board's serial console
//! between the boot loader and Linux. [`StopAutoboot`] stops the countdown and ends at
//! U-Boot's prompt (from power-on, or from Linux with `command: reboot`); [`Boot`] boots Linux
//! from U-Boot and logs in on the console. Registered as `uboot.stop_autoboot` and
//! `uboot.boot` ([`register_all`]); a board's class is a `DEVICE_CLASSES` entry whose hops use
//! them (README: "A board on its serial console").

mod boot;
mod stop_autoboot;

pub use boot::{Boot, BootParser};
pub use stop_autoboot::{StopAutoboot, StopAutobootParser};

use crate::Registry;

/// U-Boot's prompt unless one is given (`=> `, the usual `CONFIG_SYS_PROMPT`).
pub const UBOOT_PROMPT: &str = r"^=> ";

/// Registers the family's commands under their qualified names (`uboot.boot`).
pub fn register_all(r: &mut Registry) {
    r.register_command_as::<StopAutoboot>("uboot.stop_autoboot")
        .register_command_as::<Boot>("uboot.boot");
}

/// A user's regex, or a clear error naming the parameter.
fn checked(name: &str, pattern: &str) -> Result<std::sync::Arc<regex::Regex>, crate::ParamError> {
    moler_core::cached_regex(pattern)
        .map_err(|e| format!("{name} {pattern:?} is not a valid regex: {e}").into())
}
