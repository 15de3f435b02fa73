//! The feed tester: one captured output fed to a parser in every way a device could cut it.

use std::fmt;
use std::ops::RangeInclusive;

use moler_core::{Observer, Result};

use crate::offline;

/// One way to cut a captured output into the reads a connection gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// All of it in one read.
    Whole,
    /// One read per line, each with its line end ([`offline::lines_of`]).
    LineByLine,
    /// Reads of this many bytes (the last one shorter), cutting lines and UTF-8 characters.
    Chunks(usize),
}

impl Feed {
    /// `output` cut this way.
    pub fn pieces<'a>(&self, output: &'a [u8]) -> Vec<&'a [u8]> {
        match *self {
            Feed::Whole => vec![output],
            Feed::LineByLine => offline::lines_of(output).collect(),
            Feed::Chunks(size) => output.chunks(size.max(1)).collect(),
        }
    }
}

impl fmt::Display for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Feed::Whole => f.write_str("whole"),
            Feed::LineByLine => f.write_str("line by line"),
            Feed::Chunks(size) => write!(f, "chunks of {size}"),
        }
    }
}

/// Feeds one captured output to a fresh command (or any observer) whole, line by line and in
/// every chunk size from 1 to 64 bytes (66 feeds), offline ([`offline::parse`]), and checks
/// every result: a parser must not depend on where the reads were cut. The library's own
/// reference cases go through it (`commands/tests/fixtures.rs`); use it for your parsers.
///
/// ```
/// use moler_commands::unix::Uname;
/// use moler_commands::{FeedTester, UnixCommand};
///
/// let output = b"host:~ # uname -s\nLinux\nhost:~ # ";
/// let make = || Uname::new().options("-s").command_with_prompt(r"^host:~ #\s*$");
/// let result = FeedTester::new().assert_all_give(output, make);
/// assert_eq!(result.result, ["Linux"]);
/// ```
#[derive(Debug, Clone)]
pub struct FeedTester {
    whole_and_lines: bool,
    chunk_sizes: RangeInclusive<usize>,
}

impl Default for FeedTester {
    fn default() -> Self {
        FeedTester::new()
    }
}

impl FeedTester {
    /// Whole, line by line, and chunks of 1 to 64 bytes.
    pub fn new() -> Self {
        FeedTester { whole_and_lines: true, chunk_sizes: 1..=64 }
    }

    /// Whole and line by line only (no chunks): for a prompt regex that cannot tell a prompt
    /// from a read cut after a `#` or `>` of the output.
    pub fn whole_and_lines() -> Self {
        #[allow(clippy::reversed_empty_ranges)]
        FeedTester { whole_and_lines: true, chunk_sizes: 1..=0 }
    }

    /// Chunks of these sizes (sizes below 1 are skipped).
    pub fn chunk_sizes(mut self, sizes: RangeInclusive<usize>) -> Self {
        self.chunk_sizes = sizes;
        self
    }

    /// Every feed, in the order they are tried.
    pub fn feeds(&self) -> Vec<Feed> {
        let mut feeds = Vec::new();
        if self.whole_and_lines {
            feeds.extend([Feed::Whole, Feed::LineByLine]);
        }
        feeds.extend(self.chunk_sizes.clone().filter(|&s| s > 0).map(Feed::Chunks));
        feeds
    }

    /// Feeds `output` to `make(feed)` (a fresh observer for each feed; an `Err` is reported for
    /// that feed) and hands each outcome to `judge`, which says what is wrong with it, if
    /// anything. Returns the problems, each prefixed with its feed; empty when all went well.
    pub fn check<O: Observer>(
        &self,
        output: &[u8],
        mut make: impl FnMut(Feed) -> std::result::Result<O, String>,
        mut judge: impl FnMut(Result<O::Output>) -> std::result::Result<(), String>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        for feed in self.feeds() {
            let outcome = make(feed).map(|observer| offline::parse(observer, feed.pieces(output)));
            let verdict = match outcome {
                Ok(outcome) => judge(outcome),
                Err(e) => Err(format!("cannot build: {e}")),
            };
            if let Err(problem) = verdict {
                problems.push(format!("{feed}: {problem}"));
            }
        }
        problems
    }

    /// Feeds `output` to `make()` in every way and returns the result, after checking that
    /// every feed gave it (the first, [`Feed::Whole`] when it is tried, is the reference).
    ///
    /// # Panics
    ///
    /// When a feed fails or gives another result, listing every feed that did.
    #[track_caller]
    pub fn assert_all_give<O>(&self, output: &[u8], mut make: impl FnMut() -> O) -> O::Output
    where
        O: Observer,
        O::Output: PartialEq + fmt::Debug,
    {
        let mut reference: Option<O::Output> = None;
        let problems = self.check(
            output,
            |_| Ok(make()),
            |outcome| match (outcome, &reference) {
                (Err(e), _) => Err(format!("failed: {}", moler_core::Report(&e))),
                (Ok(got), None) => {
                    reference = Some(got);
                    Ok(())
                }
                (Ok(got), Some(want)) if &got == want => Ok(()),
                (Ok(got), Some(want)) => Err(format!("got {got:?}, other feeds gave {want:?}")),
            },
        );
        assert!(
            problems.is_empty(),
            "{} feed(s) of {} went wrong:\n{}",
            problems.len(),
            self.feeds().len(),
            problems.join("\n")
        );
        reference.expect("a feed tester with no feeds checks nothing")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_six_feeds_by_default() {
        let feeds = FeedTester::new().feeds();
        assert_eq!(feeds.len(), 66);
        assert_eq!(feeds[..3], [Feed::Whole, Feed::LineByLine, Feed::Chunks(1)]);
        assert_eq!(FeedTester::whole_and_lines().feeds(), [Feed::Whole, Feed::LineByLine]);
        assert_eq!(Feed::Chunks(2).pieces(b"abc"), [&b"ab"[..], &b"c"[..]]);
        assert_eq!(Feed::Chunks(5).to_string(), "chunks of 5");
    }
}
