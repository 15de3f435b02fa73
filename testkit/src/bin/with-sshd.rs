//! Runs a command while a test sshd listens on 127.0.0.1 (root only; see `scripts/setup-sshd.sh`).
//!
//! `with-sshd COMMAND ARGS…` replaces `{port}`, `{user}`, `{password}`, `{key}` and `{dir}` (a
//! folder removed afterwards) in the arguments, runs the command, stops the daemon and exits
//! with the command's status:
//!
//! ```text
//! cargo run -p moler-testkit --bin with-sshd -- cargo run --example ssh_shell -- \
//!     --host 127.0.0.1 --port {port} --user {user} --password {password} \
//!     --known-hosts {dir}/known_hosts
//! ```

use std::process::{Command, ExitCode};

use moler_testkit::sshd::Sshd;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, rest)) = args.split_first() else {
        eprintln!(
            "usage: with-sshd COMMAND ARGS… ({{port}} {{user}} {{password}} {{key}} {{dir}})"
        );
        return ExitCode::from(2);
    };
    let sshd = match Sshd::start() {
        Ok(sshd) => sshd,
        Err(why) => {
            eprintln!("with-sshd: no test sshd: {why}");
            return ExitCode::from(2);
        }
    };
    let user = sshd.user();
    let fill = |arg: &String| {
        arg.replace("{port}", &sshd.port().to_string())
            .replace("{user}", &user.name)
            .replace("{password}", &user.password)
            .replace("{key}", &user.key_file.to_string_lossy())
            .replace("{dir}", &sshd.dir().to_string_lossy())
    };
    let status = Command::new(program).args(rest.iter().map(fill)).status();
    drop(sshd);
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("with-sshd: {program} ended with {status}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("with-sshd: cannot run {program}: {e}");
            ExitCode::FAILURE
        }
    }
}
