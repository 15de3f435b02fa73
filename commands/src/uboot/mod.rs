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

#[cfg(test)]
mod tests {
    use crate::{BuildError, Registry};

    /// A regex that does not compile names its parameter (a config shows it there).
    #[test]
    fn a_regex_that_does_not_compile_names_its_parameter() {
        let registry = Registry::default();
        for (name, params) in [
            ("uboot.stop_autoboot", serde_json::json!({"autoboot_regex": "(x"})),
            ("uboot.stop_autoboot", serde_json::json!({"expected_prompt": "(x"})),
            ("uboot.boot", serde_json::json!({"expected_prompt": "(x"})),
        ] {
            let err = registry.command(name, &params).err().expect("refused");
            let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
            let key = params.as_object().unwrap().keys().next().unwrap();
            assert_eq!(problem.parameter(), Some(key.as_str()), "{err}");
            assert_eq!(err.to_string(), format!("{name}: invalid {key} regex \"(x\""));
        }
    }
}
