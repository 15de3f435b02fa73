//! Compiled regexes shared by pattern: a command is built for every call, and compiling its
//! prompt and failure regexes each time (and warming their search caches) would cost more than
//! a round trip to a local shell.
//!
//! Bounded: patterns come from code and configs, a small set in practice, but a program that
//! builds commands from arbitrary input (a prompt per host, a pattern per request) must not
//! grow the process without limit. Each cache keeps at most [`MAX_ENTRIES`] entries in two
//! generations (a cheap approximation of least-recently-used): new entries go to the young
//! one; when it is full the old generation is dropped and the young one becomes old; a hit in
//! the old generation moves the entry back to the young one. So the patterns in use survive
//! any stream of one-off patterns, and nothing is scanned or reordered on a hit.
//!
//! Bounded in bytes too: a regex whose compiled program is large (over [`LARGE_PROGRAM`], as
//! a Unicode class repeated makes it) is kept in a cache of [`LARGE_ENTRIES`] of its own, and
//! in none of the caches built on regexes.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;

use crate::prefilter::{Literals, Prefilter};
use crate::prompt::LineRegex;

/// The most entries each cache holds (both generations together).
const MAX_ENTRIES: usize = 1024;

static CACHE: LazyLock<Mutex<Bounded<String, Arc<Regex>>>> = LazyLock::new(Default::default);

/// A regex whose compiled program is larger than this (bytes, as the regex crate counts its
/// `size_limit`) is a large one. A prompt or a failure pattern compiles to a few kilobytes;
/// a Unicode class repeated compiles to megabytes (`(a|\w{50})` alone, about 3 MB), so a
/// thousand large ones in the caches would hold gigabytes.
const LARGE_PROGRAM: usize = 256 * 1024;

/// How many large regexes are kept, apart from the others (and none in the caches built on
/// them: lines, prompts, events' finders): bounded in bytes as well as in entries.
const LARGE_ENTRIES: usize = 16;

static LARGE: LazyLock<Mutex<Bounded<String, Arc<Regex>, LARGE_ENTRIES>>> =
    LazyLock::new(Default::default);

/// Failure patterns (and any other regex asked about single lines): their regex with its quick
/// test (see [`LineRegex`]), which parsing the pattern finds.
static LINES: LazyLock<Mutex<Bounded<String, LineRegex>>> = LazyLock::new(Default::default);

/// Prompt patterns: their regex and the regex that finds them at the end of a partial line, if
/// any (one look-up per command built).
type PromptRegexes = (LineRegex, Option<Arc<Regex>>);
static PROMPTS: LazyLock<Mutex<Bounded<String, PromptRegexes>>> = LazyLock::new(Default::default);

/// The combined regex of an event's patterns (see [`crate::event`]), by the list of patterns:
/// building it parses and rewrites every pattern, which costs more than compiling them.
static FINDERS: LazyLock<Mutex<Bounded<Vec<String>, Finder>>> = LazyLock::new(Default::default);

/// An event's combined regex, and the literals of its patterns (see [`crate::Literals`]).
pub(crate) type Finder = (Arc<Regex>, Option<Literals>);

/// The shared literal searches of a connection's observers (see [`crate::prefilter`]), by the
/// members' literals in order: building one costs more than a round trip, and the same events
/// come back command after command. Fewer entries than the others: each holds an automaton.
static PREFILTERS: LazyLock<Mutex<Prefilters>> = LazyLock::new(Default::default);
type Prefilters = Bounded<Vec<Literals>, Option<Arc<Prefilter>>, 64>;

/// The compiled regex for `pattern`, shared with every other user of the same pattern (and its
/// search caches with it). For the parsers of a command library: a command is built for every
/// call, and compiling its parser's regexes each time would cost more than parsing its output.
///
/// The cache is bounded (1024 patterns; the least recently used go first, and of the large
/// ones, whose compiled program is over 256 KiB, 16), so patterns taken from user input cannot
/// grow it without limit.
///
/// ```
/// let a = moler_core::cached_regex(r"^moler_bash# $").unwrap();
/// let b = moler_core::cached_regex(r"^moler_bash# $").unwrap();
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// ```
pub fn regex(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    sized(pattern).map(|(r, _)| r)
}

