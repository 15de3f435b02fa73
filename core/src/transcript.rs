//! What a connection tells a log: every piece of text received and sent, secrets masked.

use std::ops::Range;

/// What replaces a secret in a [`Transcript`]: always the same, so not even a password's length
/// reaches a log.
pub const MASK: &str = "********";

/// Receives a copy of a connection's traffic, for logs ([`crate::Connection::set_transcript`]).
///
/// Secrets never reach it: text sent with [`crate::Context::send_secret`] arrives as [`MASK`],
/// and so does that text if the device echoes it back later (within one read).
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
/// conn.poll_transmit();
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

    /// Everything queued, and its secret spans; the outbox is empty afterwards.
    pub(crate) fn take(&mut self) -> (Vec<u8>, Vec<Range<usize>>) {
        (std::mem::take(&mut self.bytes), std::mem::take(&mut self.secret_spans))
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

    /// `raw` and `text` with every known secret masked (borrowed when there is none).
    pub(crate) fn mask_received<'a>(
        &self,
        raw: &'a [u8],
        text: &'a str,
    ) -> (std::borrow::Cow<'a, [u8]>, std::borrow::Cow<'a, str>) {
        use std::borrow::Cow;
        let mut raw = Cow::Borrowed(raw);
        let mut text = Cow::Borrowed(text);
        for secret in &self.known {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), MASK));
            }
            if memchr::memmem::find(&raw, secret.as_bytes()).is_some() {
                raw = Cow::Owned(replace_bytes(&raw, secret.as_bytes(), MASK.as_bytes()));
            }
        }
        (raw, text)
    }
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    for start in memchr::memmem::find_iter(haystack, needle) {
        if start < at {
            continue; // overlaps the previous match
        }
        out.extend_from_slice(&haystack[at..start]);
        out.extend_from_slice(with);
        at = start + needle.len();
    }
    out.extend_from_slice(&haystack[at..]);
    out
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
        let (bytes, spans) = outbox.take();
        assert_eq!(secrets.masked(&bytes, &spans), "user\n********\nls\n");
        assert!(outbox.take().1.is_empty());
        let (raw, text) = secrets.mask_received(b"x hunter2 hunter2hunter2", "x hunter2 y");
        assert_eq!(&*raw, b"x ******** ****************");
        assert_eq!(&*text, "x ******** y");
    }

    /// An observer that answers a password question with a secret, the way `ssh` does.
    struct Login;
    impl crate::Observer for Login {
        type Output = ();
        fn describe(&self) -> String {
            "login".into()
        }
        fn kind(&self) -> crate::Kind {
            crate::Kind::Command
        }
        fn on_start(&mut self, cx: &mut crate::Context<'_>) -> crate::Step<()> {
            cx.sendline("ssh host");
            crate::Step::Pending
        }
        fn on_data(&mut self, data: &str, cx: &mut crate::Context<'_>) -> crate::Step<()> {
            if data.contains("password:") {
                cx.send_secret("hunter2");
                cx.sendline("");
                crate::Step::Pending
            } else {
                crate::Step::Done(Ok(()))
            }
        }
    }

    #[derive(Clone, Default)]
    struct Log(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
    impl Transcript for Log {
        fn received(&mut self, raw: &[u8], text: &str) {
            let mut log = self.0.lock().unwrap();
            log.push(format!("<{text}"));
            log.push(format!("<raw {}", String::from_utf8_lossy(raw)));
        }
        fn sent(&mut self, text: &str) {
            self.0.lock().unwrap().push(format!(">{text}"));
        }
        fn closed(&mut self, _: Option<&std::io::Error>) {
            self.0.lock().unwrap().push("closed".into());
        }
    }

    #[test]
    fn a_connection_masks_secrets_sent_and_echoed() {
        let now = std::time::Instant::now();
        let log = Log::default();
        let mut conn = crate::Connection::new("demo").with_transcript(Box::new(log.clone()));
        let login = conn.start(Login, now);
        let sent = conn.poll_transmit().unwrap();
        conn.handle_input(b"password:", now);
        let answer = conn.poll_transmit().unwrap();
        assert_eq!(answer, b"hunter2\n", "the device gets the secret itself");
        conn.handle_input(b"hunter2\r\nwelcome", now);
        assert!(login.try_result().unwrap().is_ok());
        conn.close();
        assert_eq!(sent, b"ssh host\n");
        assert_eq!(
            *log.0.lock().unwrap(),
            [
                ">ssh host\n",
                "<password:",
                "<raw password:",
                ">********\n",
                "<********\r\nwelcome",
                "<raw ********\r\nwelcome",
                "closed"
            ]
        );
    }

    #[test]
    fn without_a_transcript_secrets_are_still_remembered() {
        let now = std::time::Instant::now();
        let log = Log::default();
        let mut conn = crate::Connection::new("demo");
        conn.start(Login, now);
        conn.poll_transmit();
        conn.handle_input(b"password:", now);
        conn.poll_transmit();
        conn.set_transcript(Some(Box::new(log.clone())));
        conn.handle_input(b"echo hunter2", now);
        assert_eq!(log.0.lock().unwrap()[0], "<echo ********");
    }

    #[test]
    fn nothing_known_borrows() {
        let secrets = Secrets::default();
        let (raw, text) = secrets.mask_received(b"abc", "abc");
        assert!(matches!(raw, std::borrow::Cow::Borrowed(_)));
        assert!(matches!(text, std::borrow::Cow::Borrowed(_)));
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
