//! Parsing a captured output without a device: the prompt and echoed command line, the output,
//! and the final prompt, fed to a command as if a device had sent them.

use std::time::{Duration, Instant};

use moler_core::{Connection, Error, Observer, ParseError, Result};

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
    finished(command, captured).unwrap_or_else(|unfinished| Err(unfinished.into()))
}

/// A capture that ends before its command finished: the command line, and why it did not
/// finish as far as the command can tell.
struct Unfinished {
    what: String,
    why: String,
}

impl From<Unfinished> for Error {
    fn from(Unfinished { what, why }: Unfinished) -> Error {
        Error::Parse {
            command: what,
            error: ParseError::new(format!(
                "the captured output ends before the command finished{why}"
            )),
        }
    }
}

/// [`parse`], telling a command that did not finish apart (`Err`) from one that did, with its
/// result or its error (`Ok`).
fn finished<'a, O: Observer>(
    command: O,
    captured: impl IntoIterator<Item = &'a [u8]>,
) -> std::result::Result<Result<O::Output>, Unfinished> {
    let now = Instant::now();
    let mut conn = Connection::new("offline");
    let what = command_line_of(&command);
    let done = conn.start(command, now);
    for piece in captured {
        conn.handle_input(piece, now);
        if done.is_done() {
            break;
        }
    }
    if let Some(result) = done.try_result() {
        return Ok(result);
    }
    // What the command would say if it timed out now on a live device (a last line that looks
    // like a prompt the regex does not match, the prompt back with no result…): its deadline
    // is passed, then the end of any wait for the prompt after its Ctrl-C.
    let year = Duration::from_secs(366 * 24 * 3600);
    conn.handle_timeout(now + year);
    conn.handle_timeout(now + 2 * year);
    let why = match done.try_result() {
        Some(Err(Error::Timeout { hint: Some(hint), .. })) => format!(": {hint}"),
        _ => " (is its final prompt there, and does the prompt regex match it?)".to_owned(),
    };
    conn.close();
    Err(Unfinished { what, why })
}

/// The command line of a command, from its description (`command 'ls -l'`).
fn command_line_of<O: Observer>(command: &O) -> String {
    let described = command.describe();
    described
        .strip_prefix("command '")
        .and_then(|d| d.strip_suffix('\''))
        .unwrap_or(&described)
        .to_owned()
}

/// [`parse`] for a whole capture as a user saved it (prompt, command line as typed, output,
/// prompt), where the command line may be written another way than the one the command's
/// parameters make: options in another order (`ping -c 3 10.0.0.1` for `ping 10.0.0.1 -c 3`)
/// or without the command's prefix (`ssh …` for `TERM=xterm-mono ssh …`). The echo only tells
/// where the output starts (the parser never sees it), so a capture whose first line has the
/// same words as the command line, in any order, is read as showing it.
///
/// When the capture ends before the command finished, the error says what the first line
/// shows against the command line, quoting both.
///
/// ```
/// use moler_commands::{offline, Registry};
/// use serde_json::json;
///
/// let params = json!({"destination": "10.0.0.1", "options": "-c 1"});
/// let ping = Registry::default().command("ping", &params).unwrap();
/// let capture = b"host:~ # ping -c 1 10.0.0.1\n\
///     1 packets transmitted, 1 received, 0% packet loss, time 0ms\nhost:~ # ";
/// let result = offline::parse_capture(ping, capture).unwrap();
/// assert_eq!(result["packets_received"], 1);
///
/// let ping = Registry::default().command("ping", &params).unwrap();
/// let err = offline::parse_capture(ping, b"host:~ # ping -c 5 10.0.0.1\nhost:~ # ");
/// assert!(err.unwrap_err().to_string().contains(
///     "the capture's command line \"ping -c 5 10.0.0.1\" is not the one the parameters \
///      make, \"ping 10.0.0.1 -c 1\""
/// ));
/// ```
pub fn parse_capture<O: Observer>(command: O, captured: &[u8]) -> Result<O::Output> {
    let line = command_line_of(&command);
    let typed = TypedLine::find(captured, &line);
    let rewritten;
    let captured = match &typed {
        // Read as the command line itself: the echo finder then knows it.
        TypedLine::Reordered { raw_at, typed } => {
            let mut bytes = captured[..*raw_at].to_vec();
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(&captured[raw_at + typed.len()..]);
            rewritten = bytes;
            &rewritten[..]
        }
        _ => captured,
    };
    // A command line not found is why the command did not finish: said alone (the command's
    // own guess, a prompt the regex may not match, would send the reader the wrong way).
    let why = match finished(command, lines_of(captured)) {
        Ok(result) => return result,
        Err(unfinished) => match typed {
            TypedLine::Differs { typed } => format!(
                "the capture's command line {typed:?} is not the one the parameters make, \
                 {line:?} (the same words in any order would do: give the parameters it was run \
                 with), so its output was not found"
            ),
            TypedLine::Missing { first } => format!(
                "the capture's first line {first:?} does not show the command line {line:?} \
                 (a capture starts with the prompt and the command line), so its output was not \
                 found"
            ),
            _ => return Err(unfinished.into()),
        },
    };
    Err(Error::Parse { error: ParseError::new(why), command: line })
}

