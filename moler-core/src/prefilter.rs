//! The connection's shared prefilter: with several observers that each offer [`Literals`] (the
//! byte strings one of which every match of theirs contains), the connection searches each
//! chunk once for all of them, and each observer learns from
//! [`Context::literals_seen`](crate::Context::literals_seen) whether one of its own is in the
//! chunk. Ten events on one stream then cost one search, not ten.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::Hir;

/// The most literals an observer may offer through [`Literals::of_regexes`]: more make the
/// shared search slow for every observer, and such an observer is simply called for every chunk.
const MAX_LITERALS: usize = 64;

/// The shortest literal [`Literals::of_regexes`] keeps: a single byte occurs all the time.
const MIN_LITERAL_LEN: usize = 2;

/// Byte strings of which every chunk of text that matters to an observer contains one (see
/// [`Observer::literals`](crate::Observer::literals)). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literals(Arc<[Box<[u8]>]>);

impl Literals {
    /// These byte strings (an empty one occurs everywhere: the observer is then told of every
    /// chunk, as without literals).
    pub fn new<I, B>(literals: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Self(literals.into_iter().map(|b| b.as_ref().into()).collect())
    }

    /// The literals of which every match of one of `patterns` (Rust `regex` syntax) contains
    /// one, or `None` when there are no good ones: a pattern that can match without a literal
    /// of at least two bytes (`\d+`, `.*`, `^$`), an invalid pattern, or too many literals.
    ///
    /// ```
    /// use moler_core::Literals;
    /// let lits = Literals::of_regexes([r"ALARM \d+ raised", r"(?:ok|done)$"]).unwrap();
    /// assert!(lits.iter().any(|l| l == b"ALARM "));
    /// assert!(Literals::of_regexes([r"\d+", "ok"]).is_none());
    /// ```
    pub fn of_regexes<I, S>(patterns: I) -> Option<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut hirs = Vec::new();
        for p in patterns {
            hirs.push(regex_syntax::Parser::new().parse(p.as_ref()).ok()?);
        }
        Self::of_hirs(&hirs)
    }

    /// [`Literals::of_regexes`] for parsed patterns.
    pub(crate) fn of_hirs(hirs: &[Hir]) -> Option<Self> {
        let mut all: Vec<Vec<u8>> = Vec::new();
        for hir in hirs {
            // Every match starts with one of the prefixes, and ends with one of the suffixes.
            let lits =
                extract(hir, ExtractKind::Prefix).or_else(|| extract(hir, ExtractKind::Suffix))?;
            all.extend(lits);
        }
        all.sort_unstable();
        all.dedup();
        (all.len() <= MAX_LITERALS).then(|| Self::new(all))
    }

    /// The literals.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.0.iter().map(|l| &**l)
    }
}

