//! The last text a connection received, kept for timeout errors: what the device printed last
//! is usually why a command did not finish.

use crate::text::strip_escapes;
use crate::transcript::MASK;

/// How many lines a timeout error quotes.
const QUOTED_LINES: usize = 3;

/// The most characters a timeout error quotes.
const QUOTED_CHARS: usize = 400;

/// Bytes kept of the received text, escapes included: colour codes and window titles can
/// outweigh the text around them several times, so keep well more than the quote needs.
const KEPT: usize = 2048;

/// The end of the received text (secrets already masked), escapes still in.
///
/// Appending costs a copy into a buffer of at most `2 * KEPT` bytes, grown as text comes (a
/// connection that receives little keeps little: many connections may be open at once); the
/// buffer is cut back to `KEPT` bytes when it fills up. Nothing is formatted until an error asks.
#[derive(Debug, Default)]
pub(crate) struct Tail {
    text: String,
    /// Received text after `text` is held back because it could begin a secret.
    held: bool,
}

impl Tail {
    /// Appends received (masked) text; `held`: more text came but is held back because it
    /// could begin a secret.
    pub(crate) fn push(&mut self, text: &str, held: bool) {
        self.held = held;
        if text.len() >= KEPT {
            self.text.clear();
            self.text.push_str(&text[floor_boundary(text, text.len() - KEPT)..]);
            return;
        }
        if self.text.len() + text.len() > 2 * KEPT {
            let cut = floor_boundary(&self.text, self.text.len() + text.len() - KEPT);
            self.text.drain(..cut);
        }
        self.text.push_str(text);
    }

    /// The last line received (after the last `\n`), escapes removed; `None` while text is
    /// held back (it could begin a secret).
    pub(crate) fn last_line(&self) -> Option<std::borrow::Cow<'_, str>> {
        let start = memchr::memrchr(b'\n', self.text.as_bytes()).map_or(0, |i| i + 1);
        (!self.held).then(|| strip_escapes(&self.text[start..]))
    }

    /// The last lines received, escapes removed, for an error message; text held back because
    /// it could begin a secret shows as [`MASK`].
    pub(crate) fn quote(&self) -> String {
        let mut clean = strip_escapes(&self.text).into_owned();
        if self.held {
            clean.push_str(MASK);
        }
        let quote = last_lines(&clean, QUOTED_LINES);
        match quote.char_indices().rev().nth(QUOTED_CHARS - 1) {
            Some((at, _)) if at > 0 => format!("…{}", &quote[at..]),
            _ => quote.to_owned(),
        }
    }
}

/// The last `n` lines of `text`; a line end at the very end does not start another line.
fn last_lines(text: &str, n: usize) -> &str {
    let body = text.trim_end_matches(['\r', '\n']);
    let start = memchr::memrchr_iter(b'\n', body.as_bytes()).nth(n - 1).map_or(0, |i| i + 1);
    &text[start..]
}

/// The largest character boundary of `s` at or below `at`.
fn floor_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_three_lines_without_escapes() {
        let mut tail = Tail::default();
        assert_eq!(tail.quote(), "");
        tail.push("one\r\ntwo\r\n\x1b[01;32mthree\x1b[0m\r\nuser@box:~$ ", false);
        assert_eq!(tail.quote(), "two\r\nthree\r\nuser@box:~$ ");
        tail.push("\r\n", false);
        assert_eq!(tail.quote(), "two\r\nthree\r\nuser@box:~$ \r\n");
        tail.push("", true);
        assert_eq!(tail.quote(), "three\r\nuser@box:~$ \r\n********");
    }

    #[test]
    fn bounded_in_bytes_and_characters() {
        let mut tail = Tail::default();
        for _ in 0..10_000 {
            tail.push("€uro", false);
        }
        assert!(tail.text.len() <= 2 * KEPT);
        let quote = tail.quote();
        assert_eq!(quote.chars().count(), QUOTED_CHARS + 1);
        assert!(quote.starts_with('…') && quote.ends_with("€uro"), "{quote}");
        tail.push(&"x".repeat(5 * KEPT), false);
        assert_eq!(tail.text.len(), KEPT);
    }
}
