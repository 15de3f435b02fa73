//! What a connection tells a log: every piece of text received and sent, secrets masked.

use std::borrow::Cow;
use std::ops::Range;

/// What replaces a secret in a [`Transcript`]: always the same, so not even a password's length
/// reaches a log.
pub const MASK: &str = "********";

/// Receives a copy of a connection's traffic, for logs ([`crate::Connection::set_transcript`]).
///
/// Secrets never reach it: text sent with [`crate::Context::send_secret`] arrives as [`MASK`],
/// and so does that text if the device echoes it back later, however the reads cut it. To
/// that end, received text that could begin a known secret is held back and reaches the
/// transcript with the next read (masked if the secret completes, as it is if not); what is
/// still held when the connection closes is written as [`MASK`]. Observers get all text at once.
///
/// ```
/// use moler_core::{Command, Connection, Transcript};
/// use std::sync::{Arc, Mutex};
/// use std::time::Instant;
///
/// #[derive(Clone, Default)]
/// struct Log(Arc<Mutex<Vec<String>>>);
/// impl Transcript for Log {
///     fn received(&mut self, _raw: &[u8], text: &str) {
///         self.0.lock().unwrap().push(format!("< {text}"));
///     }
///     fn sent(&mut self, text: &str) {
///         self.0.lock().unwrap().push(format!("> {text}"));
///     }
/// }
///
/// let log = Log::default();
/// let mut conn = Connection::new("demo");
/// conn.set_transcript(Some(Box::new(log.clone())));
/// conn.start(Command::lines("pwd", "^\\$ $"), Instant::now());
/// let _ = conn.poll_transmit(&mut Vec::new()); // sent (and logged)
/// conn.handle_input(b"pwd\n/root\n$ ", Instant::now());
/// assert_eq!(*log.0.lock().unwrap(), ["> pwd\n", "< pwd\n/root\n$ "]);
/// ```
pub trait Transcript: Send {
    /// Bytes read from the transport, and the text decoded from them so far.
    fn received(&mut self, raw: &[u8], text: &str);
    /// Text handed to the transport.
    fn sent(&mut self, text: &str);
    /// The connection closed (`reason`: the transport's error, if any).
    fn closed(&mut self, reason: Option<&std::io::Error>) {
        let _ = reason;
    }
}

/// What observers want sent, not written yet, and which parts of it are secret.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    /// Spans of `bytes` that are secret.
    secret_spans: Vec<Range<usize>>,
}

impl Outbox {
    pub(crate) fn push(&mut self, text: &str) {
        self.bytes.extend_from_slice(text.as_bytes());
    }

    pub(crate) fn push_secret(&mut self, text: &str) {
        let start = self.bytes.len();
        self.push(text);
        self.secret_spans.push(start..self.bytes.len());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends everything queued to `buf`; returns the secret spans, relative to where it was
    /// appended. [`Outbox::clear`] once they are used (the buffers keep their capacity).
    pub(crate) fn drain_into(&mut self, buf: &mut Vec<u8>) -> &[Range<usize>] {
        buf.extend_from_slice(&self.bytes);
        &self.secret_spans
    }

    /// Empties the outbox, keeping its capacity.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.secret_spans.clear();
    }
}

/// The secrets a connection has sent, masked when they come back.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    /// Secrets sent so far, most recent last (bounded: [`Secrets::KEPT`]).
    known: Vec<String>,
}

impl Secrets {
    /// How many distinct secrets a connection remembers for masking echoes.
    const KEPT: usize = 32;

    /// `bytes` with its secret `spans` masked, the secrets remembered.
    pub(crate) fn masked(&mut self, bytes: &[u8], spans: &[Range<usize>]) -> String {
        let mut text = String::with_capacity(bytes.len());
        let mut at = 0;
        for span in spans {
            text.push_str(&String::from_utf8_lossy(&bytes[at..span.start]));
            text.push_str(MASK);
            at = span.end;
        }
        text.push_str(&String::from_utf8_lossy(&bytes[at..]));
        self.remember_spans(bytes, spans);
        text
    }

