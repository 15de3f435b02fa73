//! Moler's unix commands, one module per command (`ls.rs` holds [`Ls`], its parameters, its
//! result and its parser). Each struct holds the command's parameters (Moler's names) and
//! implements [`UnixCommand`](crate::UnixCommand); its result type serializes to Moler's shape.
//!
//! Shared pieces: `parse` holds the parsers and helpers several commands use, `dialog`
//! the login dialog of ssh, telnet, su, sudo and exit. `register_all` is the one list of the
//! family's commands the registry knows by name.

mod dialog;
mod parse;

mod adb_devices;
mod adb_forward;
mod adb_root;
mod bash;
mod bzip2;
mod cat;
mod cd;
mod chgrp;
mod chmod;
mod chown;
mod cp;
mod ctrl_c;
mod ctrl_z;
mod cut;
mod date;
mod devmem;
mod df;
mod dmesg;
mod du;
mod echo;
mod enter;
mod env;
mod ethtool;
mod exit;
mod exit_telnet;
mod export;
mod find;
mod grep;
mod gunzip;
mod gzip;
mod hciconfig;
mod head;
mod hexdump;
mod history;
mod hostname;
mod hostnamectl;
mod id;
mod ifconfig;
mod ip_addr;
mod ip_link;
mod ip_maddr;
mod ip_neigh;
mod ip_route;
mod iperf;
mod iperf2;
mod iperf3;
mod ipsec;
mod iptables;
mod kill;
mod killall;
mod ln;
mod logout;
mod ls;
mod lsof;
mod lxc_attach;
mod lxc_info;
mod lxc_ls;
mod md5sum;
mod mkdir;
mod mount;
mod mpstat;
mod mv;
mod netstat;
mod nft;
mod nmap;
mod nping;
mod ntpq;
mod openssl_s_client;
mod openssl_x509_text_in;
mod passwd;
mod ping;
mod pkill;
mod ps;
mod pwd;
mod reboot;
mod rm;
mod route;
mod run_script;
mod run_serial_proxy;
mod scp;
mod sed;
mod service;
mod seven_z;
mod sftp;
mod shasum;
mod socat;
mod ss;
mod ssh;
mod sshkeygen;
mod su;
mod sudo;
mod sync;
mod sysctl;
mod systemctl;
mod tail;
mod tail_latest_file;
mod tar;
mod tcpdump;
mod tee;
mod telnet;
mod top;
mod touch;
mod traceroute;
mod tshark;
mod uname;
mod unrar;
mod unxz;
mod unzip;
mod uptime;
mod useradd;
mod userdel;
mod w;
mod wget;
mod which;
mod whoami;
mod zip;

