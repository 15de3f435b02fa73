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
/// The cache is bounded (1024 patterns; the least recently used go first), so patterns taken
/// from user input cannot grow it without limit.
///
/// ```
/// let a = moler_core::cached_regex(r"^moler_bash# $").unwrap();
/// let b = moler_core::cached_regex(r"^moler_bash# $").unwrap();
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// ```
pub fn regex(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    if let Some(r) = CACHE.lock().unwrap_or_else(PoisonError::into_inner).get(pattern) {
        return Ok(r);
    }
    // Compiled outside the lock: other threads' hits do not wait for it.
    let compiled = Arc::new(Regex::new(pattern)?);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    // Another thread may have compiled it meanwhile: keep one, so all users share its caches.
    if let Some(r) = cache.get(pattern) {
        return Ok(r);
    }
    cache.insert(pattern.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
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
        let compiled = LineRegex::new(regex(prompt)?);
        let tail = crate::prompt::tail_pattern(prompt).and_then(|p| regex(&p).ok());
        Ok((compiled, tail))
    })
}

/// The regex of `pattern` (as [`regex`] gives it) with its quick test for lines (see
/// [`LineRegex`]); parsed once per pattern.
pub(crate) fn line_regex(pattern: &str) -> Result<LineRegex, regex::Error> {
    shared(&LINES, pattern, || Ok(LineRegex::new(regex(pattern)?)))
}

/// The finder of an event waiting for `patterns`: `build` makes it when no event with the same
/// patterns made it before (an error is not kept: the next event tries again).
pub(crate) fn finder<E>(
    patterns: &[&str],
    build: impl FnOnce() -> Result<Finder, E>,
) -> Result<Finder, E> {
    let key: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    shared(&FINDERS, &key, build)
}

/// The prefilter for `members` (see [`Prefilter::new`]), shared with every connection whose
/// observers offer the same literals in the same order.
pub(crate) fn prefilter(members: &[&Literals]) -> Option<Arc<Prefilter>> {
    if members.len() < 2 {
        return None;
    }
    let key: Vec<Literals> = members.iter().map(|l| (*l).clone()).collect();
    let build = || Ok::<_, std::convert::Infallible>(Prefilter::new(members).map(Arc::new));
    let Ok(built) = shared(&PREFILTERS, &key, build);
    built
}

/// The entry of `cache` for `key`, or what `build` makes for it, kept there (an error is not
/// kept: the next call tries again). `build` runs outside the lock: other threads' hits do not
/// wait for it, and it may take other caches' locks.
fn shared<K, Q, V, E, const N: usize>(
    cache: &Mutex<Bounded<K, V, N>>,
    key: &Q,
    build: impl FnOnce() -> Result<V, E>,
) -> Result<V, E>
where
    K: Borrow<Q> + Hash + Eq,
    Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    V: Clone,
{
    if let Some(v) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(key) {
        return Ok(v);
    }
    let built = build()?;
    cache.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), built.clone());
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
