//! Text helpers: line assembly across chunks and terminal escape-code stripping.

use std::borrow::Cow;
use std::ops::Range;

/// The default cap on one line's length for events, in bytes: 64 KiB. Text of a longer line is
/// dropped (the line is delivered cut at the cap), so an event watching a stream without
/// newlines keeps memory bounded. Commands keep whole lines (see `Command::line_cap`).
pub const DEFAULT_LINE_CAP: usize = 64 * 1024;

/// Splits a stream of text chunks into lines on `\n`, `\r\n` and lone `\r` (a run of `\r`
/// followed by `\n` or not counts as one line end), whatever the chunk boundaries.
///
/// ```
/// let mut s = moler_core::LineSplitter::new(1024);
/// let mut lines = Vec::new();
/// s.feed("one\r", |l| lines.push(l.to_owned()));
/// s.feed("\ntw", |l| lines.push(l.to_owned()));
/// s.feed("o\rthree", |l| lines.push(l.to_owned()));
/// assert_eq!(lines, ["one", "two"]);
/// assert_eq!(s.partial(), "three");
/// ```
#[derive(Debug)]
pub struct LineSplitter {
    partial: String,
    cap: usize,
    /// The last character fed ended a line with `\r`: leading `\r`s and one `\n` of the
    /// next chunk belong to that line end.
    after_cr: bool,
    /// The partial line grew since the last [`LineSplitter::take_partial_change`].
    partial_changed: bool,
}

impl LineSplitter {
    /// A splitter that keeps at most `cap` bytes of one line.
    pub fn new(cap: usize) -> Self {
        Self { partial: String::new(), cap: cap.max(1), after_cr: false, partial_changed: false }
    }

    /// Feeds a chunk; calls `on_line` with each line it completes (without its terminator).
    pub fn feed(&mut self, chunk: &str, mut on_line: impl FnMut(&str)) {
        self.feed_marked(chunk, |line, _| on_line(line));
    }

    /// Like [`LineSplitter::feed`], and says of each line whether it lies wholly inside `chunk`
    /// (`true`), or was joined with the partial line of the chunks before (`false`): what a
    /// caller learnt of `chunk` as a whole holds for the first kind.
    pub(crate) fn feed_marked(&mut self, chunk: &str, on_line: impl FnMut(&str, bool)) {
        if let Some(tail) = self.feed_marked_lent(chunk, on_line) {
            self.hold(&chunk[tail], true);
        }
    }

    /// Like [`LineSplitter::feed_marked`], except that a line under way at the end of `chunk`
    /// that also began in it is not kept: where it lies in `chunk` (cut at the cap) is returned,
    /// and the caller, having looked at it, keeps it with [`LineSplitter::hold`] if it still
    /// wants it: a command's closing prompt, such a line, is then never copied. A line under
    /// way that began in an earlier chunk is kept as always (and `None` returned).
    pub(crate) fn feed_marked_lent(
        &mut self,
        chunk: &str,
        mut on_line: impl FnMut(&str, bool),
    ) -> Option<Range<usize>> {
        let cap = self.cap;
        self.feed_block_lent(chunk, |text, is_block| {
            if !is_block {
                return on_line(text, false);
            }
            // A block holds whole lines, each followed by its line end; a trailing `\r` run
            // may still get its `\n` in the next chunk (`feed_block` remembers that).
            let mut rest = text;
            while let Some(i) = memchr::memchr2(b'\r', b'\n', rest.as_bytes()) {
                on_line(truncate(&rest[..i], cap), true);
                let end = line_end_len(&rest.as_bytes()[i..]).unwrap_or(rest.len() - i);
                rest = &rest[i + end..];
            }
        })
    }

    /// Keeps `text`, the line under way a `*_lent` feed returned, as the partial line (cut at
    /// the cap). `changed`: [`LineSplitter::take_partial_change`] gives it next (`false`: the
    /// caller has looked at it already).
    pub(crate) fn hold(&mut self, text: &str, changed: bool) {
        debug_assert!(self.partial.is_empty(), "only a line that began in the last chunk");
        self.push_capped(text);
        self.partial_changed = changed;
    }

