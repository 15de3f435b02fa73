//! Moler's unix commands. Each struct holds the command's parameters (Moler's names) and
//! implements [`UnixCommand`](crate::UnixCommand); its result type serializes to Moler's shape.

mod basic;
mod files;
mod ip;
mod login;
mod net;
mod parse;
mod procs;
mod search;
mod sockets;
mod system;

pub use basic::*;
pub use files::*;
pub use ip::*;
pub use login::*;
pub use net::*;
pub(crate) use parse::number_or_text;
pub use parse::{CollectLines, LinesResult, Nothing, ResultLines};
pub use procs::*;
pub use search::*;
pub use sockets::*;
pub use system::*;

use crate::Registry;

/// Registers every command of this module under its Moler name.
pub(crate) fn register_all(r: &mut Registry) {
    r.register_command::<Cat>()
        .register_command::<Cd>()
        .register_command::<Chmod>()
        .register_command::<Cp>()
        .register_command::<CtrlC>()
        .register_command::<Echo>()
        .register_command::<Enter>()
        .register_command::<Exit>()
        .register_command::<Head>()
        .register_command::<Hostname>()
        .register_command::<Md5sum>()
        .register_command::<Mkdir>()
        .register_command::<Mv>()
        .register_command::<Pwd>()
        .register_command::<Rm>()
        .register_command::<Sed>()
        .register_command::<Tail>()
        .register_command::<Touch>()
        .register_command::<Uname>()
        .register_command::<Whoami>()
        .register_command::<Env>()
        .register_command::<Export>()
        .register_command::<Id>()
        .register_command::<Which>()
        .register_command::<Kill>()
        .register_command::<Date>()
        .register_command::<Ls>()
        .register_command::<Df>()
        .register_command::<Du>()
        .register_command::<Ps>()
        .register_command::<Uptime>()
        .register_command::<Ping>()
        .register_command::<Grep>()
        .register_command::<Find>()
        .register_command::<IpAddr>()
        .register_command::<IpLink>()
        .register_command::<IpRoute>()
        .register_command::<Ifconfig>()
        .register_command::<Netstat>()
        .register_command::<Ss>()
        .register_command::<Ssh>()
        .register_command::<Telnet>()
        .register_command::<Sudo>()
        .register_command::<Su>();
}
