//! A modem on a serial line: `moler::serial` opens the port with its settings, commands run on
//! it, a break is sent, the settings are read back.
//!
//! `cargo run --example serial_modem` needs no hardware: the "port" is the slave side of a
//! pseudo-terminal whose master side the simulated modem serves (moler-sim, the same
//! `at_modem.yml` as `moler-sim --serial`). With a real modem, open `/dev/ttyUSB0` instead.

use std::time::Duration;

use moler::moler_io::serial::{SerialOptions, SerialSettings};
use moler::prelude::*;
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

const MODEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/moler-sim/devices/at_modem.yml");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The line: a pty pair; its slave side is the port the modem sits behind.
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let port = ptsname(&master, Vec::new())?.into_string().map_err(|_| "a non-UTF-8 pty name")?;

    let options = SerialOptions {
        settings: SerialSettings { baud_rate: 115_200, ..Default::default() },
        ..SerialOptions::new(&port)
    };
    let modem = moler::serial(&options)?;
    // The modem answers once the port is open (raw mode: no echo from the line itself).
    let device = std::sync::Arc::new(moler_sim::Device::from_file(MODEM)?);
    std::thread::spawn(move || moler_sim::serve_terminal(device, master));

    // AT commands end with their final OK; the modem echoes the command first.
    let t = Duration::from_secs(10);
    let imsi = modem.run(Command::lines("AT+CIMI", "^OK$"), t)?;
    println!("IMSI: {}", imsi[0]);
    let maker = modem.run(Command::lines("AT+CGMI", "^OK$"), t)?;
    println!("made by: {}", maker[0]);
    modem.send_break()?;
    let settings = modem.control().and_then(|c| c.serial_settings()).ok_or("no settings")?;
    println!("{port} at {settings} after a break");
    assert_eq!(imsi, ["440801200189934"]);
    Ok(())
}