/// [`regex`], and whether it is a large one (see [`LARGE_PROGRAM`]): a cache built on it keeps
/// only the others.
pub(crate) fn sized(pattern: &str) -> Result<(Arc<Regex>, bool), regex::Error> {
    if let Some(r) = lock(&CACHE).get(pattern) {
        return Ok((r, false));
    }
    if let Some(r) = lock(&LARGE).get(pattern) {
        return Ok((r, true));
    }
    // Compiled outside the lock: other threads' hits do not wait for it. First within the
    // size of the others: a large one fails fast there, and is then compiled with the regex
    // crate's own limit.
    let small = regex::RegexBuilder::new(pattern).size_limit(LARGE_PROGRAM).build();
    let (compiled, large) = match small {
        Ok(r) => (Arc::new(r), false),
        Err(regex::Error::CompiledTooBig(_)) => (Arc::new(Regex::new(pattern)?), true),
        Err(e) => return Err(e),
    };
    // Another thread may have compiled it meanwhile: keep one, so all users share its caches.
    let kept = if large {
        lock(&LARGE).get_or_insert(pattern, &compiled)
    } else {
        lock(&CACHE).get_or_insert(pattern, &compiled)
    };
    Ok((kept, large))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The regex of `prompt` (as [`regex`] gives it) and the regex that finds it at the end of a
/// partial line (see [`crate::prompt`]), or `None` when that rule does not apply to it. Parsed
/// once per pattern; one look-up.
pub(crate) fn prompt(prompt: &str) -> Result<PromptRegexes, regex::Error> {
    // A thread mostly builds commands for one prompt at a time: the last one it used is kept
    // at hand, with no hashing and no lock (a third of building a command otherwise).
    let last = LAST_PROMPT.with(|last| {
        let last = last.borrow();
        last.as_ref().filter(|(p, _)| p == prompt).map(|(_, regexes)| regexes.clone())
    });
    if let Some(regexes) = last {
        return Ok(regexes);
    }
    let found = prompt_shared(prompt)?;
    LAST_PROMPT.with(|last| *last.borrow_mut() = Some((prompt.to_owned(), found.clone())));
    Ok(found)
}

thread_local! {
    /// The prompt this thread used last, and its regexes.
    static LAST_PROMPT: std::cell::RefCell<Option<(String, PromptRegexes)>> =
        const { std::cell::RefCell::new(None) };
}

fn prompt_shared(prompt: &str) -> Result<PromptRegexes, regex::Error> {
    shared(&PROMPTS, prompt, || {
        // It parses, and takes the regex cache's lock.
        let (compiled, large) = sized(prompt)?;
        let tail = crate::prompt::tail_pattern(prompt).and_then(|p| sized(&p).ok());
        let large = large || tail.as_ref().is_some_and(|(_, large)| *large);
        Ok(((LineRegex::new(compiled), tail.map(|(r, _)| r)), !large))
    })
}

/// The regex of `pattern` (as [`regex`] gives it) with its quick test for lines (see
/// [`LineRegex`]); parsed once per pattern.
pub(crate) fn line_regex(pattern: &str) -> Result<LineRegex, regex::Error> {
    shared(&LINES, pattern, || {
        let (compiled, large) = sized(pattern)?;
        Ok((LineRegex::new(compiled), !large))
    })
}

/// The finder of an event waiting for `patterns`: `build` makes it when no event with the same
/// patterns made it before (an error is not kept: the next event tries again), with whether
/// its regex is a large one (see [`sized`]: then it is not kept either).
pub(crate) fn finder<E>(
    patterns: &[&str],
    build: impl FnOnce() -> Result<(Finder, bool), E>,
) -> Result<Finder, E> {
    let key: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    shared(&FINDERS, &key, || build().map(|(finder, large)| (finder, !large)))
}

/// The prefilter for `members` (see [`Prefilter::new`]), shared with every connection whose
/// observers offer the same literals in the same order.
pub(crate) fn prefilter(members: &[&Literals]) -> Option<Arc<Prefilter>> {
    if members.len() < 2 {
        return None;
    }
    let key: Vec<Literals> = members.iter().map(|l| (*l).clone()).collect();
    let build = || Ok::<_, std::convert::Infallible>((Prefilter::new(members).map(Arc::new), true));
    let Ok(built) = shared(&PREFILTERS, &key, build);
    built
}

/// The entry of `cache` for `key`, or what `build` makes for it, kept there when `build` says
/// so (an error is not kept: the next call tries again). `build` runs outside the lock: other
/// threads' hits do not wait for it, and it may take other caches' locks.
fn shared<K, Q, V, E, const N: usize>(
    cache: &Mutex<Bounded<K, V, N>>,
    key: &Q,
    build: impl FnOnce() -> Result<(V, bool), E>,
) -> Result<V, E>
where
    K: Borrow<Q> + Hash + Eq,
    Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    V: Clone,
{
    if let Some(v) = lock(cache).get(key) {
        return Ok(v);
    }
    let (built, keep) = build()?;
    if keep {
        lock(cache).insert(key.to_owned(), built.clone());
    }
    Ok(built)
}

/// A map of at most `N` entries in two generations (see the module's doc).
struct Bounded<K, V, const N: usize = MAX_ENTRIES> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K, V, const N: usize> Default for Bounded<K, V, N> {
    fn default() -> Self {
        Self { young: HashMap::new(), old: HashMap::new() }
    }
}

impl<K: Hash + Eq, V: Clone, const N: usize> Bounded<K, V, N> {
    /// Each generation's size: the two together hold at most `N`.
    const GENERATION: usize = N / 2;

    /// The value for `key`, moved to the young generation if it was in the old one.
    fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(v) = self.young.get(key) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(key)?;
        self.insert(k, v.clone());
        Some(v)
    }

    /// The value for `key`, or `value` (cloned) kept for it: when two threads built one
    /// meanwhile, the first kept is the one all share.
    fn get_or_insert<Q>(&mut self, key: &Q, value: &V) -> V
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    {
        if let Some(v) = self.get(key) {
            return v;
        }
        self.insert(key.to_owned(), value.clone());
        value.clone()
    }

    /// How many entries it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    /// Adds an entry to the young generation, ageing the generations when it is full.
    fn insert(&mut self, key: K, value: V) {
        if self.young.len() >= Self::GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_pattern_gives_the_same_regex() {
        let a = regex("^cache_test_same$").unwrap();
        assert!(Arc::ptr_eq(&a, &regex("^cache_test_same$").unwrap()));
        assert!(regex("(unclosed").is_err());
    }

    /// Regexes that compile to megabytes are kept apart and few: a program that builds
    /// commands from such patterns holds a bounded number of them, not a thousand (a fuzzed
    /// config made the process grow to a gigabyte).
    #[test]
    fn large_regexes_are_kept_apart_and_few() {
        let small = "^cache_test_small# $";
        let (_, large) = sized(small).unwrap();
        assert!(!large, "a prompt is not a large regex");
        assert!(lock(&CACHE).get(small).is_some());
        let pattern = |i: usize| format!("cache_test_large_{i}(\\w{{40}})");
        for i in 0..2 * LARGE_ENTRIES + 2 {
            let (r, large) = sized(&pattern(i)).unwrap();
            assert!(large, "{}", pattern(i));
            assert!(r.is_match(&format!("cache_test_large_{i}{}", "é".repeat(40))));
            assert!(lock(&LARGE).len() <= LARGE_ENTRIES);
            assert!(lock(&CACHE).get(pattern(i).as_str()).is_none());
            // Not kept by the caches built on regexes either.
            let _ = line_regex(&pattern(i)).unwrap();
            assert!(lock(&LINES).get(pattern(i).as_str()).is_none());
            let _ = prompt_shared(&pattern(i)).unwrap();
            assert!(lock(&PROMPTS).get(pattern(i).as_str()).is_none());
        }
        // The last ones are shared while they are kept.
        let last = pattern(2 * LARGE_ENTRIES + 1);
        assert!(Arc::ptr_eq(&regex(&last).unwrap(), &regex(&last).unwrap()));
        // Too large for the regex crate at all: its error, as before.
        assert!(matches!(regex("\\w{5000}{5000}"), Err(regex::Error::CompiledTooBig(_))));
    }

    #[test]
    fn bounded_keeps_what_is_used_and_forgets_one_offs() {
        let mut b: Bounded<String, usize> = Bounded::default();
        b.insert("hot".into(), 0);
        for i in 1..10 * MAX_ENTRIES {
            b.insert(format!("one-off {i}"), i);
            assert!(b.young.len() + b.old.len() <= MAX_ENTRIES);
            // Used now and then, much less often than one generation fills.
            if i % 100 == 0 {
                assert_eq!(b.get("hot"), Some(0), "after {i} one-offs");
            }
        }
        assert_eq!(b.get("one-off 1"), None);
        assert_eq!(b.get(&format!("one-off {}", 10 * MAX_ENTRIES - 1)), Some(10 * MAX_ENTRIES - 1));
    }
}