    /// Like [`LineSplitter::feed`], but hands the complete lines that lie wholly inside `chunk`
    /// in one piece (with their line ends) so a caller can search them at once: `on_text` gets
    /// `(text, false)` for the one line joined with the previous partial, and `(block, true)`
    /// for the block, which starts at a line start and ends just after a line end.
    pub fn feed_block(&mut self, chunk: &str, on_text: impl FnMut(&str, bool)) {
        if let Some(tail) = self.feed_block_lent(chunk, on_text) {
            self.hold(&chunk[tail], true);
        }
    }

    /// [`LineSplitter::feed_block`], with the line under way at the end lent as
    /// [`LineSplitter::feed_marked_lent`] says.
    fn feed_block_lent(
        &mut self,
        chunk: &str,
        mut on_text: impl FnMut(&str, bool),
    ) -> Option<Range<usize>> {
        let mut rest = self.skip_line_end_rest(chunk);
        if !self.partial.is_empty() {
            let Some(i) = memchr::memchr2(b'\r', b'\n', rest.as_bytes()) else {
                let before = self.partial.len();
                self.push_capped(rest);
                self.partial_changed |= self.partial.len() != before;
                return None;
            };
            let (line, after) = rest.split_at(i);
            self.push_capped(line);
            on_text(&self.partial, false);
            self.partial.clear();
            self.partial_changed = false;
            let end = line_end_len(after.as_bytes());
            self.after_cr = end.is_none();
            rest = &after[end.unwrap_or(after.len())..];
        }
        // No line under way now: what follows the last line end begins one.
        let Some(last) = memchr::memrchr2(b'\r', b'\n', rest.as_bytes()) else {
            return self.lend(chunk, rest);
        };
        let (block, tail) = rest.split_at(last + 1);
        // A trailing `\r` may still be followed by `\n` in the next chunk.
        self.after_cr = block.ends_with('\r') && tail.is_empty();
        on_text(block, true);
        self.partial_changed = false;
        self.lend(chunk, tail)
    }

    /// Where `tail`, a suffix of `chunk`, lies in it, cut at the cap; `None` if empty.
    fn lend(&self, chunk: &str, tail: &str) -> Option<Range<usize>> {
        if tail.is_empty() {
            return None;
        }
        let start = chunk.len() - tail.len();
        Some(start..start + truncate(tail, self.cap).len())
    }

    /// After a line ended in `\r` at the end of the previous chunk, the rest of that line end.
    fn skip_line_end_rest<'a>(&mut self, chunk: &'a str) -> &'a str {
        if !self.after_cr {
            return chunk;
        }
        let bytes = chunk.as_bytes();
        let crs = bytes.iter().take_while(|&&b| b == b'\r').count();
        if crs == bytes.len() {
            return ""; // still inside the run of `\r`
        }
        self.after_cr = false;
        let skip = if bytes[crs] == b'\n' { crs + 1 } else { crs };
        &chunk[skip..]
    }

    fn push_capped(&mut self, s: &str) {
        let room = self.cap.saturating_sub(self.partial.len());
        self.partial.push_str(truncate(s, room));
    }

    /// The text of the line not yet ended (possibly empty).
    pub fn partial(&self) -> &str {
        &self.partial
    }

    /// The partial line if it grew since the last call, so a caller looks at each state once.
    pub fn take_partial_change(&mut self) -> Option<&str> {
        std::mem::take(&mut self.partial_changed).then_some(self.partial.as_str())
    }

    /// Forgets the partial line and any pending line end.
    pub fn clear(&mut self) {
        self.partial.clear();
        self.after_cr = false;
        self.partial_changed = false;
    }

    /// Treats the next chunk's leading `\r`s and one `\n` as the end of a line already given.
    pub(crate) fn expect_line_end_rest(&mut self) {
        self.after_cr = true;
    }
}

