//! Parses a captured command output offline and prints Moler's result as JSON.
//!
//! ```text
//! cargo run --example parse -- <command> [--params '<json or yaml>'] [--prompt REGEX] < captured.txt
//! ```
//!
//! The capture is what a terminal showed: the prompt and the echoed command line, the output,
//! and the final prompt. Example:
//!
//! ```text
//! printf 'host:~ # ls -l\ntotal 0\n-rw-r--r-- 1 a b 5 Nov 21 09:00 f\nhost:~ # ' |
//!     cargo run --example parse -- ls --params '{"options": "-l"}'
//! ```
//!
//! Exit status: 0 parsed, 1 the command failed or the capture is incomplete, 2 usage error.

use std::io::Read;
use std::process::ExitCode;

use moler::commands::{offline, params_from_text, Registry};

const USAGE: &str = "usage: parse <command> [--params JSON|YAML] [--prompt REGEX] < captured.txt";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut name, mut params, mut prompt) = (None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--params" => params = it.next().cloned(),
            "--prompt" => prompt = it.next().cloned(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') || name.is_some() => {
                return usage(&format!("unexpected {a:?}"))
            }
            a => name = Some(a.to_owned()),
        }
    }
    let Some(name) = name else { return usage("no command given") };
    let registry = Registry::default();
    let params = match params_from_text(params.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => return usage(&e.to_string()),
    };
    let command = match registry.command_for_prompt(&name, &params, prompt.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let mut captured = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut captured) {
        eprintln!("parse: reading stdin: {e}");
        return ExitCode::from(2);
    }
    match offline::parse(command, [captured.as_slice()]) {
        Ok(result) => {
            println!("{}", serde_json::to_string_pretty(&result).expect("JSON values print"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("parse: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("parse: {message}\n{USAGE}");
    ExitCode::from(2)
}
