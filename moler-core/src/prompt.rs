//! A prompt at the end of a partial line: output that does not end in a newline (`printf x`,
//! `echo -n`) leaves bash's prompt on the same line, `xmoler_bash# `, which a prompt regex
//! anchored with `^` cannot match whole.
//!
//! The rule, and where it stops:
//! - Only a **partial** line is split. A whole line (it has its line end) is output: bash never
//!   ends its prompt with a newline, and `echo xmoler_bash# ` prints a line that is no prompt.
//! - Only a prompt regex **anchored with `^`** is tried on suffixes. An unanchored one already
//!   matches anywhere in the line, and where its text starts is unknown (`\$ $` matches the end
//!   of `user@host:~$ `, whose start is no output).
//! - Only a prompt that **starts with known text** (a literal, or a few alternatives: what
//!   `regex-syntax` finds as the prefixes of every match): the suffixes tried start where that
//!   text occurs. A prompt starting with a wide class, such as the generic
//!   `^[^<]*[$%#>~]\s*$`, would match the end of any tag (`<a>b</a>`) and is never split.
//! - The leftmost such suffix that matches whole is the prompt; the text before it is the
//!   command's last output line, once nothing more came for
//!   [`PROMPT_QUIET`](crate::PROMPT_QUIET): the same text may be the middle of a line cut by a
//!   read (an echoed `export PS1="host#"`), and a prompt is the last thing a shell writes.
//!   The terminating period after a Ctrl-C does not use the rule: it waits for a prompt at a
//!   line start (bash puts one after `^C`), or for its end.
//! - Only the last [`TAIL_WINDOW`] bytes are searched, so each look is linear in that bound
//!   however long the line grows, and it costs nothing on lines the prompt matches whole (the
//!   common case, looked at first).

use std::sync::Arc;

use regex::Regex;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind, Look};

/// The characters a shell's prompt ends with (before its trailing spaces): `$`, `#`, `>`, `%`,
/// `~`. What tells a line that looks like a prompt from output, where no regex says it.
pub const PROMPT_ENDS: [char; 5] = ['$', '#', '>', '%', '~'];

/// How far back from the end of a partial line a prompt is looked for, in bytes: a prompt is
/// short, and the bound keeps a long line that arrives in small reads from being searched
/// whole at every read.
pub(crate) const TAIL_WINDOW: usize = 1024;

/// A regex asked about one line at a time (a prompt, a command's failure or failure exception),
/// with the texts every match of it starts with when it is anchored with `^` and starts with
/// known text: a line starting with none of them is ruled out by a comparison before the regex
/// runs. Most lines a command sees are plain output, and a regex search, however short the
/// line, costs a few hundred instructions (about a tenth of a command's round trip over TCP
/// went to asking `^sim> $` about one output line; a sixth of parsing `ls -l` went to asking
/// `^ls: ` about each line).
///
/// A regex that is only text between `^` and `$` (`^moler_bash# $`, or a few alternatives)
/// is a comparison with that text and no regex at all.
#[derive(Clone, Debug)]
pub(crate) struct LineRegex {
    regex: Arc<Regex>,
    quick: Quick,
}

/// What a line is checked against before (or instead of) the regex.
#[derive(Clone, Debug)]
enum Quick {
    /// The whole lines the prompt matches: a comparison decides.
    Whole(Arc<[Box<[u8]>]>),
    /// The texts every match starts with: a line starting otherwise does not match.
    Starts(Arc<[Box<[u8]>]>),
    /// The regex decides.
    Regex,
}

/// More alternatives than this at a prompt's start: no quick test (the regex decides).
const MAX_STARTS: usize = 32;

impl LineRegex {
    /// `regex` with its quick test, parsed from its pattern.
    pub(crate) fn new(regex: Arc<Regex>) -> Self {
        let quick = regex_syntax::Parser::new().parse(regex.as_str()).ok().and_then(|hir| {
            whole_lines(&hir)
                .map(|lines| Quick::Whole(lines.into()))
                .or_else(|| start_literals(&hir).map(|starts| Quick::Starts(starts.into())))
        });
        let quick = quick.unwrap_or(Quick::Regex);
        Self { regex, quick }
    }