pub use adb_devices::{AdbDevice, AdbDevices, AdbDevicesParser, AdbDevicesResult};
pub use adb_forward::AdbForward;
pub use adb_root::AdbRoot;
pub use bash::Bash;
pub use bzip2::{Bzip2, FilesParser, FilesResult};
pub use cat::Cat;
pub use cd::Cd;
pub use chgrp::Chgrp;
pub use chmod::Chmod;
pub use chown::Chown;
pub use cp::Cp;
pub use ctrl_c::CtrlC;
pub use ctrl_z::{CtrlZ, CtrlZParser, CtrlZResult};
pub use cut::Cut;
pub use date::{Date, DateParser, DateResult};
pub use devmem::{Devmem, DevmemParser, DevmemResult};
pub use df::{Df, DfParser, DfResult};
pub use dialog::Passwords;
pub use dmesg::Dmesg;
pub use du::{Du, DuEntry, DuParser};
pub use echo::Echo;
pub use enter::Enter;
pub use env::Env;
pub use ethtool::{Ethtool, EthtoolParser};
pub use exit::{Exit, ExitParser};
pub use exit_telnet::{ExitTelnet, ExitTelnetParser};
pub use export::Export;
pub use find::{Find, FindParser};
pub use grep::{Grep, GrepLine, GrepMatch, GrepParser, GrepResult};
pub use gunzip::{Gunzip, GunzipDetail, GunzipLine, GunzipParser, GunzipResult};
pub use gzip::Gzip;
pub use hciconfig::{Hciconfig, HciconfigParser};
pub use head::Head;
pub use hexdump::{Hexdump, HexdumpParser};
pub use history::{History, HistoryParser};
pub use hostname::{Hostname, HostnameResult};
pub use hostnamectl::{Hostnamectl, HostnamectlResult};
pub use id::{Id, IdName, IdParser, IdResult};
pub use ifconfig::{Counters, Ifconfig, IfconfigInterface, IfconfigParser};
pub use ip_addr::{InetAddr, IpAddr, IpAddrInterface, IpAddrParser, LinkAddr};
pub use ip_link::{IpLink, IpLinkParser};
pub use ip_maddr::{IpMaddr, IpMaddrParser, MaddrInterface, MaddrItem};
pub use ip_neigh::{IpNeigh, IpNeighParser, Neighbour};
pub use ip_route::{IpRoute, IpRouteEntry, IpRouteParser, IpRouteResult};
pub use iperf::{Iperf, IperfV1Parser};
pub use iperf2::{
    Iperf2, IperfConnection, IperfParser, IperfRecord, IperfResult, IperfStats, SERVER_QUIET,
};
pub use iperf3::Iperf3;
pub use ipsec::{Ipsec, IpsecParser};
pub use iptables::{Iptables, IptablesParser};
pub use kill::{Kill, KillParser, KillResult};
pub use killall::{Killall, KillallParser, KillallResult};
pub use ln::Ln;
pub use logout::Logout;
pub use ls::{Ls, LsEntry, LsFiles, LsNames, LsParser, LsResult, LsTotal};
pub use lsof::{Lsof, LsofParser, LsofResult};
pub use lxc_attach::{LxcAttach, LxcAttachParser};
pub use lxc_info::{LxcInfo, LxcInfoParser, LxcInfoResult};
pub use lxc_ls::{LxcLs, LxcLsParser, LxcLsResult};
pub use md5sum::{Md5sum, Md5sumParser, Md5sumResult};
pub use mkdir::Mkdir;
pub use mount::{Mount, MountParser, MountPoint, MountResult};
pub use mpstat::{Mpstat, MpstatCpu, MpstatParser, MpstatResult};
pub use mv::Mv;
pub use netstat::{InternetConnection, Netstat, NetstatParser, NetstatResult, UnixSocket};
pub use nft::{Nft, NftParser};
pub use nmap::{Nmap, NmapParser};
pub use nping::{Nping, NpingParser};
pub use ntpq::{Ntpq, NtpqParser};
pub use openssl_s_client::{OpensslSClient, OpensslSClientParser};
pub use openssl_x509_text_in::{OpensslX509TextIn, OpensslX509TextInParser, X509Certificate};
pub(crate) use parse::number_or_text;
pub use parse::{Answering, Words};
pub use parse::{CollectLines, FirstLine, LinesResult, Nothing, ResultLines, Variables};
pub use parse::{Pattern, Patterns};
pub use passwd::{Passwd, PasswdParser, PasswdResult};
pub use ping::{Ping, PingParser, PingReply, PingResult, PING_SLACK};
pub use pkill::Pkill;
pub use ps::{Ps, PsParser, PsResult, PsRow, PsRows, PsRowsIter, PsValue};
pub use pwd::{Pwd, PwdParser, PwdResult};
pub use reboot::{Reboot, RebootParser, RebootResult};
pub use rm::Rm;
pub use route::{Route, RouteParser, RouteResult};
pub use run_script::{RunScript, RunScriptParser};
pub use run_serial_proxy::{RunSerialProxy, RunSerialProxyParser};
pub use scp::{Scp, ScpParser, ScpResult};
pub use sed::Sed;
pub use service::{Service, ServiceParser};
pub use seven_z::{SevenZ, SevenZEntry, SevenZListing, SevenZResult};
pub use sftp::{Sftp, SftpParser, SftpResult};
pub use shasum::{Shasum, ShasumParser, ShasumResult};
pub use socat::{Socat, SocatFeatures, SocatParser, SocatResult};
pub use ss::{Socket, Ss, SsParser, SsResult};
pub use ssh::{login_date, LastLogin, LoginParser, LoginResult, Port, Ssh};
pub use sshkeygen::{Sshkeygen, SshkeygenParser};
pub use su::Su;
pub use sudo::{JsonSudoParser, Sudo, SudoParser};
pub use sync::Sync;
pub use sysctl::{Sysctl, SysctlResult};
pub use systemctl::{Systemctl, SystemctlParser};
pub use tail::Tail;
pub use tail_latest_file::{TailLatestFile, TailLatestFileParser};
pub use tar::Tar;
pub use tcpdump::{Tcpdump, TcpdumpParser};
pub use tee::Tee;
pub use telnet::Telnet;
pub use top::{Top, TopParser, TopResult};
pub use touch::Touch;
pub use traceroute::{Hop, Traceroute, TracerouteParser, TracerouteResult};
pub use tshark::{Tshark, TsharkParser};
pub use uname::Uname;
pub use unrar::{ReplaceAllParser, Unrar, UnrarResult};
pub use unxz::Unxz;
pub use unzip::{Unzip, UnzipEntry, UnzipParser, UnzipResult};
pub use uptime::{Uptime, UptimeParser, UptimeResult};
pub use useradd::Useradd;
pub use userdel::{Userdel, UserdelParser};
pub use w::{WGeneralInfo, WLine, WParser, WResult, W};
pub use wget::{Wget, WgetParser, WgetResult};
pub use which::{Which, WhichParser};
pub use whoami::{Whoami, WhoamiResult};
pub use zip::Zip;

