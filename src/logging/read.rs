//! Reading a device log (`moler.<DEVICE>.log`) back: what was sent, what came back, and the
//! notes (state changes, commands started and finished), in order. `moler record` builds a
//! simulator file from it.
//!
//! The log is lossless for received text: a record shows the piece of text as it came, split
//! at its newlines, and a piece that ended with a newline shows an empty last line (`|`), so
//! pieces cut by reads join back exactly (carriage returns before newlines are dropped; the
//! simulator restores the device's own line end). Sent text is one line per record.

use std::fmt;

/// One record of a device log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its time stamp, as written (the config's `DATE_FORMAT`).
    pub stamp: String,
    /// What it is.
    pub kind: RecordKind,
    /// Its text: lines joined with `\n`.
    pub text: String,
    /// Its line in the file (from 1).
    pub line: usize,
}

/// What a [`Record`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// Text sent to the device (`>`); a password shows as `********`.
    Sent,
    /// Text received from the device (`<`).
    Received,
    /// A note: a state change, a command started or finished.
    Note,
}

/// A line that is not a device log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The line (from 1).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

/// The records of a device log's text, in order.
///
/// ```
/// use moler::logging::read::{read_device_log, RecordKind};
///
/// let log = "\
/// 2026-11-30 10:41:07.311 >|ls
/// 2026-11-30 10:41:07.315 <|ls
///                         |notes.txt
///                         |moler_bash#
/// ";
/// let records = read_device_log(log)?;
/// assert_eq!(records[0].kind, RecordKind::Sent);
/// assert_eq!(records[1].text, "ls\nnotes.txt\nmoler_bash#");
/// # Ok::<(), moler::logging::read::ReadError>(())
/// ```
pub fn read_device_log(text: &str) -> Result<Vec<Record>, ReadError> {
    let mut records: Vec<Record> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some((head, body)) = raw.split_once('|') else {
            if raw.trim().is_empty() {
                continue;
            }
            return Err(ReadError {
                line,
                message: format!("{raw:?} is no device log record (no `|`)"),
            });
        };
        if head.trim().is_empty() {
            let Some(last) = records.last_mut() else {
                return Err(ReadError {
                    line,
                    message: "a continued line before any record".into(),
                });
            };
            last.text.push('\n');
            last.text.push_str(body);
            continue;
        }
        let (stamp, kind) = if let Some(s) = head.strip_suffix(" >") {
            (s, RecordKind::Sent)
        } else if let Some(s) = head.strip_suffix(" <") {
            (s, RecordKind::Received)
        } else if let Some(s) = head.strip_suffix("  ") {
            (s, RecordKind::Note)
        } else {
            return Err(ReadError {
                line,
                message: format!("{head:?} ends with neither ` >`, ` <` nor two spaces"),
            });
        };
        records.push(Record { stamp: stamp.trim().to_owned(), kind, text: body.to_owned(), line });
    }
    Ok(records)
}

/// What came back from the device, as one text: the received records joined (each already
/// ends where the piece ended).
pub fn received_text(records: &[Record]) -> String {
    records.iter().filter(|r| r.kind == RecordKind::Received).map(|r| r.text.as_str()).collect()
}

/// One thing typed and what the device answered, cut from a device log ([`exchanges`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exchange {
    /// The state the device was in when it was typed (from the log's notes), if known.
    pub state: Option<String>,
    /// The line on screen when it was typed: the prompt (or a question such as `Password: `).
    pub shown: String,
    /// What was typed (without its newline); `********` for a secret; empty for the device's
    /// own first words (banner, first prompt).
    pub sent: String,
    /// The output lines after the echo, before the next prompt or question.
    pub output: Vec<String>,
    /// The line left on screen after it: the next prompt or question.
    pub next_shown: String,
    /// The state the device was in after it (from the log's notes), if known.
    pub next_state: Option<String>,
    /// The first exchange of a connection: the device's first words, nothing typed (`sent`
    /// empty). A log that devices appended to from several runs (or a device that
    /// reconnected) holds one per connection: a connection ends at its `connection closed`
    /// note, and a device made anew starts one.
    pub opens: bool,
}

/// Whether a device log's note ends a connection or starts a new one (see [`Exchange::opens`]).
fn starts_a_connection(note: &str) -> bool {
    note == "connection closed"
        || note.starts_with("connection closed: ")
        || note.starts_with("device ") && note.contains(") made, going to ")
}

