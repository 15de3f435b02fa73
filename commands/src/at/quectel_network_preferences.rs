//! `quectel_network_preferences`: [`QuectelNetworkPreferences`] and its parameters.

use serde::{Deserialize, Serialize};

use super::generic::{at_command, one_line, quoted, required_value, AtValue};
use crate::unix::Nothing;

/// `AT+QNWPREFCFG="<config_option>",<option_value>` (Quectel): sets a network searching
/// preference (`mode_pref` to `LTE:NR5G`, `nr5g_band` to `66`…); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuectelNetworkPreferences {
    /// The preference's name.
    pub config_option: String,
    /// Its value, as it goes on the line.
    pub option_value: AtValue,
}

impl QuectelNetworkPreferences {
    /// Sets `config_option` to `option_value`.
    pub fn new(config_option: impl Into<String>, option_value: impl Into<AtValue>) -> Self {
        Self { config_option: config_option.into(), option_value: option_value.into() }
    }
}

at_command!(QuectelNetworkPreferences, "quectel_network_preferences", Nothing, |s| Nothing,
    line: |l| {
        let option = quoted("config_option", required_value("config_option", &l.config_option)?)?;
        let value = l.option_value.to_string();
        one_line("option_value", &value)?;
        Ok(format!(r#"AT+QNWPREFCFG="{option}",{value}"#))
    }, setup: |c| c.ret_required(false));
