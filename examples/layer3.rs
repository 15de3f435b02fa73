//! Layer 3: connections picked by YAML. Opens the named connections of a Moler-style config
//! (a local shell and a TCP device) and runs a command on each.
//!
//! ```text
//! cargo run --example layer3 -- examples/connections.yml
//! ```
//!
//! The TCP device is the project's device simulator, started here on the port the YAML
//! names (127.0.0.1:5671) unless something already listens there. A broken config is
//! reported with its file, line and column, and exit code 2.

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use moler::config::Config;
use moler::prelude::*;

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "examples/connections.yml".into());
    let config = match Config::from_file(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for warning in &config.warnings {
        eprintln!("{warning}");
    }
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain: `cannot open …: connect to …: Connection refused …`.
            eprintln!("layer3: {}", Report(&*e));
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    let wait = Duration::from_secs(10);
    // Stand-ins for the devices of a lab: the simulator on each local TCP port the YAML names.
    let _simulators = start_simulators(config);

    let local = config.open("local")?;
    let who = local.run(Command::lines("echo \"$((6 * 7)) from $0\"", LOCAL_PROMPT), wait)?;
    println!("local   ({} runner): {}", local.runner(), who.join(" | "));

    let console = config.open("console")?;
    let hello = console.run(Command::lines("hello", moler_testkit::SIM_PROMPT_RE), wait)?;
    println!("console ({} runner): {}", console.runner(), hello.join(" | "));
    Ok(())
}

fn start_simulators(config: &Config) -> Vec<moler_testkit::Simulator> {
    let mut running = Vec::new();
    for c in config.connections.iter().filter(|c| c.spec.io_type.value == "tcp") {
        let params = c.spec.params();
        let host = params.node("host").and_then(|n| n.as_str()).unwrap_or("localhost");
        let port = params.node("port").map(|n| n.to_json().as_u64().unwrap_or(0)).unwrap_or(0);
        let Ok(port) = u16::try_from(port) else { continue };
        if !matches!(host, "127.0.0.1" | "localhost") || port == 0 {
            continue;
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if TcpListener::bind(addr).is_err() {
            eprintln!("layer3: something listens on {addr} already; talking to it");
            continue;
        }
        match moler_testkit::Simulator::start_on(addr) {
            Ok(sim) => running.push(sim),
            Err(e) => eprintln!("layer3: no simulator on {addr}: {e}"),
        }
    }
    running
}