/// The session in a device log as exchanges: the device's first words (`sent` empty), then
/// each line typed with the output it got and the line it left on screen. The echo of the line
/// typed is taken off the output (a secret is not echoed). Each later connection in the log
/// starts again with the device's first words ([`Exchange::opens`]).
pub fn exchanges(records: &[Record]) -> Vec<Exchange> {
    let mut out = Vec::new();
    let mut current = Exchange { opens: true, ..Exchange::default() };
    // The lines typed after `current`'s in the same write (`sendline` twice in one turn).
    let mut more: Vec<String> = Vec::new();
    let mut received = String::new();
    let mut state: Option<String> = None;
    // Lines typed before the device said anything (a prompt detection on an `sshshell`
    // types at once): answered after its first words.
    let mut ahead: Option<Vec<String>> = None;
    for (i, r) in records.iter().enumerate() {
        match r.kind {
            RecordKind::Received => received.push_str(&r.text),
            RecordKind::Note if starts_a_connection(&r.text) => {
                // What comes next is another connection's: its first words are no answer to
                // what was typed last. (Nothing to cut right after a cut.)
                if !received.is_empty() || !current.sent.is_empty() || ahead.is_some() {
                    let typed = std::mem::take(&mut more);
                    let done = std::mem::take(&mut current);
                    close_exchange(done, &typed, ahead.take(), &received, &state, &mut out);
                    received.clear();
                    current.opens = true;
                }
            }
            RecordKind::Note => {
                if let Some((_, to)) =
                    r.text.strip_prefix("changed state from ").and_then(|t| t.split_once(" to "))
                {
                    // A state's name, or (a log edited by hand, or not moler's) nothing known.
                    let to = to.trim();
                    let name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
                    state = (!to.is_empty() && to.chars().all(name)).then(|| to.to_owned());
                }
            }
            RecordKind::Sent => {
                let mut typed: Vec<String> = r
                    .text
                    .trim_end_matches(['\r', '\n'])
                    .split('\n')
                    .map(|l| l.trim_end_matches('\r').to_owned())
                    .collect();
                // What the device printed since the last line typed and up to the next one.
                let with_later = || received.clone() + &received_until_sent(&records[i + 1..]);
                // Typed before the device's first prompt: before it said anything, or after
                // first words that left nothing on screen.
                if current.opens
                    && (received.is_empty()
                        || ahead.is_none() && typed_before_prompt(&typed, &received, with_later))
                {
                    ahead.get_or_insert_with(Vec::new).append(&mut typed);
                    continue;
                }
                // Typed ahead of the shell in a write of its own: one group with the line typed
                // last, cut at the echoes as lines typed in one write are, not an exchange
                // typed at a screen that showed nothing.
                let last = more.last().unwrap_or(&current.sent);
                if !current.opens && typed_before_echo(last, &received, with_later) {
                    more.append(&mut typed);
                    continue;
                }
                let group = std::mem::take(&mut more);
                let done = std::mem::take(&mut current);
                close_exchange(done, &group, ahead.take(), &received, &state, &mut out);
                let shown = out.last().map(|done| done.next_shown.clone()).unwrap_or_default();
                received.clear();
                // Each line typed is an exchange of its own.
                let mut typed = typed.into_iter();
                let sent = typed.next().unwrap_or_default();
                more = typed.collect();
                current = Exchange { state: state.clone(), shown, sent, ..Exchange::default() };
            }
        }
    }
    // (A log that ends with a connection closed ends there: no connection opened after it.)
    let nothing = received.is_empty() && current.sent.is_empty() && ahead.is_none();
    if !(current.opens && nothing && !out.is_empty()) {
        close_exchange(current, &more, ahead, &received, &state, &mut out);
    }
    out
}

/// Whether lines `typed` after first words that left nothing on screen (a `Last login` line)
/// were typed ahead of the first prompt: a line shown later (`with_later`: `received` and
/// what came up to the next line typed) holds one of them after a prompt.
fn typed_before_prompt(typed: &[String], received: &str, with_later: impl Fn() -> String) -> bool {
    visible(received.rsplit('\n').next().unwrap_or_default()).is_empty()
        && with_later().split('\n').any(|line| echo_prompt(typed, &visible(line)).is_some())
}

