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
