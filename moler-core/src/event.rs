//! Events: observers that keep listening and report each occurrence. [`Wait4`] is the generic
//! line event.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex::Regex;
use regex_syntax::hir::{self, Class, Hir, HirKind, Look};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::observer::{Context, Observer, Step};
use crate::prefilter::Literals;
use crate::publish::{Publisher, Subscription};
use crate::text::{LineSplitter, Stripper, DEFAULT_LINE_CAP};

/// One occurrence of an event: the line and what the pattern caught in it (Moler's keys).
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    /// The whole line, without its line end.
    pub line: String,
    /// The text the pattern matched.
    pub matched: String,
    /// The pattern's groups in order (`None` for a group that did not take part).
    pub groups: Vec<Option<String>>,
    /// The named groups.
    pub named_groups: BTreeMap<String, Option<String>>,
    /// Index of the pattern that matched, in the list given to the event.
    pub pattern: usize,
    /// When the chunk that completed the line arrived.
    #[serde(skip)]
    pub time: Instant,
}

/// How [`Wait4`] combines its patterns (Moler's `match` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchMode {
    /// Each line matching any pattern is an occurrence (the first pattern that matches counts).
    #[default]
    Any,
    /// Every pattern must match once, in any order, to complete a cycle.
    All,
    /// The patterns must match in the given order to complete a cycle.
    Sequence,
}

/// The generic line event: watches every line for a list of regexes.
///
/// Each line is searched as Moler does (`re.search` per line), but the event searches whole
/// chunks at once with one combined regex that cannot match across lines, so it keeps up with
/// GiB/s streams; only lines with a candidate match are looked at one by one. No occurrence is
/// lost when a line is split between reads, and several in one chunk are all reported in order.
///
/// By default only whole lines are matched, so results do not depend on how the text was cut
/// into reads; [`Wait4::match_partial_lines`] also matches the unfinished last line (prompts).
///
/// ```
/// use moler_core::{Connection, Wait4};
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let ev = Wait4::new([r"icmp_seq=(?P<seq>\d+)"]).unwrap().till_occurs_times(2);
/// let pings = conn.start(ev, Instant::now());
/// conn.handle_input(b"64 bytes: icmp_seq=1 ttl=64\n64 bytes: icmp", Instant::now());
/// conn.handle_input(b"_seq=2 ttl=64\n", Instant::now());
/// let found = pings.try_result().unwrap().unwrap();
/// assert_eq!(found[1].named_groups["seq"].as_deref(), Some("2"));
/// ```
pub struct Wait4 {
    /// Compiled once per pattern for the whole process ([`crate::cache`]): devices start
    /// events all the time, and compiling them costs more than a round trip.
    patterns: Vec<Arc<Regex>>,
    finder: Arc<Regex>,
    /// What every match contains, for the connection's shared search (see
    /// [`Observer::literals`]).
    literals: Option<Literals>,
    mode: MatchMode,
    till: Option<usize>,
    timeout: Option<Duration>,
    partial_lines: bool,
    /// Terminal escape codes are removed before matching (Moler's unix and shared line events).
    stripper: Option<Stripper>,
    /// Where occurrences go as they happen (callbacks, queues).
    publisher: Publisher<Occurrence>,
    // Progress.
    lines: LineSplitter,
    /// Text came while paused and its last line has not ended: after a resume that line is
    /// skipped whole (it started while paused), up to its line end.
    skip_line: bool,
    partial_reported: bool,
    /// The unfinished line may hold one of the literals (see [`Observer::literals`]).
    partial_hot: bool,
    waiting_for: Vec<usize>,
    count: usize,
    found: Vec<Occurrence>,
}

impl std::fmt::Debug for Wait4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wait4")
            .field("patterns", &self.patterns.iter().map(|r| r.as_str()).collect::<Vec<_>>())
            .field("mode", &self.mode)
            .field("till", &self.till)
            .finish_non_exhaustive()
    }
}

