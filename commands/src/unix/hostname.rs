//! `hostname`: [`Hostname`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{own_errors, FirstLine};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `hostname [options]`; result `{"hostname": name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hostname {
    /// `-f`, `-i`…
    pub options: Option<String>,
}
builder!(Hostname {}, options);

/// Result of [`Hostname`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostnameResult {
    /// The host name.
    pub hostname: String,
}

unix_command!(Hostname, "hostname", FirstLine<HostnameResult>,
    |s| FirstLine::new(|hostname| HostnameResult { hostname }),
    line: |s| {
        let mut line = "hostname".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "hostname"));