/// Length of the line end at the start of `b` (which starts with `\r` or `\n`), or `None` when
/// it is a run of `\r` reaching the end of `b` (a `\n` may still follow in the next chunk).
pub(crate) fn line_end_len(b: &[u8]) -> Option<usize> {
    if b[0] == b'\n' {
        return Some(1);
    }
    let crs = b.iter().take_while(|&&c| c == b'\r').count();
    match b.get(crs) {
        None => None,
        Some(b'\n') => Some(crs + 1),
        Some(_) => Some(crs),
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Removes terminal escape sequences: CSI (colours, cursor moves, `ESC[?2004h` bracketed paste),
/// OSC (window titles, ended by BEL or `ESC \`), charset selections and other two-character
/// escapes, and lone BEL characters. An escape cut off at the end of `s` is removed too.
///
/// Line ends are never removed: a `\r` or `\n` ends any escape in progress and stays, so `s`
/// keeps its lines whatever the device sent. Neither is any other byte that cannot continue the
/// escape it follows (a CSI final byte is `0x40..=0x7E`, say): it ends the escape and is kept.
///
/// ```
/// use moler_core::strip_escapes;
/// assert_eq!(strip_escapes("\x1b[01;32mok\x1b[0m"), "ok");
/// assert_eq!(strip_escapes("\x1b]0;title\x07\x1b[?2004hmoler_bash# "), "moler_bash# ");
/// assert_eq!(strip_escapes("plain"), "plain");
/// assert_eq!(strip_escapes("a\x1b[\nb"), "a\nb");
/// ```
pub fn strip_escapes(s: &str) -> Cow<'_, str> {
    if memchr::memchr2(0x1b, 0x07, s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    Stripper::default().strip_into(s.as_bytes(), &mut out);
    // The stripper drops ASCII bytes, and inside string sequences whole runs that end at an
    // ASCII byte or at the end of `s`: only whole characters go, the rest is still UTF-8.
    Cow::Owned(String::from_utf8(out).expect("removing escape sequences keeps UTF-8 valid"))
}

/// Escape-code stripping one byte at a time, so a stream can be stripped in pieces: feeding
/// the pieces in order to one `Stripper` keeps the same bytes as [`strip_escapes`] on the
/// whole. No byte is held back: each is kept or dropped as it comes, so an escape cut off at
/// the end of the stream is simply dropped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stripper {
    state: Escape,
}

/// Where a [`Stripper`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Escape {
    /// Plain text.
    #[default]
    Text,
    /// After ESC.
    Start,
    /// Inside a CSI (`ESC [`), before its final byte.
    Csi,
    /// After a charset selection's introducer (`ESC (`), before its one byte.
    Charset,
    /// Inside a string sequence (OSC `ESC ]`, DCS `ESC P`, ...), ended by BEL or ST (`ESC \`).
    Str,
    /// After ESC inside a string sequence: a `\` ends it.
    StrEsc,
}

impl Stripper {
    /// True between escapes: a chunk without ESC or BEL is then kept whole.
    pub(crate) fn in_text(&self) -> bool {
        self.state == Escape::Text
    }

    /// Whether `b`, the next byte of the stream, is text to keep (not part of an escape).
    pub(crate) fn keep(&mut self, b: u8) -> bool {
        use Escape::*;
        let next = match (self.state, b) {
            (Text, _) | (_, b'\r' | b'\n') => None,
            (Start, b'[') => Some(Csi),
            (Start, b']' | b'P' | b'X' | b'^' | b'_') => Some(Str),
            (Start, b'(' | b')' | b'*' | b'+' | b'#' | b'%') => Some(Charset),
            (Start | Charset, 0x20..=0x7e) => Some(Text),
            (Csi, 0x20..=0x3f) => Some(Csi),
            (Csi, 0x40..=0x7e) => Some(Text),
            (Str | StrEsc, 0x07) | (StrEsc, b'\\') => Some(Text),
            (Str | StrEsc, 0x1b) => Some(StrEsc),
            (Str | StrEsc, _) => Some(Str),
            (Start | Csi | Charset, _) => None,
        };
        if let Some(state) = next {
            self.state = state;
            return false;
        }
        // Text, or a byte that cannot continue the escape: the escape ends and `b` is read as
        // text (a line end, a non-ASCII byte, or an ESC starting the next escape).
        self.state = if b == 0x1b { Start } else { Text };
        !matches!(b, 0x1b | 0x07)
    }