/// Whether the next line was typed before the echo of the line typed `last`: its echo is not
/// in `received` and comes later (`with_later`). Only an echo seen later proves it: a device
/// that does not echo (a secret, `ATE0`, an instrument) answers without one.
fn typed_before_echo(last: &str, received: &str, with_later: impl Fn() -> String) -> bool {
    last != moler_core::MASK && !echoed(last, received) && echoed(last, &with_later())
}

/// Whether `received` holds the echo of the line `typed`: a line ending with it or, for an
/// empty line (Enter), a line end.
fn echoed(typed: &str, received: &str) -> bool {
    if typed.is_empty() {
        return received.contains('\n');
    }
    received.split('\n').any(|line| visible(line).ends_with(typed))
}

/// What the device printed from the start of `records` to the next line typed.
fn received_until_sent(records: &[Record]) -> String {
    records
        .iter()
        .take_while(|r| r.kind != RecordKind::Sent)
        .filter(|r| r.kind == RecordKind::Received)
        .map(|r| r.text.as_str())
        .collect()
}

/// `current` ends with what was `received` after it: with the lines typed after it in the same
/// write (`more`, [`close_typed`]), or, when it is a connection's first words, the lines typed
/// before them (`ahead`, [`close_typed_ahead`]).
fn close_exchange(
    current: Exchange,
    more: &[String],
    ahead: Option<Vec<String>>,
    received: &str,
    state: &Option<String>,
    out: &mut Vec<Exchange>,
) {
    match ahead {
        Some(typed) => close_typed_ahead(current, &typed, received, state, out),
        None => close_typed(current, more, received, state, out),
    }
}

/// The device's first words (`opens`, nothing typed) and the lines `typed` before them, from
/// what was `received`: the terminal echoed the lines typed ahead among the first words (they
/// are taken off there), and the shell answered them after its first prompt, found as the text
/// before a typed line on the line that echoes it. Without such an echo, the first words are
/// empty and the lines typed answer all that came, as when nothing was typed ahead.
fn close_typed_ahead(
    opens: Exchange,
    typed: &[String],
    received: &str,
    state: &Option<String>,
    out: &mut Vec<Exchange>,
) {
    let lines: Vec<(usize, String)> = received
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, visible(l.trim_end_matches('\n'))))
        })
        .collect();
    let prompt = lines.iter().find_map(|(_, line)| echo_prompt(typed, line));
    let first = prompt.as_ref().and_then(|p| {
        lines.iter().find(|(_, line)| line.starts_with(p.as_str())).map(|(at, _)| *at)
    });
    let (head, more) = typed.split_first().expect("lines were typed");
    let (Some(prompt), Some(first)) = (prompt, first) else {
        out.push(close(opens, "", state));
        let ex = Exchange { state: state.clone(), sent: head.clone(), ..Exchange::default() };
        return close_typed(ex, more, received, state, out);
    };
    // The first words, less the terminal's echo of the lines typed ahead (their last run).
    let mut words: Vec<&str> = received[..first].split_inclusive('\n').collect();
    let echoed = |from: &usize| {
        typed.iter().zip(&words[*from..]).all(|(t, w)| visible(w.trim_end_matches('\n')) == *t)
    };
    if let Some(from) = (0..words.len().saturating_sub(typed.len()) + 1).rev().find(echoed) {
        if words.len() >= from + typed.len() {
            words.drain(from..from + typed.len());
        }
    }
    out.push(close(opens, &format!("{}{prompt}", words.concat()), state));
    let rest = &received[first..];
    let ex =
        Exchange { state: state.clone(), shown: prompt, sent: head.clone(), ..Default::default() };
    // The prompt is on screen already (the first words end with it): an Enter typed ahead
    // echoes as the line end after it, as any Enter at a prompt does.
    let rest = match (head.is_empty(), rest.find('\n')) {
        (true, Some(i)) => &rest[i..],
        _ => rest,
    };
    close_typed(ex, more, rest, state, out);
}

/// The first prompt, from a line (as the screen shows it) echoing one of the lines `typed`
/// ahead: the text before a typed line (not empty) on it, when there is some.
fn echo_prompt(typed: &[String], line: &str) -> Option<String> {
    typed.iter().filter(|t| !t.is_empty()).find_map(|t| {
        line.strip_suffix(t.as_str()).filter(|p| !p.trim().is_empty()).map(str::to_owned)
    })
}

