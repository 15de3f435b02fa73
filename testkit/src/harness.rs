//! For a test binary with a `main` of its own (`harness = false` in `Cargo.toml`), which runs
//! itself again as a child to see what a program leaves behind when it ends (its logs, its
//! children): [`own_test`] makes it look like a libtest binary holding one test, so that
//! `cargo test` filters and `cargo nextest run` (which lists every test binary first) see it.

/// What such a `main` starts with: answers `--list` as libtest does (`NAME: test`, and nothing
/// for `--ignored`), and says whether the test is to run: true when no filter is given, or one
/// matches `name` (as a substring, or whole with `--exact`), and no `--skip` matches it. `main`
/// returns at once when it is false.
///
/// ```no_run
/// // The start of `main`:
/// if !moler_testkit::harness::own_test("log_exit") {
///     return;
/// }
/// // the test
/// ```
pub fn own_test(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("{name}: test");
        }
        return false;
    }
    selected(name, &args)
}

/// Whether libtest's arguments `args` pick the test `name`. The values of the options that take
/// one (`--test-threads 2`) are not filters.
fn selected(name: &str, args: &[String]) -> bool {
    let exact = args.iter().any(|a| a == "--exact");
    let matches = |f: &str| if exact { f == name } else { name.contains(f) };
    let (mut filters, mut skipped) = (Vec::new(), false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--skip" => skipped |= args.next().is_some_and(|f| matches(f)),
            "--test-threads" | "--format" | "--color" | "--logfile" | "--shuffle-seed" | "-Z" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            filter => filters.push(filter),
        }
    }
    !skipped && (filters.is_empty() || filters.into_iter().any(matches))
}

#[cfg(test)]
mod tests {
    use super::selected;

    fn picks(args: &[&str]) -> bool {
        selected("log_exit", &args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn filters_pick_the_test_as_libtest_does() {
        assert!(picks(&[]));
        assert!(picks(&["exit"]) && picks(&["log_exit", "--exact"]));
        assert!(!picks(&["exit", "--exact"]) && !picks(&["other"]));
        assert!(picks(&["other", "log"]), "any filter that matches");
        assert!(!picks(&["--skip", "log"]) && picks(&["--skip", "other"]));
        assert!(picks(&["--test-threads", "2"]), "an option's value is no filter");
        assert!(picks(&["--nocapture", "--format", "terse"]));
    }
}