    /// Appends the bytes of `bytes` to keep to `out`.
    pub(crate) fn strip_into(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < bytes.len() {
            if self.state == Escape::Text {
                // Copy the text up to the next ESC or BEL in one go.
                let n = memchr::memchr2(0x1b, 0x07, &bytes[i..]).unwrap_or(bytes.len() - i);
                out.extend_from_slice(&bytes[i..i + n]);
                i += n;
                if i == bytes.len() {
                    break;
                }
            }
            if self.keep(bytes[i]) {
                out.push(bytes[i]);
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_never_goes_past_its_limit_and_cuts_on_a_character() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abc", 2), "ab");
        // 'é' is 2 bytes, '€' 3: a limit inside one drops it whole.
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("a€b", 3), "a");
        assert_eq!(truncate("a€b", 4), "a€");
        assert_eq!(truncate("€", 0), "");
    }

    #[test]
    fn broken_escapes_before_multibyte_characters_keep_them() {
        assert_eq!(strip_escapes("A:\x1b(¡x"), "A:¡x");
        assert_eq!(strip_escapes("\x1b[1€"), "€");
        assert_eq!(strip_escapes("\x1b(B\x1b[m"), "");
    }

    fn split_all(chunks: &[&str]) -> (Vec<String>, String) {
        let mut s = LineSplitter::new(DEFAULT_LINE_CAP);
        let mut lines = Vec::new();
        for c in chunks {
            s.feed(c, |l| lines.push(l.to_owned()));
        }
        (lines, s.partial().to_owned())
    }

    #[test]
    fn line_ends_are_the_same_in_every_split() {
        let text = "a\r\nb\rc\n\nd\r\r\ne\r\rf\n\rg";
        let whole = split_all(&[text]);
        assert_eq!(whole.0, ["a", "b", "c", "", "d", "e", "f", ""]);
        assert_eq!(whole.1, "g");
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let parts = [&text[..i], &text[i..j], &text[j..]];
                assert_eq!(split_all(&parts), whole, "split at {i},{j}");
            }
        }
    }

    /// The lending feed, its lent line looked at and then held, splits as the plain one in
    /// every split; what it lends is the line under way that began in that chunk, cut at the
    /// cap, never the rest of a line from an earlier chunk.
    #[test]
    fn a_lent_line_under_way_held_back_splits_as_the_plain_feed() {
        let text = "a\r\nb\rc\n\nd\r\r\ne\r\rf\n\rgh€ij";
        for cap in [2, 4, DEFAULT_LINE_CAP] {
            let cuts: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            for &i in &cuts {
                for &j in cuts.iter().filter(|&&j| j >= i) {
                    let parts = [&text[..i], &text[i..j], &text[j..]];
                    let (mut plain, mut lending) = (LineSplitter::new(cap), LineSplitter::new(cap));
                    let (mut want, mut got) = (Vec::new(), Vec::new());
                    for part in parts.iter().filter(|p| !p.is_empty()) {
                        let under_way = !lending.partial().is_empty();
                        plain.feed(part, |l| want.push(l.to_owned()));
                        let lent = lending.feed_marked_lent(part, |l, _| got.push(l.to_owned()));
                        if let Some(at) = lent {
                            // Only after a line end: a line begun earlier goes on otherwise.
                            let ends = part.contains(['\r', '\n']);
                            assert!(!under_way || ends, "lent mid-line: {i},{j} cap {cap}");
                            let line = &part[at.clone()];
                            assert_eq!(line, truncate(&part[at.start..], cap));
                            assert!(!line.contains(['\r', '\n']), "{line:?}");
                            lending.hold(line, true);
                        }
                        assert_eq!(got, want, "split at {i},{j}, cap {cap}");
                        assert_eq!(lending.partial(), plain.partial(), "split {i},{j} cap {cap}");
                        assert_eq!(lending.take_partial_change(), plain.take_partial_change());
                    }
                }
            }
        }
        // A line that began in an earlier chunk is not lent; one that begins here is.
        let mut s = LineSplitter::new(100);
        assert_eq!(s.feed_marked_lent("x\r\nprom", |_, _| {}), Some(3..7));
        s.hold("prom", false);
        assert_eq!(s.take_partial_change(), None);
        assert_eq!(s.feed_marked_lent("pt$ ", |_, _| {}), None);
        assert_eq!(s.partial(), "prompt$ ");
    }

    #[test]
    fn a_line_longer_than_the_cap_is_cut() {
        let mut s = LineSplitter::new(10);
        let mut lines = Vec::new();
        for _ in 0..1000 {
            s.feed("0123456789abcdef", |l| lines.push(l.to_owned()));
        }
        assert_eq!(s.partial().len(), 10);
        s.feed("€\n", |l| lines.push(l.to_owned()));
        assert_eq!(lines, ["0123456789"]);
    }

    #[test]
    fn escapes_are_removed() {
        assert_eq!(strip_escapes("a\x1b[Kb\x1b(Bc\x1b=d"), "abcd");
        assert_eq!(strip_escapes("cut \x1b[01;3"), "cut ");
        assert_eq!(strip_escapes("t\x1b]2;x\x1b\\ok"), "tok");
        assert_eq!(strip_escapes("\x1b[?2004l\rmoler"), "\rmoler");
    }

    #[test]
    fn line_ends_end_escapes_and_stay() {
        assert_eq!(strip_escapes("a\x1b\rb"), "a\rb");
        assert_eq!(strip_escapes("a\x1b[\nb"), "a\nb");
        assert_eq!(strip_escapes("a\x1b[12;\r\nb"), "a\r\nb");
        assert_eq!(strip_escapes("\x1b]0;ti\ntle\x07x"), "\ntlex", "the title's rest is text");
        assert_eq!(strip_escapes("\x1bP1\x1b\n"), "\n");
        assert_eq!(strip_escapes("\x1b(\r"), "\r");
    }

    #[test]
    fn a_byte_that_cannot_continue_an_escape_ends_it_and_stays() {
        assert_eq!(strip_escapes("\x1b[1\tx"), "\tx", "a CSI takes no control character");
        assert_eq!(strip_escapes("\x1b[1\x1b[0mx"), "x", "an ESC starts the next escape");
        assert_eq!(strip_escapes("\x1b\x1b[0mx"), "x");
        assert_eq!(strip_escapes("\x1b[1\x07x"), "x", "a lone BEL is dropped");
        assert_eq!(strip_escapes("\x1b[1;2 qx"), "x", "an intermediate byte, then the final");
        assert_eq!(strip_escapes("\x1b]0;é€\x1b\\ok"), "ok", "a title's characters go whole");
    }

    /// Strings over escape fragments, line ends and text, of up to `len` symbols.
    fn small_strings(len: usize) -> Vec<String> {
        const SYMBOLS: [&str; 9] = ["\x1b", "[", "]", "1", "a", "\r", "\n", "\x07", "é"];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last =
                last.iter().flat_map(|s| SYMBOLS.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    fn strip_pieces(pieces: &[&[u8]]) -> Vec<u8> {
        let mut stripper = Stripper::default();
        let mut out = Vec::new();
        for p in pieces {
            stripper.strip_into(p, &mut out);
        }
        out
    }

    fn line_ends(b: &[u8]) -> usize {
        b.iter().filter(|&&c| c == b'\r' || c == b'\n').count()
    }

    #[test]
    fn stripping_in_pieces_is_stripping_the_whole_for_every_split() {
        for s in small_strings(5) {
            let whole = strip_escapes(&s);
            let b = s.as_bytes();
            assert_eq!(line_ends(whole.as_bytes()), line_ends(b), "{s:?}");
            for i in 0..=b.len() {
                for j in i..=b.len() {
                    let got = strip_pieces(&[&b[..i], &b[i..j], &b[j..]]);
                    assert_eq!(got, whole.as_bytes(), "{s:?} split at {i},{j}");
                }
            }
            let one_by_one: Vec<&[u8]> = b.chunks(1).collect();
            assert_eq!(strip_pieces(&one_by_one), whole.as_bytes(), "{s:?} byte by byte");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn stream() -> impl Strategy<Value = String> {
            let piece = prop::sample::select(vec![
                "\x1b", "\x1b[", "\x1b]0;", "\x1b(", "\x1bP", "\x1b\\", "[", "]", "0", ";", "m",
                "?", " ", "a", "\r", "\n", "\t", "\x07", "é", "€", "😀",
            ]);
            prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
        }

        proptest! {
            #[test]
            fn pieces_strip_like_the_whole_and_keep_every_line_end(
                s in stream(),
                cuts in prop::collection::vec(0.0..1.0f64, 0..8),
            ) {
                let whole = strip_escapes(&s);
                let b = s.as_bytes();
                prop_assert_eq!(line_ends(whole.as_bytes()), line_ends(b));
                let mut at: Vec<usize> = cuts.iter().map(|f| (f * b.len() as f64) as usize).collect();
                at.extend([0, b.len()]);
                at.sort_unstable();
                let pieces: Vec<&[u8]> = at.windows(2).map(|w| &b[w[0]..w[1]]).collect();
                prop_assert_eq!(strip_pieces(&pieces), whole.as_bytes());
            }
        }
    }
}