    /// Whether `line` (a line, or a partial one: no line end inside) matches.
    pub(crate) fn is_match(&self, line: &str) -> bool {
        match &self.quick {
            Quick::Whole(lines) => lines.iter().any(|l| line.as_bytes() == &**l),
            Quick::Starts(starts) if !starts.iter().any(|s| line.as_bytes().starts_with(s)) => {
                false
            }
            _ => self.regex.is_match(line),
        }
    }
}

impl std::ops::Deref for LineRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.regex
    }
}

/// The lines the prompt `hir` matches, if it is `^`, text (a few alternatives at most, no
/// other assertion inside) and `$`: a prompt of known text.
fn whole_lines(hir: &Hir) -> Option<Vec<Box<[u8]>>> {
    let HirKind::Concat(subs) = hir.kind() else { return None };
    let (HirKind::Look(Look::Start), HirKind::Look(Look::End)) =
        (subs.first()?.kind(), subs.last()?.kind())
    else {
        return None;
    };
    let body = Hir::concat(subs[1..subs.len() - 1].to_vec());
    if !body.properties().look_set().is_empty() {
        return None;
    }
    let literals = prefix_literals(&body)?;
    literals.iter().all(|l| l.is_exact()).then(|| as_bytes(literals))
}

/// The texts every match of the prompt `hir` starts with, if it is anchored with `^` (not
/// `(?m)^`: a line here has no line end inside, but the rule stays the plain one) and starts
/// with a few known, non-empty texts.
fn start_literals(hir: &Hir) -> Option<Vec<Box<[u8]>>> {
    if !hir.properties().look_set_prefix().contains(Look::Start) {
        return None;
    }
    let literals = prefix_literals(hir)?;
    literals.iter().all(|l| !l.as_bytes().is_empty()).then(|| as_bytes(literals))
}

/// The prefixes of every match of `hir`, if there are few enough.
fn prefix_literals(hir: &Hir) -> Option<Vec<regex_syntax::hir::literal::Literal>> {
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    let literals = seq.literals()?;
    (literals.len() <= MAX_STARTS).then(|| literals.to_vec())
}

fn as_bytes(literals: Vec<regex_syntax::hir::literal::Literal>) -> Vec<Box<[u8]>> {
    literals.iter().map(|l| Box::from(l.as_bytes())).collect()
}

/// The pattern that finds a prompt at the end of a partial line (the prompt without its `^`,
/// searched unanchored), or `None` when the rule does not apply to `prompt` (see the module).
pub(crate) fn tail_pattern(prompt: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(prompt).ok()?;
    let body = without_start_anchor(&hir)?;
    let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&body);
    // Finite with no empty literal: every match starts with one of a few known texts.
    if !prefixes.is_finite() || prefixes.min_literal_len().is_none_or(|n| n == 0) {
        return None;
    }
    // Invariant: printing a parsed HIR gives a pattern the same parser accepts.
    Some(body.to_string())
}

/// Where the prompt starts in `line` (a partial line the prompt did not match whole), if a
/// suffix of it is the prompt: `tail` is the compiled [`tail_pattern`].
pub(crate) fn tail_start(tail: &Regex, line: &str) -> Option<usize> {
    let mut from = line.len().saturating_sub(TAIL_WINDOW);
    while !line.is_char_boundary(from) {
        from += 1;
    }
    // The pattern keeps the prompt's own `$`: only a suffix that runs to the end matches.
    let at = from + tail.find(&line[from..])?.start();
    (at > 0).then_some(at)
}

