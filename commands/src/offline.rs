//! Parsing a captured output without a device: the prompt and echoed command line, the output,
//! and the final prompt, fed to a command as if a device had sent them.

use std::time::Instant;

use moler_core::{Connection, Error, Observer, Result};

use crate::{params_from_text, BuildError, JsonObserver, Registry};

/// Feeds `captured` to `command` in the given pieces and returns its result. A capture that
/// ends before the command's final prompt gives a clear error, not a hang.
///
/// ```
/// use moler_commands::{offline, Registry};
/// use serde_json::json;
///
/// let ls = Registry::default().command("pwd", &json!({})).unwrap();
/// let result = offline::parse(ls, [&b"user@host:~$ pwd\n/home/user\nuser@host:~$ "[..]]).unwrap();
/// assert_eq!(result["current_path"], "user");
/// ```
pub fn parse<'a, O: Observer>(
    command: O,
    captured: impl IntoIterator<Item = &'a [u8]>,
) -> Result<O::Output> {
    let now = Instant::now();
    let mut conn = Connection::new("offline");
    let described = command.describe();
    let what = described
        .strip_prefix("command '")
        .and_then(|d| d.strip_suffix('\''))
        .unwrap_or(&described)
        .to_owned();
    let done = conn.start(command, now);
    for piece in captured {
        conn.handle_input(piece, now);
        if done.is_done() {
            break;
        }
    }
    match done.try_result() {
        Some(result) => result,
        None => {
            conn.close();
            Err(Error::Parse {
                command: what,
                message: "the captured output ends before the command finished (is its final \
                          prompt there, and does the prompt regex match it?)"
                    .into(),
            })
        }
    }
}

/// The command `name` as `moler parse NAME --params TEXT --prompt REGEX` builds it: `params` is
/// JSON or YAML text (empty for none, see [`params_from_text`]), `prompt` the regex of the
/// prompt that ends the output (`None`: the default prompt). The CLI and the fuzz target share
/// it, so what is fuzzed is what the CLI runs.
///
/// ```
/// use moler_commands::{offline, Registry};
///
/// let pwd = offline::command_from_text(&Registry::default(), "pwd", "", Some("^host# ")).unwrap();
/// let result = offline::parse(pwd, [&b"host# pwd\n/root\nhost# "[..]]).unwrap();
/// assert_eq!(result["current_path"], "root");
/// ```
pub fn command_from_text(
    registry: &Registry,
    name: &str,
    params: &str,
    prompt: Option<&str>,
) -> std::result::Result<JsonObserver, BuildError> {
    let params = params_from_text(params)?;
    registry.command_for_prompt(name, &params, prompt)
}

/// Splits `text` after each `\n`: the pieces a line-by-line feed gives.
pub fn lines_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == b'\n')
}