/// `ex` ends with what was `received` after it; `more`: the lines typed with it in the same
/// write, each cut from `received` at its echo (the line on screen ending with it, after the
/// echo of the line before; an empty line's echo is the prompt it was typed at). Where an echo
/// is not found, the lines left stay together in one exchange, as typed.
fn close_typed(
    mut ex: Exchange,
    more: &[String],
    received: &str,
    state: &Option<String>,
    out: &mut Vec<Exchange>,
) {
    let mut rest = received;
    for (i, next) in more.iter().enumerate() {
        let Some(at) = echo_start(next, &ex.shown, rest) else {
            for line in &more[i..] {
                ex.sent.push('\n');
                ex.sent.push_str(line);
            }
            break;
        };
        let done = close(ex, &rest[..at], state);
        let shown = done.next_shown.clone();
        out.push(done);
        ex = Exchange { state: state.clone(), shown, sent: next.clone(), ..Exchange::default() };
        rest = &rest[at..];
    }
    out.push(close(ex, rest, state));
}

/// Where in `received` the echo of `typed` starts: on a line after the first (the echo of the
/// line typed before it), the first that ends with it, or for an empty line the first that is
/// the prompt `shown`.
fn echo_start(typed: &str, shown: &str, received: &str) -> Option<usize> {
    let mut start = received.find('\n')? + 1;
    loop {
        let end = received[start..].find('\n').map_or(received.len(), |i| start + i);
        let line = &visible(&received[start..end]);
        if typed.is_empty() {
            if !shown.is_empty() && line == shown {
                return Some(end);
            }
        } else if line.ends_with(typed) && received[start..end].ends_with(typed) {
            return Some(end - typed.len());
        }
        if end == received.len() {
            return None;
        }
        start = end + 1;
    }
}

/// A line as the screen shows it: terminal escapes taken off (colours, titles, bracketed
/// paste), and of a line redrawn after a carriage return the text after it.
fn visible(line: &str) -> String {
    let text = moler_core::strip_escapes(line);
    let text = text.trim_end_matches('\r');
    text.rsplit('\r').next().unwrap_or(text).to_owned()
}