/// What the first line of a capture shows of a command line.
#[derive(Debug)]
enum TypedLine {
    /// The command line itself, or nothing to tell.
    Same,
    /// Its words in another order (or without its `NAME=value` prefix), found as is at
    /// byte `raw_at` of the capture.
    Reordered { raw_at: usize, typed: String },
    /// The same program with other words.
    Differs { typed: String },
    /// Not the program at all.
    Missing { first: String },
}

impl TypedLine {
    fn find(captured: &[u8], line: &str) -> TypedLine {
        // The program: the first word that is no `NAME=value` setting.
        let Some(program) = line.split_whitespace().find(|w| !w.contains('=')) else {
            return TypedLine::Same;
        };
        let wanted = &line[line.find(program).expect("a word of it")..];
        let text = String::from_utf8_lossy(captured);
        let Some((at, first)) = text
            .split_inclusive('\n')
            .scan(0, |at, l| {
                let start = *at;
                *at += l.len();
                Some((start, l))
            })
            .find(|(_, l)| !l.trim().is_empty())
        else {
            return TypedLine::Same;
        };
        let first = first.trim_end_matches(['\r', '\n']);
        if first.contains(line) {
            return TypedLine::Same;
        }
        let starts = first.match_indices(program).map(|(i, _)| i).find(|&i| {
            let before = first[..i].chars().next_back();
            let after = first[i + program.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || "-_./".contains(c))
                && after.is_none_or(char::is_whitespace)
        });
        let Some(start) = starts else {
            return TypedLine::Missing { first: moler_core::strip_escapes(first).into_owned() };
        };
        let typed = first[start..].trim_end().to_owned();
        let mut a: Vec<&str> = typed.split_whitespace().collect();
        let mut b: Vec<&str> = wanted.split_whitespace().collect();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return TypedLine::Differs { typed: moler_core::strip_escapes(&typed).into_owned() };
        }
        // Lossy decoding keeps the offsets of valid UTF-8; the raw bytes must hold it as is.
        let raw_at = at + start;
        if captured.get(raw_at..raw_at + typed.len()) == Some(typed.as_bytes()) {
            TypedLine::Reordered { raw_at, typed }
        } else {
            TypedLine::Same
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// A capture that ends with its prompt but not the command says why, as a live device's
    /// timeout would: the prompt back with no result, or a last line that looks like a prompt
    /// the regex does not match.
    #[test]
    fn a_capture_the_command_does_not_finish_on_says_why() {
        let params = serde_json::json!({"destination": "10.0.0.1", "options": "-c 2"});
        let ping =
            Registry::default().command_for_prompt("ping", &params, Some("^host:~ # ")).unwrap();
        let err = parse_capture(ping, b"host:~ # ping 10.0.0.1 -c 2\ngarbage\nhost:~ # ")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "the captured output ends before the command finished: the prompt came back, but \
                 the output gave the command no result (it waits for one: `ret_required`)"
            ),
            "{err}"
        );
        let ls = Registry::default().command_for_prompt(
            "ls",
            &serde_json::json!({}),
            Some("^host:~ # "),
        );
        let err = parse_capture(ls.unwrap(), b"host:~ # ls\nfile\nhost:~ $ ").unwrap_err();
        assert!(
            err.to_string().ends_with(
                "the captured output ends before the command finished: the last line \
                 \"host:~ $ \" looks like a prompt but does not match the prompt regex ^host:~ # "
            ),
            "{err}"
        );
        // With nothing to go on, the question as before.
        let ls = Registry::default().command("ls", &serde_json::json!({})).unwrap();
        let err = parse_capture(ls, b"").unwrap_err().to_string();
        assert!(err.ends_with("(is its final prompt there, and does the prompt regex match it?)"));
    }

    /// Without its command line, the command never finds where its output starts, so it
    /// cannot finish: that is said alone. Its own guess (no final prompt, or one the regex
    /// does not match) would send the reader to the prompt instead.
    #[test]
    fn a_capture_without_the_command_line_says_that_alone() {
        let pwd = Registry::default().command("pwd", &serde_json::json!({})).unwrap();
        let err = parse_capture(pwd, b"host# ls\n/root\nhost# ").unwrap_err();
        let Error::Parse { error, .. } = &err else { panic!("{err:?}") };
        assert_eq!(
            error.message(),
            "the capture's first line \"host# ls\" does not show the command line \"pwd\" (a \
             capture starts with the prompt and the command line), so its output was not found"
        );
        assert!(err.source().is_none(), "{:?}", err.source());
        let report = moler_core::Report(&err).to_string();
        assert!(!report.contains("ends before the command finished"), "{report}");
        // A command line shown, a final prompt the regex does not match: that is said.
        let pwd = Registry::default().command("pwd", &serde_json::json!({})).unwrap();
        let err = parse_capture(pwd, b"host# pwd\n/root\n").unwrap_err().to_string();
        assert!(err.contains("ends before the command finished"), "{err}");
    }
}
