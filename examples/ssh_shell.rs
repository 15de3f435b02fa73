//! A few commands on a remote shell over SSH.
//!
//! ```text
//! cargo run --example ssh_shell -- --host 127.0.0.1 --port 2222 --user tester --password secret
//! cargo run --example ssh_shell -- --host 10.0.0.5 --user tester --key ~/.ssh/id_ed25519
//! ```
//!
//! Other flags: `--known-hosts FILE`, `--host-key-policy strict|accept-new|off` (default
//! accept-new), `--modern` (refuse the old algorithms that old network gear needs). The remote shell
//! must be bash (the example sets its prompt).

use std::time::Duration;

use moler::moler_io::ssh::{Algorithms, HostKeyPolicy, SshOptions};
use moler::prelude::*;
use moler::SSH_PROMPT;

fn main() {
    if let Err(e) = run() {
        // The whole chain: `ssh u@host:22: handshake: <libssh2's reason>`.
        eprintln!("ssh_shell: {}", Report(&*e));
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse(std::env::args().skip(1))?;
    let remote = moler::ssh_shell(&options)?;
    println!("connected -> {} on the {} runner", remote.transport(), remote.runner().name());
    let timeout = Duration::from_secs(10);

    let ticks = remote.start(Wait4::new([r"^tick (\d)$"])?.till_occurs_times(2));
    for line in ["whoami", "uname -sr", "pwd", "for i in 1 2; do echo tick $i; done"] {
        let out = remote.run(Command::lines(line, SSH_PROMPT), timeout)?;
        println!("{line:<36} -> {out:?}");
    }
    println!("event     -> {} ticks seen in the background", ticks.wait(timeout)?.len());

    match remote.run(Command::lines("ls /no/such/dir", SSH_PROMPT), timeout) {
        Err(e) => println!("failure   -> {e}"),
        Ok(out) => println!("unexpected success: {out:?}"),
    }
    remote.close();
    Ok(())
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<SshOptions, String> {
    let (mut host, mut user) = (None, None);
    let mut options = SshOptions::new("", "");
    while let Some(flag) = args.next() {
        if flag == "--modern" {
            options.algorithms = Algorithms::modern();
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => host = Some(value),
            "--port" => options.port = value.parse().map_err(|e| format!("--port {value}: {e}"))?,
            "--user" => user = Some(value),
            "--password" => options.password = Some(value),
            "--key" => options.key_file = Some(value.into()),
            "--known-hosts" => options.known_hosts_file = Some(value.into()),
            "--host-key-policy" => {
                options.host_key_policy = match value.as_str() {
                    "strict" => HostKeyPolicy::Strict,
                    "accept-new" => HostKeyPolicy::AcceptNew,
                    "off" => HostKeyPolicy::Off,
                    other => {
                        return Err(format!("--host-key-policy {other}: strict, accept-new or off"))
                    }
                }
            }
            other => {
                return Err(format!("unknown flag {other}; see the top of examples/ssh_shell.rs"))
            }
        }
    }
    options.host = host.ok_or("--host is required")?;
    options.user = user.ok_or("--user is required")?;
    if options.password.is_none() && options.key_file.is_none() {
        return Err("give --password or --key".into());
    }
    Ok(options.with_moler_prompt())
}