/// `ex` with what was received after it: its output lines (its echo taken off) and the line
/// left on screen.
fn close(mut ex: Exchange, received: &str, state: &Option<String>) -> Exchange {
    let (body, last) = match received.rfind('\n') {
        Some(i) => (&received[..i], &received[i + 1..]),
        None => ("", received),
    };
    let mut lines: Vec<String> =
        if received.contains('\n') { body.split('\n').map(visible).collect() } else { Vec::new() };
    // The echo: the first line, when it ends with what was typed (it may follow a prompt
    // redrawn on the same line); an empty line typed (Enter) echoes an empty line.
    let echo = if ex.sent.is_empty() {
        !ex.opens && lines.first().is_some_and(String::is_empty)
    } else {
        lines.first().is_some_and(|l| l.ends_with(&ex.sent))
    };
    if echo {
        lines.remove(0);
    }
    ex.output = lines;
    ex.next_shown = visible(last);
    ex.next_state = state.clone();
    ex
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Each exchange as the screen it was typed at, the line typed, its output and the screen
    /// it left.
    /// The lines of an exchange's output, owned.
    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    fn screens(ex: &[Exchange]) -> Vec<(&str, &str, Vec<String>, &str)> {
        ex.iter()
            .map(|e| (e.shown.as_str(), e.sent.as_str(), e.output.clone(), e.next_shown.as_str()))
            .collect()
    }

    /// A login's Enter and settings typed ahead of a busy shell, each in a write of its own
    /// (the order a live ssh hop once had on a loaded machine), then a command at the new
    /// prompt.
    pub(crate) const TYPED_AHEAD: &str = "\
22 10:00:00.001 <|user@box:~$ 
22 10:00:00.002 >|
22 10:00:00.003 >|export TMOUT=\"2678400\"
22 10:00:00.004 <|
                 |user@box:~$ 
22 10:00:00.005 >|export PS1='remote$ '
22 10:00:00.006 <|export TMOUT=\"2678400\"
                 |user@box:~$ export PS1='remote$ '
                 |remote$ 
22 10:00:00.007 >|whoami
22 10:00:00.008 <|whoami
                 |user
                 |remote$ 
";

    #[test]
    fn pieces_cut_by_reads_join_back_exactly() {
        let log = "\
22 10:00:00.001 >|seq 3
22 10:00:00.002 <|seq 3
                 |1
                 |
22 10:00:00.003 <|2
                 |3
                 |moler_bash# 
22 10:00:00.004  |command 'seq 3' finished in 0.003 s
";
        let records = read_device_log(log).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[3].kind, RecordKind::Note);
        assert_eq!(received_text(&records), "seq 3\n1\n2\n3\nmoler_bash# ");
    }

    #[test]
    fn a_session_cuts_into_exchanges() {
        let log = "\
22 10:00:00.001 <|welcome
                 |moler_bash# 
22 10:00:00.002 >|su
22 10:00:00.003 <|su
                 |Password: 
22 10:00:00.004 >|********
22 10:00:00.005 <|
                 |root@box# 
22 10:00:00.006  |changed state from UNIX_LOCAL to UNIX_LOCAL_ROOT
22 10:00:00.007 >|id -u
22 10:00:00.008 <|id -u
                 |0
                 |root@box# 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        assert_eq!(ex.len(), 4);
        assert_eq!(
            (ex[0].sent.as_str(), ex[0].output.clone(), ex[0].next_shown.as_str()),
            ("", vec!["welcome".to_owned()], "moler_bash# ")
        );
        assert_eq!(
            (ex[1].shown.as_str(), ex[1].sent.as_str(), ex[1].next_shown.as_str()),
            ("moler_bash# ", "su", "Password: ")
        );
        assert!(ex[1].output.is_empty());
        assert_eq!((ex[2].sent.as_str(), ex[2].next_shown.as_str()), ("********", "root@box# "));
        assert_eq!(ex[2].output, [""], "the newline after the password");
        assert_eq!(ex[2].next_state.as_deref(), Some("UNIX_LOCAL_ROOT"));
        assert_eq!(
            (ex[3].state.as_deref(), ex[3].output.clone()),
            (Some("UNIX_LOCAL_ROOT"), vec!["0".to_owned()])
        );
    }

    /// What ends a connection in a device log or starts a new one: its close (with a reason or
    /// none) and the device made again; not its removal, nor a note that only looks alike.
    #[test]
    fn a_connection_ends_at_its_close_or_the_device_made_again() {
        for cut in [
            "connection closed",
            "connection closed: Connection reset by peer",
            "device D (UnixLocal) made, going to UNIX_LOCAL",
        ] {
            assert!(starts_a_connection(cut), "{cut}");
        }
        for no_cut in [
            "device removed",
            "device D: prompt detected",
            "the box (UnixLocal) made, going to UNIX_LOCAL",
            "connection closed later",
            "changed state from UNIX_LOCAL to NOT_CONNECTED",
        ] {
            assert!(!starts_a_connection(no_cut), "{no_cut}");
        }
    }

    /// Each connection in a log starts again with the device's first words, whatever the one
    /// before ended with: its own first words and nothing typed, or a line typed that got no
    /// answer. A log that ends with a new connection's first words ends with them; one that
    /// ends with a close, with the exchange before it.
    #[test]
    fn each_connection_starts_again_with_its_first_words() {
        let log = "\
22 10:00:00.001 <|banner one
                 |box$ 
22 10:00:00.002  |connection closed
22 10:00:00.003  |device D (UnixLocal) made, going to UNIX_LOCAL
22 10:00:00.004 <|banner two
                 |box$ 
22 10:00:00.005 >|reboot
22 10:00:00.006  |connection closed: Connection reset by peer
22 10:00:00.007 <|banner three
                 |box$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let opens: Vec<bool> = ex.iter().map(|e| e.opens).collect();
        assert_eq!(
            screens(&ex),
            [
                ("", "", lines(&["banner one"]), "box$ "),
                ("", "", lines(&["banner two"]), "box$ "),
                ("box$ ", "reboot", lines(&[]), ""),
                ("", "", lines(&["banner three"]), "box$ "),
            ]
        );
        assert_eq!(opens, [true, true, false, true]);
        // Ended by a close: nothing opened after it, so no empty exchange after the last.
        let closed = format!("{log}22 10:00:00.008  |connection closed\n");
        assert_eq!(screens(&exchanges(&read_device_log(&closed).unwrap())), screens(&ex));
    }

    /// Lines typed before the device said anything are exchanges of the state the device was
    /// in, echoed among its first words or not (not echoed, they answer all that came).
    #[test]
    fn lines_typed_before_the_first_words_keep_the_devices_state() {
        let cases = [
            (false, "banner\n", &["banner", "hi"][..]),
            (true, "banner\nbox$ echo hi\n", &["hi"][..]),
        ];
        for (echo, first_words, answer) in cases {
            let log = format!(
                "22 10:00:00.001  |changed state from NOT_CONNECTED to UNIX_LOCAL\n\
                 22 10:00:00.002 >|echo hi\n\
                 22 10:00:00.003 <|{}\n\
                 \x20                |hi\n\
                 \x20                |box$ \n",
                first_words.trim_end().replace('\n', "\n                 |")
            );
            let ex = exchanges(&read_device_log(&log).unwrap());
            let typed = ex.iter().find(|e| e.sent == "echo hi").unwrap_or_else(|| panic!("{ex:?}"));
            assert_eq!(typed.state.as_deref(), Some("UNIX_LOCAL"), "echoed: {echo}: {ex:?}");
            assert_eq!(typed.output, answer, "echoed: {echo}: {ex:?}");
        }
    }

    #[test]
    fn a_state_name_that_is_no_name_is_unknown() {
        // Found by fuzzing (target record): a note's text became a state of the recording,
        // newlines and all, and the YAML written did not load.
        let log = "\
22 10:00:00.001 <|$ 
22 10:00:00.002  |changed state from A to UNIX REMOTE: x
22 10:00:00.003 >|ls
22 10:00:00.004 <|ls
                 |$ 
22 10:00:00.005  |changed state from A to CLI-MODE.2
22 10:00:00.006 >|ls
";
        let ex = exchanges(&read_device_log(log).unwrap());
        assert_eq!(ex[1].state, None);
        assert_eq!(ex[2].state.as_deref(), Some("CLI-MODE.2"));
    }

    #[test]
    fn lines_typed_before_the_first_words_are_answered_after_them() {
        // A prompt detection on an `sshshell`: an Enter and two lines typed at once, before
        // the banner; the terminal echoes them among it, the shell answers at its prompt.
        let log = "\
01 11:26:02.757  |device R (UnixRemote2) made, going to UNIX_REMOTE
01 11:26:02.943 >|
                 |echo DETECTING PROMPT
                 |echo DETECTING PROMPT
01 11:26:02.946 <|Welcome
                 |
                 |Last login: today
                 |
                 |echo DETECTING PROMPT
                 |echo DETECTING PROMPT
                 |
01 11:26:02.955 <|\x1b[?2004hu@vm:~$ 
                 |\x1b[?2004l\x1b[?2004hu@vm:~$ echo DETECTING PROMPT
                 |\x1b[?2004lDETECTING PROMPT
                 |\x1b[?2004hu@vm:~$ echo DETECTING PROMPT
                 |\x1b[?2004lDETECTING PROMPT
                 |\x1b[?2004hu@vm:~$ 
01 11:26:02.955  |changed state from NOT_CONNECTED to UNIX_REMOTE
01 11:26:02.955 >|whoami
01 11:26:02.955 <|whoami
                 |u
                 |u@vm:~$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let seen = screens(&ex);
        let p = "u@vm:~$ ";
        let detecting = "echo DETECTING PROMPT";
        assert_eq!(
            seen,
            [
                ("", "", lines(&["Welcome", "", "Last login: today"]), p),
                (p, "", vec![], p),
                (p, detecting, lines(&["DETECTING PROMPT"]), p),
                (p, detecting, lines(&["DETECTING PROMPT"]), p),
                (p, "whoami", lines(&["u"]), p),
            ]
        );
        assert!(ex[0].opens && !ex[1].opens);
        // No echo to learn the prompt from: as before, the lines typed answer all of it.
        let log = "\
01 11:26:02.943 >|
01 11:26:02.946 <|Welcome
                 |$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        assert_eq!(ex.len(), 2);
        assert_eq!((ex[0].output.clone(), ex[0].next_shown.as_str()), (vec![], ""));
        assert_eq!((ex[1].output.clone(), ex[1].next_shown.as_str()), (lines(&["Welcome"]), "$ "));
    }

    /// The same prompt detection when the first words came before the lines typed, but no
    /// prompt yet (a `Last login` line, then nothing on screen): the lines are still typed
    /// ahead of the first prompt, answered after it; the first words are the banner.
    #[test]
    fn lines_typed_after_first_words_without_a_prompt_are_typed_ahead_of_it() {
        let log = "\
02 10:34:49.620  |device R (UnixRemote2) made, going to UNIX_REMOTE
02 10:34:49.752 <|Last login: today\r
                 |
02 10:34:49.752 >|
                 |echo DETECTING PROMPT
                 |echo DETECTING PROMPT
02 10:34:49.753 <|
                 |echo DETECTING PROMPT
                 |echo DETECTING PROMPT
                 |
02 10:34:49.762 <|\x1b[?2004hu@vm:~$ 
                 |\x1b[?2004l\r\x1b[?2004hu@vm:~$ echo DETECTING PROMPT
02 10:34:49.762 <|
                 |\x1b[?2004l\rDETECTING PROMPT
                 |\x1b[?2004hu@vm:~$ echo DETECTING PROMPT
                 |\x1b[?2004l\rDETECTING PROMPT
                 |\x1b[?2004hu@vm:~$ 
02 10:34:49.763  |changed state from NOT_CONNECTED to UNIX_REMOTE
02 10:34:49.764 >|whoami
02 10:34:49.765 <|whoami
                 |u
                 |u@vm:~$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let p = "u@vm:~$ ";
        let detecting = "echo DETECTING PROMPT";
        assert_eq!(
            screens(&ex),
            [
                ("", "", lines(&["Last login: today"]), p),
                (p, "", vec![], p),
                (p, detecting, lines(&["DETECTING PROMPT"]), p),
                (p, detecting, lines(&["DETECTING PROMPT"]), p),
                (p, "whoami", lines(&["u"]), p),
            ]
        );
        // First words that end at a prompt: the line typed there is typed at it.
        let log = "\
02 10:00:00.001 <|Last login: today
                 |u@vm:~$ 
02 10:00:00.002 >|whoami
02 10:00:00.003 <|whoami
                 |u
                 |u@vm:~$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        assert_eq!(
            screens(&ex),
            [("", "", lines(&["Last login: today"]), p), (p, "whoami", lines(&["u"]), p)]
        );
    }

    /// Lines typed in one write (a hop's Enter, then `export TMOUT=…`) are exchanges of their
    /// own, each with its echo and the prompt it was typed at; an Enter's echo is an empty line.
    #[test]
    fn lines_typed_in_one_write_are_exchanges_of_their_own() {
        let log = "\
22 10:00:00.001 <|user@box:~$ 
22 10:00:00.004 >|
                 |export TMOUT=\"2678400\"
22 10:00:00.005 <|
                 |user@box:~$ export TMOUT=\"2678400\"
                 |user@box:~$ 
22 10:00:00.006 >|pwd
                 |whoami
22 10:00:00.007 <|pwd
                 |/home/user
                 |user@box:~$ whoami
                 |user
                 |user@box:~$ 
22 10:00:00.008 >|a
                 |b
22 10:00:00.009 <|something else
                 |user@box:~$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let seen = screens(&ex);
        let p = "user@box:~$ ";
        assert_eq!(
            seen,
            [
                ("", "", vec![], p),
                (p, "", vec![], p),
                (p, "export TMOUT=\"2678400\"", vec![], p),
                (p, "pwd", lines(&["/home/user"]), p),
                (p, "whoami", lines(&["user"]), p),
                // No echo of `b` after `a`'s: the two stay together, as typed.
                (p, "a\nb", lines(&["something else"]), p),
            ]
        );
    }

    /// Lines typed in one write in a known state, an Enter among them: each is an exchange of
    /// that state, the Enter's cut where the prompt it was typed at shows again. An echo that
    /// ends in terminal escapes (a shell that colours what is typed) is no echo found: the
    /// line stays with the one before, as typed.
    #[test]
    fn an_enter_typed_among_lines_is_cut_at_its_prompt() {
        let log = "\
22 10:00:00.001 <|box$ 
22 10:00:00.002  |changed state from NOT_CONNECTED to UNIX_LOCAL
22 10:00:00.003 >|pwd
                 |
                 |whoami
                 |id
22 10:00:00.004 <|pwd
                 |/root
                 |box$ 
                 |box$ whoami
                 |root
                 |box$ \x1b[1mid\x1b[0m
                 |uid=0
                 |box$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let p = "box$ ";
        assert_eq!(
            screens(&ex),
            [
                ("", "", vec![], p),
                (p, "pwd", lines(&["/root"]), p),
                (p, "", vec![], p),
                (p, "whoami\nid", lines(&["whoami", "root", "box$ id", "uid=0"]), p),
            ]
        );
        let states: Vec<Option<&str>> = ex.iter().map(|e| e.state.as_deref()).collect();
        assert_eq!(states, [None, Some("UNIX_LOCAL"), Some("UNIX_LOCAL"), Some("UNIX_LOCAL")]);
    }

    /// Lines typed in writes of their own, each before the echo of the one before (a login's
    /// Enter, then its settings, typed ahead of a busy shell): cut at their echoes as lines
    /// typed in one write are, each at the prompt it was read at; none typed at a screen that
    /// showed nothing.
    #[test]
    fn lines_typed_ahead_in_writes_of_their_own_are_cut_at_their_echoes() {
        let log = format!(
            "{TYPED_AHEAD}\
22 10:00:00.009 >|su
22 10:00:00.010 <|su
                 |Password: 
22 10:00:00.011 >|********
22 10:00:00.012 <|
                 |root@box# 
22 10:00:00.013 >|id -u
22 10:00:00.014 <|id -u
                 |0
                 |root@box# 
"
        );
        let ex = exchanges(&read_device_log(&log).unwrap());
        let seen = screens(&ex);
        let (p, r, root) = ("user@box:~$ ", "remote$ ", "root@box# ");
        assert_eq!(
            seen,
            [
                ("", "", vec![], p),
                (p, "", vec![], p),
                (p, "export TMOUT=\"2678400\"", vec![], p),
                (p, "export PS1='remote$ '", vec![], r),
                (r, "whoami", vec!["user".to_owned()], r),
                // A secret is never echoed: the line typed after its answer is no line typed
                // ahead of it.
                (r, "su", vec![], "Password: "),
                // (The line end after it is its output, as for any secret.)
                ("Password: ", "********", vec![String::new()], root),
                (root, "id -u", vec!["0".to_owned()], root),
            ]
        );
    }

    /// A modem that echoes until `ATE0` and then answers without an echo: each line typed is an
    /// exchange of its own, none taken for typed ahead (no echo of it ever comes).
    #[test]
    fn lines_a_device_does_not_echo_are_no_lines_typed_ahead() {
        let log = "\
22 10:00:00.001 >|ATE0
22 10:00:00.002 <|ATE0
                 |OK
                 |
22 10:00:00.003 >|AT+CGMI
22 10:00:00.004 <|ACME
                 |OK
                 |
22 10:00:00.005 >|AT+CGMM
22 10:00:00.006 <|MODEL9
                 |OK
                 |
22 10:00:00.007 >|AT+CGSN
22 10:00:00.008 <|123
                 |OK
                 |
";
        let ex = exchanges(&read_device_log(log).unwrap());
        let sent: Vec<&str> = ex.iter().map(|e| e.sent.as_str()).collect();
        assert_eq!(sent, ["", "ATE0", "AT+CGMI", "AT+CGMM", "AT+CGSN"]);
        assert_eq!(ex[2].output, lines(&["ACME", "OK"]));
        assert_eq!(ex[4].output, lines(&["123", "OK"]));
    }

    /// What a bash with bracketed paste and a window title sends around its prompts and
    /// output: the exchanges hold the text the screen shows.
    #[test]
    fn exchanges_hold_what_the_screen_shows() {
        let log = "\
22 10:00:00.001 <|\x1b[?2004h\x1b]0;user@box: ~\x07user@box:~$ 
22 10:00:00.002 >|whoami
22 10:00:00.003 <|whoami
                 |\x1b[?2004l\ruser
                 |\x1b[?2004h\x1b]0;user@box: ~\x07user@box:~$ 
";
        let ex = exchanges(&read_device_log(log).unwrap());
        assert_eq!(ex[0].next_shown, "user@box:~$ ");
        assert_eq!((ex[1].shown.as_str(), ex[1].sent.as_str()), ("user@box:~$ ", "whoami"));
        assert_eq!(
            (ex[1].output.clone(), ex[1].next_shown.as_str()),
            (vec!["user".to_owned()], "user@box:~$ ")
        );
    }

    #[test]
    fn a_line_that_is_no_record_is_named() {
        let err = read_device_log("22 10:00:00.001 >|ls\nnot a record\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: \"not a record\" is no device log record (no `|`)");
    }
}