impl Wait4 {
    /// An event for these regexes (Rust `regex` syntax, which covers Python's usual subset),
    /// matching any of them, occurring until cancelled.
    ///
    /// Matching costs time in proportion to the text, never more (no backtracking), but also,
    /// at worst, to a pattern's compiled size: a pattern repeating a group that may match
    /// nothing thousands of times (`(a*){50000}`) compiles, and then makes every read slow.
    /// Patterns over the regex crate's size limit (10 MB compiled) are refused here.
    pub fn new<I, S>(patterns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns: Vec<S> = patterns.into_iter().collect();
        let patterns: Vec<&str> = patterns.iter().map(AsRef::as_ref).collect();
        let bad = |p: &str, e: &dyn std::fmt::Display| {
            Error::WrongUsage(format!("invalid pattern {p:?}: {e}"))
        };
        let mut compiled = Vec::new();
        for p in &patterns {
            compiled.push(crate::cache::regex(p).map_err(|e| bad(p, &e))?);
        }
        if compiled.is_empty() {
            return Err(Error::WrongUsage("an event needs at least one pattern".into()));
        }
        let (finder, literals) = crate::cache::finder(&patterns, || {
            let mut parsed = Vec::new();
            for p in &patterns {
                parsed.push(regex_syntax::Parser::new().parse(p).map_err(|e| bad(p, &e))?);
            }
            let literals = Literals::of_hirs(&parsed);
            let safe = parsed.into_iter().map(within_line).collect();
            // Invariant: printing a parsed HIR gives a pattern the same parser accepts.
            let (finder, large) = crate::cache::sized(&Hir::alternation(safe).to_string())
                .map_err(|e| Error::WrongUsage(format!("patterns too large to combine: {e}")))?;
            Ok(((finder, literals), large))
        })?;
        Ok(Self {
            waiting_for: (0..compiled.len()).collect(),
            patterns: compiled,
            finder,
            literals,
            mode: MatchMode::Any,
            till: None,
            timeout: None,
            partial_lines: false,
            stripper: None,
            publisher: Publisher::new(),
            lines: LineSplitter::new(DEFAULT_LINE_CAP),
            skip_line: false,
            partial_reported: false,
            partial_hot: false,
            count: 0,
            found: Vec::new(),
        })
    }

    /// How patterns combine (default [`MatchMode::Any`]).
    pub fn mode(mut self, mode: MatchMode) -> Self {
        self.mode = mode;
        self
    }

    /// Finish after `n` occurrences (for `All` and `Sequence`: `n` complete cycles) with all of
    /// them as the result. Without it the event runs until cancelled or timed out.
    pub fn till_occurs_times(mut self, n: usize) -> Self {
        self.till = Some(n.max(1));
        self
    }

    /// A timeout counted from the start.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Also match the unfinished last line (such as a prompt); a line that matched while
    /// unfinished is not reported again when it ends.
    pub fn match_partial_lines(mut self, on: bool) -> Self {
        self.partial_lines = on;
        self
    }

    /// Removes terminal escape codes (colours, cursor moves, window titles) before matching,
    /// also when one is cut between reads, as Moler's unix and shared line events do: the
    /// reported lines are the text without them.
    ///
    /// ```
    /// use moler_core::{Connection, Wait4};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let ev = Wait4::new(["^ok$"]).unwrap().strip_escape_codes(true).till_occurs_times(1);
    /// let done = conn.start(ev, Instant::now());
    /// conn.handle_input(b"\x1b[01;3", Instant::now());
    /// conn.handle_input(b"2mok\x1b[0m\n", Instant::now());
    /// assert_eq!(done.try_result().unwrap().unwrap()[0].line, "ok");
    /// ```
    pub fn strip_escape_codes(mut self, on: bool) -> Self {
        self.stripper = on.then(Stripper::default);
        self
    }

    /// The longest line kept across reads, in bytes (default [`DEFAULT_LINE_CAP`]).
    pub fn line_cap(mut self, cap: usize) -> Self {
        self.lines = LineSplitter::new(cap);
        self
    }

    /// Calls `f` with each occurrence, on the thread that drives the connection (keep it
    /// short). Several may be added; one that panics is dropped, the event goes on.
    pub fn on_occurrence(self, f: impl FnMut(&Occurrence) + Send + 'static) -> Self {
        self.publisher.on_record(f);
        self
    }

    /// The occurrences as they happen, in a queue that ends when the event finishes: take them
    /// without waiting ([`Subscription::try_next`]), poll or await them from async code (a
    /// `Stream`), or block on them with `moler_runners::OccurrencesExt`. Any number of queues
    /// may be taken; one dropped stops being fed.
    pub fn occurrences(&mut self) -> Occurrences {
        self.publisher.subscribe()
    }

    fn needed(&self) -> Option<usize> {
        match self.mode {
            MatchMode::Any => self.till,
            _ => self.till.map(|n| n * self.patterns.len()),
        }
    }