use crate::Registry;

/// Registers every command of the unix family under its Moler name: the one list to extend
/// when a command is added.
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
        .register_command::<Su>()
        .register_command::<Tar>()
        .register_command::<Gzip>()
        .register_command::<Gunzip>()
        .register_command::<Bzip2>()
        .register_command::<Unzip>()
        .register_command::<Zip>()
        .register_command::<Unxz>()
        .register_command::<Unrar>()
        .register_command::<SevenZ>()
        // Moler's module name (`device.get_cmd(cmd_name="seven_z")`); `7z` is the reference
        // cases' name for it.
        .register_command_as::<SevenZ>("seven_z")
        .register_command::<Ln>()
        .register_command::<Chown>()
        .register_command::<Chgrp>()
        .register_command::<Sync>()
        .register_command::<Tee>()
        .register_command::<Cut>()
        .register_command::<Hexdump>()
        .register_command::<Shasum>()
        .register_command::<Sysctl>()
        .register_command::<Dmesg>()
        .register_command::<Hostnamectl>()
        .register_command::<W>()
        .register_command::<Mpstat>()
        .register_command::<Lsof>()
        .register_command::<IpNeigh>()
        .register_command::<IpMaddr>()
        .register_command::<Route>()
        .register_command::<Traceroute>()
        .register_command::<Ethtool>()
        .register_command::<Iptables>()
        .register_command::<Nft>()
        .register_command::<Killall>()
        .register_command::<Pkill>()
        .register_command::<CtrlZ>()
        .register_command::<History>()
        .register_command::<Service>()
        .register_command::<Systemctl>()
        .register_command::<Useradd>()
        .register_command::<Userdel>()
        .register_command::<Passwd>()
        .register_command::<Ntpq>()
        .register_command::<Nmap>()
        .register_command::<Nping>()
        .register_command::<Socat>()
        .register_command::<Tcpdump>()
        .register_command::<Wget>()
        .register_command::<Reboot>()
        .register_command::<Logout>()
        .register_command::<Top>()
        .register_command::<AdbDevices>()
        .register_command::<AdbForward>()
        .register_command::<AdbRoot>()
        .register_command::<Bash>()
        .register_command::<Devmem>()
        .register_command::<ExitTelnet>()
        .register_command::<Hciconfig>()
        .register_command::<Ipsec>()
        .register_command::<LxcAttach>()
        .register_command::<LxcInfo>()
        .register_command::<LxcLs>()
        .register_command::<Mount>()
        .register_command::<OpensslSClient>()
        .register_command::<OpensslX509TextIn>()
        .register_command::<RunScript>()
        .register_command::<RunSerialProxy>()
        .register_command::<Scp>()
        .register_command::<Sftp>()
        .register_command::<Sshkeygen>()
        .register_command::<TailLatestFile>()
        .register_command::<Tshark>()
        .register_command::<Iperf>()
        .register_command::<Iperf2>()
        .register_command::<Iperf3>();
}
