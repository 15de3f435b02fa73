//! `moler-sim`: serves a simulated device (see the `moler-sim` crate docs).
//!
//! `moler-sim [--listen ADDR [--telnet] | --serial TTY] [--check] [FILE]`; without FILE the device file is
//! `$MOLER_SIM_DEVICE` (so the program can be a user's login shell, which gets no arguments,
//! or `-c COMMAND`, which is ignored). Exit status: 0 done, 2 a usage or device-file error,
//! 1 an I/O error.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut listen = None;
    let mut serial = None;
    let mut telnet = false;
    let mut check = false;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next(),
            "--telnet" => telnet = true,
            "--serial" => serial = args.next(),
            "--check" => check = true,
            // A login shell run as `shell -c COMMAND`: the device is the shell, whatever is asked.
            "-c" => {
                args.next();
            }
            "-h" | "--help" => {
                println!("usage: moler-sim [--listen ADDR [--telnet] | --serial TTY] [--check] [FILE]  (FILE defaults to ${})", moler_sim::DEVICE_VAR);
                return ExitCode::SUCCESS;
            }
            _ if a.starts_with('-') => {
                eprintln!("moler-sim: unknown option {a}");
                return ExitCode::from(2);
            }
            _ => file = Some(a),
        }
    }
    let Some(file) = file.or_else(|| std::env::var(moler_sim::DEVICE_VAR).ok()) else {
        eprintln!("moler-sim: no device file (give one, or set ${})", moler_sim::DEVICE_VAR);
        return ExitCode::from(2);
    };
    let device = match moler_sim::Device::from_file(&file) {
        Ok(d) => std::sync::Arc::new(d),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if check {
        print!("{}", device.describe());
        return ExitCode::SUCCESS;
    }
    let result = match (listen, serial) {
        (_, Some(tty)) => {
            eprintln!("moler-sim: serving {file} on {tty}");
            moler_sim::serve_tty(device, &tty)
        }
        (Some(addr), None) => {
            let protocol =
                if telnet { moler_sim::Protocol::Telnet } else { moler_sim::Protocol::Raw };
            moler_sim::Listener::bind(&addr, device, protocol).map(|l| {
                eprintln!("moler-sim: serving {file} on {} ({protocol:?})", l.addr());
                l.run_forever();
            })
        }
        (None, None) => moler_sim::serve_stdio(device),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moler-sim: {e}");
            ExitCode::from(1)
        }
    }
}