    fn is_finished(&self) -> bool {
        self.needed().is_some_and(|n| self.count >= n)
    }

    /// Checks one line as Moler does; true if it was an occurrence.
    fn check_line(&mut self, line: &str, now: Instant) -> bool {
        let try_pattern = |i: usize| self.patterns[i].captures(line).map(|c| (i, c));
        let hit = match self.mode {
            MatchMode::Any => (0..self.patterns.len()).find_map(try_pattern),
            MatchMode::All => self.waiting_for.iter().copied().find_map(try_pattern),
            MatchMode::Sequence => self.waiting_for.first().copied().and_then(try_pattern),
        };
        let Some((index, caps)) = hit else { return false };
        let pattern = &self.patterns[index];
        let occurrence = Occurrence {
            line: line.to_owned(),
            matched: caps[0].to_owned(),
            groups: caps.iter().skip(1).map(|g| g.map(|m| m.as_str().to_owned())).collect(),
            named_groups: pattern
                .capture_names()
                .flatten()
                .map(|n| (n.to_owned(), caps.name(n).map(|m| m.as_str().to_owned())))
                .collect(),
            pattern: index,
            time: now,
        };
        if self.mode != MatchMode::Any {
            self.waiting_for.retain(|&i| i != index);
            if self.waiting_for.is_empty() {
                self.waiting_for.extend(0..self.patterns.len());
            }
        }
        self.count += 1;
        if self.publisher.is_listened() {
            self.publisher.publish(occurrence.clone());
        }
        if self.till.is_some() {
            self.found.push(occurrence);
        }
        true
    }

    /// Searches a block of whole lines; stops early once finished.
    fn check_block(&mut self, block: &str, now: Instant) {
        let bytes = block.as_bytes();
        let mut at = 0;
        while at < block.len() && !self.is_finished() {
            let Some(m) = self.finder.find_at(block, at) else { return };
            if m.start() == block.len() {
                return; // the start of the next line, which is not in this block
            }
            let start = memchr::memrchr2(b'\r', b'\n', &bytes[..m.start()]).map_or(0, |i| i + 1);
            let end = memchr::memchr2(b'\r', b'\n', &bytes[m.start()..])
                .map_or(block.len(), |i| m.start() + i);
            // An empty "line" between two `\r` of one line end is no line.
            let pseudo = start == end && start > 0 && bytes[start - 1] == b'\r';
            if !pseudo {
                self.check_line(&block[start..end], now);
            }
            at = end + 1;
        }
    }
}

impl Observer for Wait4 {
    type Output = Vec<Occurrence>;

    fn describe(&self) -> String {
        let pats: Vec<&str> = self.patterns.iter().map(|r| r.as_str()).collect();
        format!("event Wait4({pats:?})")
    }

    fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    fn literals(&self) -> Option<Literals> {
        // Escape codes may cut a literal in the received text.
        self.literals.clone().filter(|_| self.stripper.is_none())
    }

    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Vec<Occurrence>> {
        let now = cx.now();
        let stripped;
        let data = match &mut self.stripper {
            Some(s) if !s.in_text() || memchr::memchr2(0x1b, 0x07, data.as_bytes()).is_some() => {
                let mut out = Vec::with_capacity(data.len());
                s.strip_into(data.as_bytes(), &mut out);
                // Invariant: the stripper drops ASCII bytes and whole characters only.
                stripped = String::from_utf8(out).expect("stripping keeps UTF-8 valid");
                stripped.as_str()
            }
            _ => data,
        };
        if cx.is_paused() {
            if data.is_empty() {
                return Step::Pending;
            }
            // What was under way is dropped, and so is a partial line already reported: the
            // line it belonged to ends while paused.
            self.lines.clear();
            self.partial_reported = false;
            self.partial_hot = false;
            // Text that ends at a line end leaves the event at a line start: the next line is
            // matched in full. After a `\r` a `\n` may still follow, as the rest of that line end.
            self.skip_line = !data.ends_with(['\r', '\n']);
            if data.ends_with('\r') {
                self.lines.expect_line_end_rest();
            }
            return Step::Pending;
        }
        let mut data = data;
        if self.skip_line {
            // Resume at the next line start.
            let Some(i) = memchr::memchr2(b'\r', b'\n', data.as_bytes()) else {
                return Step::Pending;
            };
            self.skip_line = false;
            self.lines.expect_line_end_rest();
            data = &data[i..];
        }
        // Without a literal ending in the chunk, only a line that held one before can match.
        let seen = cx.literals_seen();
        let hot = self.partial_hot;
        let mut line_ended = false;
        let mut lines = std::mem::replace(&mut self.lines, LineSplitter::new(1));
        lines.feed_block(data, |text, is_block| {
            line_ended = true;
            if is_block {
                if seen {
                    self.check_block(text, now);
                }
            } else if !std::mem::take(&mut self.partial_reported)
                && (seen || hot)
                && !self.is_finished()
            {
                self.check_line(text, now);
            }
        });
        // After a line end the partial line lies wholly in this chunk.
        self.partial_hot = seen || (hot && !line_ended);
        if self.partial_lines && !self.partial_reported && !self.is_finished() {
            if let Some(p) = lines.take_partial_change() {
                if self.partial_hot {
                    let p = p.to_owned();
                    self.partial_reported = self.check_line(&p, now);
                }
            }
        }
        self.lines = lines;
        if self.is_finished() {
            Step::Done(Ok(std::mem::take(&mut self.found)))
        } else {
            Step::Pending
        }
    }
}

