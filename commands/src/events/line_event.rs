//! What Moler's `LineEvent` subclasses share (`wait4` and the generic line events of each
//! family): `detect_patterns` combined by `match`, and the shape of their occurrences.

use moler_core::{Error, MatchMode, Result, Wait4};
use serde::Serialize;

use super::records::{LineOccurrence, Records};

/// An occurrence of a line event: one line for `match: any`, the lines of one complete cycle
/// for `all` and `sequence` (Moler's list).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LineRecord {
    /// A line that matched one of the patterns.
    One(LineOccurrence),
    /// Every pattern matched once (`all`: in any order, `sequence`: in order).
    Cycle(Vec<LineOccurrence>),
}

/// Moler's `match` parameter.
pub(crate) fn match_mode(value: Option<&str>) -> Result<MatchMode> {
    match value {
        None | Some("any") => Ok(MatchMode::Any),
        Some("all") => Ok(MatchMode::All),
        Some("sequence") => Ok(MatchMode::Sequence),
        Some(other) => {
            Err(Error::WrongUsage(format!("match must be any, all or sequence, not {other:?}")))
        }
    }
}

/// How a line event reads lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// Only whole lines (Moler's `process_full_lines_only`); else also the unfinished last line.
    pub full_lines_only: bool,
    /// Remove escape codes first (Moler's unix and shared families).
    pub strip_escape_codes: bool,
}

/// The inner event of a line event.
pub(crate) fn wait4<S: AsRef<str>>(patterns: &[S], mode: MatchMode, how: Reading) -> Result<Wait4> {
    Ok(Wait4::new(patterns)?
        .mode(mode)
        .match_partial_lines(!how.full_lines_only)
        .strip_escape_codes(how.strip_escape_codes))
}

/// A line event whose occurrences are single lines (`match: any`).
pub(crate) fn lines<S: AsRef<str>>(
    patterns: &[S],
    till: Option<usize>,
    how: Reading,
) -> Result<Records<LineOccurrence>> {
    let inner = wait4(patterns, MatchMode::Any, how)?;
    Ok(Records::new(inner, till, |o| Some(LineOccurrence::from_occurrence(o))))
}

/// A line event whose occurrences are complete cycles of `patterns` (`match: all` or
/// `sequence`).
pub(crate) fn cycles<S: AsRef<str>>(
    patterns: &[S],
    mode: MatchMode,
    till: Option<usize>,
    how: Reading,
) -> Result<Records<Vec<LineOccurrence>>> {
    let n = patterns.len();
    let inner = wait4(patterns, mode, how)?;
    let mut cycle = Vec::with_capacity(n);
    Ok(Records::new(inner, till, move |o| {
        cycle.push(LineOccurrence::from_occurrence(o));
        (cycle.len() >= n).then(|| std::mem::take(&mut cycle))
    }))
}

/// A line event of any `match`.
pub(crate) fn records<S: AsRef<str>>(
    patterns: &[S],
    mode: Option<&str>,
    till: Option<usize>,
    how: Reading,
) -> Result<Records<LineRecord>> {
    let mode = match_mode(mode)?;
    let n = patterns.len();
    let inner = wait4(patterns, mode, how)?;
    let mut cycle = Vec::new();
    Ok(Records::new(inner, till, move |o| {
        let o = LineOccurrence::from_occurrence(o);
        if mode == MatchMode::Any {
            return Some(LineRecord::One(o));
        }
        cycle.push(o);
        (cycle.len() >= n).then(|| LineRecord::Cycle(std::mem::take(&mut cycle)))
    }))
}