/// The prefix or suffix literals of `hir`, if they are few and long enough to be worth a search.
fn extract(hir: &Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let mut extractor = Extractor::new();
    extractor.kind(kind.clone());
    let mut seq = extractor.extract(hir);
    match kind {
        ExtractKind::Suffix => seq.optimize_for_suffix_by_preference(),
        _ => seq.optimize_for_prefix_by_preference(),
    }
    let lits = seq.literals()?;
    if lits.len() > MAX_LITERALS || lits.iter().any(|l| l.len() < MIN_LITERAL_LEN) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// A member to tell of a literal found, and the longer literal of that member that must be
/// there too (`None`: the literal found is the member's own).
type Tell = (u32, Option<Box<[u8]>>);

/// One search for the literals of several observers (the members, numbered from 0).
pub(crate) struct Prefilter {
    searcher: AhoCorasick,
    /// For each literal (by pattern id), the members to tell when it is found: its own, and
    /// those of the longer literals it is a prefix of, if they are there too (a leftmost-first
    /// search of literals sorted shortest first reports, of those starting at one place, only
    /// the shortest).
    tell: Vec<Vec<Tell>>,
    members: usize,
    /// The length of the longest literal.
    longest: usize,
}

impl Prefilter {
    /// The prefilter of these members' literals; `None` if one of them has an empty literal
    /// (the search would stop everywhere) or there are too few members to gain anything.
    pub(crate) fn new(members: &[&Literals]) -> Option<Self> {
        if members.len() < 2 {
            return None;
        }
        let mut owned: Vec<(&[u8], u32)> = Vec::new();
        for (m, lits) in members.iter().enumerate() {
            for lit in lits.iter() {
                if lit.is_empty() {
                    return None;
                }
                owned.push((lit, m as u32));
            }
        }
        owned.sort_unstable_by(|a, b| {
            a.0.len().cmp(&b.0.len()).then(a.0.cmp(b.0)).then(a.1.cmp(&b.1))
        });
        owned.dedup();
        let mut lits: Vec<&[u8]> = owned.iter().map(|(l, _)| *l).collect();
        lits.dedup();
        let tell = lits
            .iter()
            .map(|lit| {
                // Its own members first (told at once), then the longer ones' (checked).
                owned
                    .iter()
                    .filter(|(l, _)| l.starts_with(lit))
                    .map(|(l, m)| (*m, (l.len() > lit.len()).then(|| Box::from(*l))))
                    .collect()
            })
            .collect();
        let searcher =
            AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(&lits).ok()?;
        let longest = lits.last().map_or(0, |l| l.len());
        Some(Self { searcher, tell, members: members.len(), longest })
    }

    /// Sets `seen[m]` for each member `m` with a literal in `text` that begins before `before`
    /// and ends after `after` (the others stay as they are).
    fn scan(&self, text: &[u8], before: usize, after: usize, seen: &mut [bool]) {
        let mut left = seen.iter().filter(|s| !**s).count();
        let mut at = 0;
        while at < before {
            let Some(m) = self.searcher.find(Input::new(text).span(at..text.len())) else {
                return;
            };
            if m.start() >= before {
                return;
            }
            for (member, longer) in &self.tell[m.pattern().as_usize()] {
                let s = &mut seen[*member as usize];
                let end = m.start() + longer.as_ref().map_or(m.len(), |l| l.len());
                if !*s
                    && end > after
                    && longer.as_ref().is_none_or(|l| text[m.start()..].starts_with(l))
                {
                    *s = true;
                    left -= 1;
                }
            }
            if left == 0 {
                return;
            }
            // Literals starting further on may overlap this one.
            at = m.start() + 1;
        }
    }
}

/// The connection's side of the prefilter: which observers are members, and what each chunk
/// holds for them, counting the literals that begin in the text before it.
#[derive(Default)]
pub(crate) struct SharedSearch {
    prefilter: Option<Arc<Prefilter>>,
    /// Per member: whether one of its literals ends in the chunk searched last.
    seen: Vec<bool>,
    /// The end of the text searched so far: a literal found in it and the start of the next
    /// chunk may begin before that chunk (as long as the longest literal, less one byte).
    carry: Vec<u8>,
    /// Where the carry and the start of a chunk are put together to be searched.
    window: Vec<u8>,
}

impl SharedSearch {
    /// The prefilter for `members` (in order: member `m` is `members[m]`); false when there is
    /// none (too few members, or an empty literal): then every observer sees every chunk.
    pub(crate) fn renew(&mut self, members: &[&Literals]) -> bool {
        self.prefilter = crate::cache::prefilter(members);
        if self.prefilter.is_none() {
            // The next prefilter's first chunk does not follow this text.
            self.carry.clear();
        }
        self.prefilter.is_some()
    }

    /// Searches the next chunk of the stream (a no-op without a prefilter).
    pub(crate) fn scan(&mut self, text: &[u8]) {
        let Some(prefilter) = &self.prefilter else { return };
        self.seen.clear();
        self.seen.resize(prefilter.members, false);
        prefilter.scan(text, text.len(), 0, &mut self.seen);
        let keep = prefilter.longest.saturating_sub(1);
        if !self.carry.is_empty() {
            // A literal that began in the previous chunk and ends in this one.
            self.window.clear();
            self.window.extend_from_slice(&self.carry);
            self.window.extend_from_slice(&text[..text.len().min(keep)]);
            let carried = self.carry.len();
            prefilter.scan(&self.window, carried, carried, &mut self.seen);
        }
        if text.len() >= keep {
            self.carry.clear();
            self.carry.extend_from_slice(&text[text.len() - keep..]);
        } else {
            self.carry.extend_from_slice(text);
            let excess = self.carry.len() - keep.min(self.carry.len());
            self.carry.drain(..excess);
        }
    }

    /// Whether one of the literals of member `m` ends in the chunk searched last.
    pub(crate) fn seen(&self, m: u32) -> bool {
        self.seen[m as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(l: &[&str]) -> Literals {
        Literals::new(l.iter().map(|s| s.as_bytes()))
    }

    fn scan(members: &[&Literals], text: &str) -> Vec<bool> {
        let mut seen = vec![false; members.len()];
        Prefilter::new(members).unwrap().scan(text.as_bytes(), text.len(), 0, &mut seen);
        seen
    }

    #[test]
    fn a_literal_cut_between_chunks_is_seen_in_the_chunk_where_it_ends() {
        let (a, b) = (lits(&["ALARM_1"]), lits(&["END"]));
        let mut search = SharedSearch::default();
        assert!(search.renew(&[&a, &b]));
        let mut got = Vec::new();
        for chunk in ["xx AL", "A", "RM", "_1 E", "N", "D", "", "ALARM_1END"] {
            search.scan(chunk.as_bytes());
            got.push((search.seen(0), search.seen(1)));
        }
        let f = false;
        assert_eq!(
            got,
            [(f, f), (f, f), (f, f), (true, f), (f, f), (f, true), (f, f), (true, true)]
        );
    }

    #[test]
    fn each_member_learns_of_its_own_literals() {
        let (a, b, c) = (lits(&["ALARM_1"]), lits(&["ALARM_2", "END"]), lits(&["RM_1 up"]));
        assert_eq!(scan(&[&a, &b, &c], "x ALARM_1 y"), [true, false, false]);
        assert_eq!(scan(&[&a, &b, &c], "xEND"), [false, true, false]);
        // Overlapping and nested occurrences all count.
        assert_eq!(scan(&[&a, &b, &c], "ALARM_1 up"), [true, false, true]);
        let (short, long) = (lits(&["AB"]), lits(&["ABC"]));
        assert_eq!(scan(&[&long, &short], "xABCx"), [true, true]);
        assert_eq!(scan(&[&long, &short], "xABx"), [false, true]);
        assert_eq!(scan(&[&a, &b, &c], "nothing here"), [false, false, false]);
    }

    #[test]
    fn regexes_give_their_prefixes_or_suffixes() {
        let l = Literals::of_regexes([r"(?:ALARM_1: .*raised|MOLER_BENCH_END)"]).unwrap();
        let got: Vec<&[u8]> = l.iter().collect();
        assert_eq!(got, [&b"ALARM_1: "[..], b"MOLER_BENCH_END"]);
        let suffix = Literals::of_regexes([r"\d+ packets lost"]).unwrap();
        assert!(suffix.iter().all(|l| l.ends_with(b"lost")));
        assert!(Literals::of_regexes([r"^$"]).is_none());
        assert!(Literals::of_regexes([r".*"]).is_none());
        assert!(Literals::of_regexes([r"\d+", "ok"]).is_none());
        assert!(Literals::of_regexes(["(unclosed"]).is_none());
    }
}