/// `hir` without the `^` that starts every match, or `None` if some match may start elsewhere.
fn without_start_anchor(hir: &Hir) -> Option<Hir> {
    match hir.kind() {
        HirKind::Look(Look::Start | Look::StartLF | Look::StartCRLF) => Some(Hir::empty()),
        HirKind::Concat(subs) => {
            let (first, rest) = subs.split_first()?;
            let mut body = vec![without_start_anchor(first)?];
            body.extend(rest.iter().cloned());
            Some(Hir::concat(body))
        }
        HirKind::Alternation(subs) => {
            subs.iter().map(without_start_anchor).collect::<Option<Vec<_>>>().map(Hir::alternation)
        }
        HirKind::Capture(c) => without_start_anchor(&c.sub),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(prompt: &str, line: &str) -> Option<(String, String)> {
        let tail = Regex::new(&tail_pattern(prompt)?).unwrap();
        let at = tail_start(&tail, line)?;
        Some((line[..at].to_owned(), line[at..].to_owned()))
    }

    #[test]
    fn output_before_an_anchored_prompt_is_split_off() {
        let prompt = "^moler_bash# $";
        assert_eq!(split(prompt, "xmoler_bash# "), Some(("x".into(), "moler_bash# ".into())));
        let twice = split(prompt, "moler_bash# moler_bash# ");
        assert_eq!(twice, Some(("moler_bash# ".into(), "moler_bash# ".into())), "leftmost");
        let root = r"^(?:\[root@\w+ ~\]|admin@sw1)[#>] ?$";
        assert_eq!(split(root, "done[root@box ~]# ").unwrap().0, "done");
        assert_eq!(split(root, "okadmin@sw1>").unwrap().0, "ok");
        let branches = r"^moler_bash# $|(^root@box:~# $)";
        assert_eq!(split(branches, "xroot@box:~# ").unwrap().0, "x", "every branch anchored");
        assert_eq!(split(branches, "xmoler_bash# ").unwrap().0, "x");
    }

    #[test]
    fn a_suffix_must_be_the_whole_prompt_up_to_the_end() {
        let prompt = "^moler_bash# $";
        assert_eq!(split(prompt, "say moler_bash# twice"), None);
        assert_eq!(split(prompt, r"m\[\]oler_bash# "), None, "PS1's text is not the prompt");
        assert_eq!(split(prompt, "moler_bash# "), None, "a whole match is not a split");
        let open_ended = split("^moler_bash# ", "x moler_bash# and more");
        assert_eq!(open_ended.unwrap().0, "x ", "without `$` anything may follow the prompt");
    }

    /// The quick test never rules out a line the regex matches, and rules out the lines that
    /// start with none of the regex's known texts: prompts and failures.
    #[test]
    fn a_line_regex_s_quick_test_rules_out_only_lines_it_cannot_match() {
        let quick = |p: &str| LineRegex::new(Arc::new(Regex::new(p).unwrap()));
        let cases: &[(&str, &[&str])] = &[
            ("^moler_bash# $", &["moler_bash# ", "moler_bash# x", "150", "", "xmoler_bash# "]),
            (r"^(?:\[root@\w+ ~\]|admin@sw1)[#>] ?$", &["admin@sw1>", "[root@b ~]#", "adm"]),
            ("(?i)^sim> $", &["SIM> ", "sIm> ", "sim> ", "im> "]),
            ("^x?moler# $", &["moler# ", "xmoler# ", "ymoler# "]),
            ("^a|b", &["b", "xb", "a", "x"]),
            (r"(?m)^moler# $", &["moler# ", "x"]),
            (crate::DEFAULT_PROMPT, &["user@host:~$ ", "150", "<a>"]),
            ("^(?:sim> )?$", &["", "sim> ", "x"]),
            ("^(?:sim|box)> $", &["sim> ", "box> ", "sim>", "box> x", "xbox> "]),
            (r"^sim>\s*$", &["sim>", "sim>  ", "sim> x", "sim"]),
            (r"^sim>\b$", &["sim>", "sim> "]),
            ("^sim> ", &["sim> ", "sim> x", "x"]),
            (r"^a$b", &["ab", "a"]),
            ("^sim> $", &["sim> ", "sim>", "sim>  ", "^Csim> "]),
            // Failures of the command library (`own_errors`), and as users write them.
            ("^ls: ", &["ls: cannot access 'x'", "-rw-r--r-- 1 a b ls: ", "ls:", " ls: x"]),
            ("(?i)^error:", &["ERROR: x", "Error:", "error", "an error: x"]),
            (r"^(?:tar|gzip): .*(?:Cannot|not)", &["tar: x: Cannot open", "gzip: not", "tar: ok"]),
            ("No such file or directory", &["cat: x: No such file or directory", "No such"]),
        ];
        for (pattern, lines) in cases {
            let (regex, quick) = (Regex::new(pattern).unwrap(), quick(pattern));
            for line in *lines {
                assert_eq!(quick.is_match(line), regex.is_match(line), "{pattern} on {line:?}");
            }
        }
        // Where it applies, and where not.
        assert!(
            matches!(quick("^moler_bash# $").quick, Quick::Whole(_)),
            "text only: a comparison"
        );
        assert!(matches!(quick("^(?:sim|box)> $").quick, Quick::Whole(_)));
        assert!(
            matches!(quick(r"^sim>\s*$").quick, Quick::Starts(_)),
            "a repetition after known text"
        );
        assert!(matches!(quick(r"^sim>\b$").quick, Quick::Starts(_)), "an assertion inside");
        assert!(matches!(quick("^sim> ").quick, Quick::Starts(_)), "anything may follow");
        assert!(matches!(quick("(?i)^sim> $").quick, Quick::Whole(_)), "a few case variants");
        assert!(matches!(quick("^a|b").quick, Quick::Regex), "one branch is not anchored");
        assert!(matches!(quick("(?m)^moler# $").quick, Quick::Regex), "only the plain `^`");
        assert!(matches!(quick(crate::DEFAULT_PROMPT).quick, Quick::Regex), "a wide class first");
        assert!(
            matches!(quick("^(?:sim> )?$").quick, Quick::Whole(_)),
            "the empty line, or the text"
        );
        assert!(matches!(quick("(?i)^[a-z]{3}longer> $").quick, Quick::Regex), "too many starts");
        assert!(matches!(quick("^ls: ").quick, Quick::Starts(_)), "a command's own failure");
        assert!(matches!(quick("No such file").quick, Quick::Regex), "unanchored");
    }

    #[test]
    fn the_rule_needs_a_start_anchor_and_known_text() {
        assert_eq!(tail_pattern("moler_bash# $"), None, "unanchored: matches anywhere already");
        assert_eq!(tail_pattern(crate::DEFAULT_PROMPT), None, "a wide class first");
        assert_eq!(tail_pattern(r"^\S+@\S+\$ $"), None);
        assert_eq!(tail_pattern(r"^\s*moler# $"), None, "may start with any blank");
        assert!(tail_pattern(r"^x?moler# $").is_some(), "`xmoler# ` or `moler# `");
        assert_eq!(tail_pattern(r"^(?:moler# )?$"), None, "may be empty: ends every line");
        assert_eq!(tail_pattern("^$"), None, "empty");
        assert_eq!(tail_pattern("^a|b"), None, "one branch is not anchored");
        assert!(tail_pattern(r"(?m)^moler_bash# $").is_some());
        assert!(tail_pattern(r"^(?:one|two)> $").is_some());
        assert!(tail_pattern(r"(?i)^Router# $").is_some());
    }

    #[test]
    fn only_the_end_of_a_long_line_is_searched() {
        let tail = Regex::new(&tail_pattern("^P> $").unwrap()).unwrap();
        let long = format!("{}P> ", "é".repeat(5000));
        assert_eq!(tail_start(&tail, &long), Some(10_000));
        let any = Regex::new(&tail_pattern("^P>.*$").unwrap()).unwrap();
        assert_eq!(tail_start(&any, "xP> abc"), Some(1));
        let far = format!("xP> {}", "y".repeat(2 * TAIL_WINDOW));
        assert_eq!(tail_start(&any, &far), None, "the prompt's start is out of the window");
    }
}
