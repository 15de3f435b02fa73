//! Moler's AT commands (`moler.cmd.at`): a cellular modem driven over its serial line, one
//! module per command (`get_imsi.rs` holds [`GetImsi`], its result and its parser). Each struct
//! holds the command's parameters (Moler's names) and implements
//! [`UnixCommand`](crate::UnixCommand); its result type serializes to Moler's shape. The
//! registry knows them as `at.<name>` (`at.get_imsi`; `get_imsi` too, while no other family
//! has the name).
//!
//! What they share (`generic`, Moler's `GenericAtCommand`): the line sent is echoed by the
//! modem (`ATE1`, its default); the command ends on the modem's final result code, [`AT_PROMPT`]
//! unless a prompt is given (`OK`, or an error code); an error code (`ERROR`, `NO CARRIER`,
//! `+CME ERROR: <code>`, `+CMS ERROR: <code>`) fails it at once ([`AtParser`]). Commands whose
//! answer has no final `OK` (`get_imei` by default, `get_manufacturer_id`, `get_revision_id`)
//! end on their answer. `registration` reads the `+CREG`-family lines of the four
//! `get_cell_id*` commands; `hop` is the dialog of `cu` and `plink_serial`, the shell commands
//! that open the serial line (the hop into `AT_REMOTE`). `register_all` is the one list of the
//! family's commands.
//!
//! ```
//! use moler_commands::Registry;
//! use moler_core::Connection;
//! use serde_json::json;
//! use std::time::Instant;
//!
//! let registry = Registry::default();
//! let mut modem = Connection::new("modem");
//! let state = modem.start(registry.command("at.get_attach_state", &json!({})).unwrap(), Instant::now());
//! modem.handle_input(b"AT+CGATT?\r\r\n+CGATT: 1\r\n\r\nOK\r\n", Instant::now());
//! assert_eq!(state.try_result().unwrap().unwrap(), json!({"state": "attached"}));
//! ```

mod generic;
mod hop;
mod registration;

// The room of Moler's `at` command (one module per command, by Moler's name).
#[allow(clippy::module_inception)]
mod at;
mod attach;
mod create_pdu_session;
mod cu;
mod detach;
mod enable_echo;
mod exit_cu;
mod exit_serial_proxy;
mod fibocom_get_cell_info;
mod fibocom_ip_pass_through;
mod get_apns;
mod get_attach_state;
mod get_cell_id;
mod get_cell_id_gprs;
mod get_cell_id_lte;
mod get_cell_id_nr;
mod get_functionality_level;
mod get_imei;
mod get_imsi;
mod get_ip;
mod get_manufacturer_id;
mod get_product_info;
mod get_revision_id;
mod gt_cell_lock;
mod plink_serial;
mod quectel_lock_nr_earfcn;
mod quectel_network_preferences;
mod release_pdu_session;
mod run_script;
mod set_apn;
mod set_cell_id;
mod set_cell_id_gprs;
mod set_cell_id_lte;
mod set_cell_id_nr;
mod set_functionality_level;
mod set_mode;