    /// Remembers the secrets at `spans` of `bytes` (sent without a transcript, for one set later).
    pub(crate) fn remember_spans(&mut self, bytes: &[u8], spans: &[Range<usize>]) {
        for span in spans {
            self.remember(String::from_utf8_lossy(&bytes[span.clone()]).into_owned());
        }
    }

    fn remember(&mut self, secret: String) {
        if secret.is_empty() || self.known.contains(&secret) {
            return;
        }
        if self.known.len() == Self::KEPT {
            self.known.remove(0);
        }
        self.known.push(secret);
    }

    /// True when no secret is known: received text passes unchanged.
    fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// One received stream (the decoded text, or the raw bytes) on its way to a transcript: known
/// secrets masked, and a tail that could still become a secret held back until the next read
/// decides it. Slow consoles send one byte per read, so a password echoed back arrives in
/// pieces that are each harmless alone.
///
/// Masking is leftmost-longest and depends only on the bytes, never on where reads were cut:
/// the concatenated output is the same for every chunking of the same stream.
#[derive(Debug, Default)]
pub(crate) struct HeldBack {
    /// Bytes received but not passed on: always the start of some known secret.
    held: Vec<u8>,
}

impl HeldBack {
    /// `input` with the held bytes before it, secrets masked, minus the new tail held back.
    /// Borrowed only when nothing was held before and nothing masked: a borrowed result is then
    /// a prefix of `input` (`pass_text` relies on that).
    pub(crate) fn pass<'a>(&mut self, secrets: &Secrets, input: &'a [u8]) -> Cow<'a, [u8]> {
        if self.held.is_empty() {
            if secrets.is_empty() {
                return Cow::Borrowed(input);
            }
            let (out, hold) = mask_until_undecided(&secrets.known, input);
            self.held.extend_from_slice(&input[hold..]);
            return out;
        }
        let mut joined = std::mem::take(&mut self.held);
        joined.extend_from_slice(input);
        let (out, hold) = mask_until_undecided(&secrets.known, &joined);
        let out = out.into_owned();
        joined.drain(..hold);
        self.held = joined;
        Cow::Owned(out)
    }

    /// [`HeldBack::pass`] for decoded text.
    pub(crate) fn pass_text<'a>(&mut self, secrets: &Secrets, input: &'a str) -> Cow<'a, str> {
        match self.pass(secrets, input.as_bytes()) {
            Cow::Borrowed(prefix) => Cow::Borrowed(&input[..prefix.len()]),
            // Secrets are whole characters, and so is what is held back (it starts like a
            // secret, and the decoded text ends on a character boundary): every cut falls on a
            // character boundary.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes).expect("masking cuts text on character boundaries"),
            ),
        }
    }

    /// True while something is held back.
    pub(crate) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Ends the stream: what was held back, as [`MASK`] (or nothing when nothing was held).
    /// Held bytes are always the start of a known secret; the rest of that secret will never
    /// come now, but the start alone may be most of a password, so it is masked rather than
    /// written as it is: a log errs towards not leaking.
    pub(crate) fn release(&mut self) -> &'static str {
        if std::mem::take(&mut self.held).is_empty() {
            ""
        } else {
            MASK
        }
    }
}

