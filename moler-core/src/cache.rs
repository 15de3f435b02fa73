//! Compiled regexes shared by pattern: a command is built for every call, and compiling its
//! prompt and failure regexes each time (and warming their search caches) would cost more than
//! a round trip to a local shell.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;

/// More distinct patterns than this and the cache starts over (bounded memory).
const MAX_ENTRIES: usize = 1024;

static CACHE: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);

/// Prompt patterns and the regex that finds them at the end of a partial line, if any.
static TAILS: LazyLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> =
    LazyLock::new(Default::default);

/// The combined regex of an event's patterns (see [`crate::event`]), by the list of patterns:
/// building it parses and rewrites every pattern, which costs more than compiling them.
static FINDERS: LazyLock<Mutex<HashMap<Vec<String>, Arc<Regex>>>> = LazyLock::new(Default::default);

/// The compiled regex for `pattern`, shared with every other user of the same pattern (and its
/// search caches with it). For the parsers of a command library: a command is built for every
/// call, and compiling its parser's regexes each time would cost more than parsing its output.
pub fn regex(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(r) = cache.get(pattern) {
        return Ok(Arc::clone(r));
    }
    let compiled = Arc::new(Regex::new(pattern)?);
    if cache.len() >= MAX_ENTRIES {
        cache.clear();
    }
    cache.insert(pattern.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
}

/// The regex that finds `prompt` at the end of a partial line (see [`crate::prompt`]), or
/// `None` when that rule does not apply to it. Parsed once per pattern.
pub(crate) fn prompt_tail(prompt: &str) -> Option<Arc<Regex>> {
    let mut tails = TAILS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(t) = tails.get(prompt) {
        return t.clone();
    }
    let tail = crate::prompt::tail_pattern(prompt).and_then(|p| regex(&p).ok());
    if tails.len() >= MAX_ENTRIES {
        tails.clear();
    }
    tails.insert(prompt.to_owned(), tail.clone());
    tail
}

/// The finder of an event waiting for `patterns`: `build` makes it when no event with the same
/// patterns made it before (an error is not kept: the next event tries again).
pub(crate) fn finder<E>(
    patterns: &[&str],
    build: impl FnOnce() -> Result<Arc<Regex>, E>,
) -> Result<Arc<Regex>, E> {
    let key: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    if let Some(f) = FINDERS.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Ok(Arc::clone(f));
    }
    // Built outside the lock: it compiles, and takes the regex cache's lock.
    let built = build()?;
    let mut finders = FINDERS.lock().unwrap_or_else(PoisonError::into_inner);
    if finders.len() >= MAX_ENTRIES {
        finders.clear();
    }
    finders.insert(key, Arc::clone(&built));
    Ok(built)
}