pub use at::At;
pub use attach::Attach;
pub use create_pdu_session::CreatePduSession;
pub use cu::Cu;
pub use detach::Detach;
pub use enable_echo::EnableEcho;
pub use exit_cu::{ExitCu, ExitCuParser};
pub use exit_serial_proxy::{ExitSerialProxy, ExitSerialProxyParser};
pub use fibocom_get_cell_info::{FibocomCellInfo, FibocomGetCellInfo, FibocomGetCellInfoParser};
pub use fibocom_ip_pass_through::FibocomIpPassThrough;
pub use generic::{is_error_code, AtParser, AtValue, PyRegex, PyRegexes, ValueParser, AT_PROMPT};
pub use get_apns::{Apn, GetApns, GetApnsParser};
pub use get_attach_state::{GetAttachState, GetAttachStateParser, GetAttachStateResult};
pub use get_cell_id::{GetCellId, GetCellIdResult};
pub use get_cell_id_gprs::GetCellIdGprs;
pub use get_cell_id_lte::GetCellIdLte;
pub use get_cell_id_nr::GetCellIdNr;
pub use get_functionality_level::{
    GetFunctionalityLevel, GetFunctionalityLevelParser, GetFunctionalityLevelResult,
};
pub use get_imei::{GetImei, GetImeiParser, GetImeiResult};
pub use get_imsi::{GetImsi, GetImsiParser, GetImsiResult};
pub use get_ip::{GetIp, GetIpParser, GetIpResult};
pub use get_manufacturer_id::{
    GetManufacturerId, GetManufacturerIdParser, GetManufacturerIdResult,
};
pub use get_product_info::{GetProductInfo, GetProductInfoParser};
pub use get_revision_id::{GetRevisionId, GetRevisionIdParser, GetRevisionIdResult};
pub use gt_cell_lock::GtCellLock;
pub use hop::SerialHopParser;
pub use plink_serial::PlinkSerial;
pub use quectel_lock_nr_earfcn::QuectelLockNrEarfcn;
pub use quectel_network_preferences::QuectelNetworkPreferences;
pub use registration::{Registration, RegistrationParser};
pub use release_pdu_session::ReleasePduSession;
pub use run_script::{RunScript, RunScriptParser};
pub use set_apn::SetApn;
pub use set_cell_id::SetCellId;
pub use set_cell_id_gprs::SetCellIdGprs;
pub use set_cell_id_lte::SetCellIdLte;
pub use set_cell_id_nr::SetCellIdNr;
pub use set_functionality_level::SetFunctionalityLevel;
pub use set_mode::{SetMode, MODES};

use crate::Registry;

/// Registers every command of the AT family as `at.<name>`: the one list to extend when a
/// command is added.
pub(crate) fn register_all(r: &mut Registry) {
    r.register_command_as::<At>("at.at")
        .register_command_as::<Attach>("at.attach")
        .register_command_as::<CreatePduSession>("at.create_pdu_session")
        .register_command_as::<Cu>("at.cu")
        .register_command_as::<Detach>("at.detach")
        .register_command_as::<EnableEcho>("at.enable_echo")
        .register_command_as::<ExitCu>("at.exit_cu")
        .register_command_as::<ExitSerialProxy>("at.exit_serial_proxy")
        .register_command_as::<FibocomGetCellInfo>("at.fibocom_get_cell_info")
        .register_command_as::<FibocomIpPassThrough>("at.fibocom_ip_pass_through")
        .register_command_as::<GetApns>("at.get_apns")
        .register_command_as::<GetAttachState>("at.get_attach_state")
        .register_command_as::<GetCellId>("at.get_cell_id")
        .register_command_as::<GetCellIdGprs>("at.get_cell_id_gprs")
        .register_command_as::<GetCellIdLte>("at.get_cell_id_lte")
        .register_command_as::<GetCellIdNr>("at.get_cell_id_nr")
        .register_command_as::<GetFunctionalityLevel>("at.get_functionality_level")
        .register_command_as::<GetImei>("at.get_imei")
        .register_command_as::<GetImsi>("at.get_imsi")
        .register_command_as::<GetIp>("at.get_ip")
        .register_command_as::<GetManufacturerId>("at.get_manufacturer_id")
        .register_command_as::<GetProductInfo>("at.get_product_info")
        .register_command_as::<GetRevisionId>("at.get_revision_id")
        .register_command_as::<GtCellLock>("at.gt_cell_lock")
        .register_command_as::<PlinkSerial>("at.plink_serial")
        .register_command_as::<QuectelLockNrEarfcn>("at.quectel_lock_nr_earfcn")
        .register_command_as::<QuectelNetworkPreferences>("at.quectel_network_preferences")
        .register_command_as::<ReleasePduSession>("at.release_pdu_session")
        .register_command_as::<RunScript>("at.run_script")
        .register_command_as::<SetApn>("at.set_apn")
        .register_command_as::<SetCellId>("at.set_cell_id")
        .register_command_as::<SetCellIdGprs>("at.set_cell_id_gprs")
        .register_command_as::<SetCellIdLte>("at.set_cell_id_lte")
        .register_command_as::<SetCellIdNr>("at.set_cell_id_nr")
        .register_command_as::<SetFunctionalityLevel>("at.set_functionality_level")
        .register_command_as::<SetMode>("at.set_mode");
}
