//! Compiled regexes shared by pattern: a command is built for every call, and compiling its
//! prompt and failure regexes each time (and warming their search caches) would cost more than
//! a round trip to a local shell.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;

/// More distinct patterns than this and the cache starts over (bounded memory).
const MAX_ENTRIES: usize = 1024;

static CACHE: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);

/// The compiled regex for `pattern`, shared with every other user of the same pattern.
pub(crate) fn regex(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
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