/// Masks the known secrets in `data` from its start up to the first point where the rest could
/// still be (or grow into) a secret; returns the masked text before that point (borrowed when
/// nothing was masked) and the point.
///
/// At each position, the longest secret that starts there wins, and the scan goes on after it.
/// A position is undecided when `data` from it on is a proper prefix of a secret: more input
/// may complete that secret (or a longer one than what matches already).
fn mask_until_undecided<'a>(known: &[String], data: &'a [u8]) -> (Cow<'a, [u8]>, usize) {
    let longest = known.iter().map(String::len).max().unwrap_or(0);
    let tail_start = data.len().saturating_sub(longest.saturating_sub(1));
    let undecided_from = |from: usize| {
        (from.max(tail_start)..data.len())
            .find(|&i| {
                let rest = &data[i..];
                known.iter().any(|s| s.len() > rest.len() && s.as_bytes().starts_with(rest))
            })
            .unwrap_or(data.len())
    };
    let mut out: Option<Vec<u8>> = None;
    let mut at = 0;
    let stop = loop {
        let stop = undecided_from(at);
        let next = known
            .iter()
            .filter_map(|s| memchr::memmem::find(&data[at..], s.as_bytes()).map(|p| at + p))
            .min()
            .filter(|&start| start < stop);
        // A match that starts before the undecided point is decided, even if it reaches past it.
        let Some(start) = next else { break stop };
        let len = known
            .iter()
            .filter(|s| data[start..].starts_with(s.as_bytes()))
            .map(String::len)
            .max()
            .expect("a secret was found at `start`");
        let out = out.get_or_insert_with(|| Vec::with_capacity(data.len()));
        out.extend_from_slice(&data[at..start]);
        out.extend_from_slice(MASK.as_bytes());
        at = start + len;
    };
    match out {
        None => (Cow::Borrowed(&data[..stop]), stop),
        Some(mut out) => {
            out.extend_from_slice(&data[at..stop]);
            (Cow::Owned(out), stop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_masked_and_remembered() {
        let mut secrets = Secrets::default();
        let mut outbox = Outbox::default();
        outbox.push("user\n");
        outbox.push_secret("hunter2");
        outbox.push("\nls\n");
        let mut bytes = b"kept".to_vec();
        let spans = outbox.drain_into(&mut bytes).to_vec();
        assert_eq!(bytes, b"keptuser\nhunter2\nls\n", "appended to what the buffer held");
        assert_eq!(secrets.masked(&bytes[4..], &spans), "user\n********\nls\n");
        outbox.clear();
        assert!(outbox.is_empty() && outbox.drain_into(&mut bytes).is_empty());
        let mut held = HeldBack::default();
        assert_eq!(
            &*held.pass(&secrets, b"x hunter2 hunter2hunter2"),
            b"x ******** ****************"
        );
        assert_eq!(held.pass_text(&secrets, "x hunter2 y"), "x ******** y");
    }

    fn known(secrets: &[&str]) -> Vec<String> {
        secrets.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_longest_secret_at_the_leftmost_start_wins() {
        let k = known(&["pass", "password", "word2"]);
        let masked = |data: &str| {
            let (out, stop) = mask_until_undecided(&k, data.as_bytes());
            (String::from_utf8(out.into_owned()).unwrap(), stop)
        };
        assert_eq!(masked("a password2 b"), ("a ********2 b".into(), 13));
        assert_eq!(masked("a pass b"), ("a ******** b".into(), 8));
        assert_eq!(masked("a passw"), ("a ".into(), 2), "undecided: pass or password");
        assert_eq!(masked("a passwor"), ("a ".into(), 2));
        assert_eq!(masked("a passwx wo"), ("a ********wx ".into(), 9));
        let k = known(&["abcd", "cdx"]);
        let (out, stop) = mask_until_undecided(&k, b"abcd");
        assert_eq!((&*out, stop), (&b"********"[..], 4), "a match reaching past a candidate");
    }

    #[test]
    fn nothing_masked_borrows() {
        let mut secrets = Secrets::default();
        let mut held = HeldBack::default();
        assert!(matches!(held.pass(&secrets, b"abc"), Cow::Borrowed(_)));
        secrets.remember("hunter2".into());
        assert!(matches!(held.pass_text(&secrets, "abc h"), Cow::Borrowed("abc ")));
        assert!(held.is_holding());
        assert_eq!(held.release(), MASK);
        assert_eq!(held.release(), "");
    }

    #[test]
    fn at_most_kept_secrets() {
        let mut secrets = Secrets::default();
        for i in 0..40 {
            secrets.remember(format!("s{i}"));
        }
        assert_eq!(secrets.known.len(), Secrets::KEPT);
        assert_eq!(secrets.known[0], "s8");
    }
}