impl Drop for Wait4 {
    /// The event ended: its occurrences' subscriptions end.
    fn drop(&mut self) {
        self.publisher.close();
    }
}

/// Occurrences of an event as they happen (see [`Wait4::occurrences`]): a [`Subscription`]
/// to the event's publisher, which ends when the event finishes.
pub type Occurrences = Subscription<Occurrence>;

/// Rewrites a pattern so that, searched over many lines at once, it matches exactly where it
/// would match within one line: no character class or literal may match a line end, and the
/// text anchors (`^`, `$`, `\A`, `\z`) become line anchors that know `\r\n`. Captures are dropped
/// (the combined search only finds candidates).
fn within_line(h: Hir) -> Hir {
    match h.into_kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(hir::Literal(bytes)) => {
            if bytes.iter().any(|&b| b == b'\n' || b == b'\r') {
                Hir::fail()
            } else {
                Hir::literal(bytes)
            }
        }
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&hir::ClassUnicode::new([
                hir::ClassUnicodeRange::new('\n', '\n'),
                hir::ClassUnicodeRange::new('\r', '\r'),
            ]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            c.difference(&hir::ClassBytes::new([
                hir::ClassBytesRange::new(b'\n', b'\n'),
                hir::ClassBytesRange::new(b'\r', b'\r'),
            ]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Look(look) => Hir::look(match look {
            Look::Start | Look::StartLF | Look::StartCRLF => Look::StartCRLF,
            Look::End | Look::EndLF | Look::EndCRLF => Look::EndCRLF,
            other => other,
        }),
        HirKind::Repetition(mut r) => {
            r.sub = Box::new(within_line(*r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(c) => within_line(*c.sub),
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(within_line).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.into_iter().map(within_line).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewritten_patterns_stay_within_a_line() {
        let h = within_line(regex_syntax::Parser::new().parse(r"^a\s+b$").unwrap());
        let r = Regex::new(&h.to_string()).unwrap();
        assert!(r.is_match("x\r\na  b\r\ny"));
        assert!(!r.is_match("a\nb"));
        assert!(!r.is_match("xa b"));
    }

    #[test]
    fn events_with_the_same_patterns_share_their_finder() {
        let a = Wait4::new([r"^fin(\d+)$", "ok"]).unwrap();
        let b = Wait4::new(vec![String::from(r"^fin(\d+)$"), String::from("ok")]).unwrap();
        assert!(Arc::ptr_eq(&a.finder, &b.finder));
        let other = Wait4::new(["ok", r"^fin(\d+)$"]).unwrap();
        assert!(!Arc::ptr_eq(&a.finder, &other.finder));
        // An invalid pattern is still an error, every time.
        for _ in 0..2 {
            assert!(Wait4::new(["ok", "(unclosed"]).is_err());
        }
    }

    #[test]
    fn a_pattern_over_the_size_limit_is_refused_by_name() {
        let huge = r"\w{5000}{5000}";
        let err = Wait4::new(["ok", huge]).unwrap_err().to_string();
        assert!(err.contains("invalid pattern") && err.contains(r"\\w{5000}{5000}"), "{err}");
        // A large one under the limit is an event like any other.
        let ev = Wait4::new(["(a*){2000}x"]).unwrap();
        assert_eq!(ev.patterns.len(), 1);
    }
}
