#!/usr/bin/env bash
# Mutation testing: which changes to a crate's code its own tests do not notice. cargo-mutants
# changes one operator, condition or return value at a time, in a copy of the tree, and runs
# the package's tests (with nextest, so doc tests are not run: check a survivor against
# `cargo test -p PACKAGE --doc` before writing a test for it). A survivor is a rule no test of
# that crate pins down, or a change that alters nothing a test could see (a fast path, a
# counter kept for a test's bound): read each one.
#
# Usage: scripts/mutants.sh PACKAGE [FILE...] [-- CARGO_MUTANTS_OPTION...]
#   scripts/mutants.sh moler-core moler-core/src/echo.rs moler-core/src/prompt.rs
# For the root package, name the test binaries that reach FILE with cargo-mutants' `-C`
# (`-- -C=--lib -C=--test=device_classes …`): it narrows the build as well as the run.
# `--cargo-test-arg` narrows only the run, and every mutant then builds all of the package's
# test binaries (about 40 s a mutant instead of 15 here).
# For code that another package's tests reach (moler-io's telnet and RFC 2217 sessions, tested
# end to end against real daemons by the root package's tests/telnet.rs and tests/serial.rs),
# add that package to the build and the run: `-- -C=--package=moler -C=--lib -C=--test=telnet`
# (cargo-mutants 27's own `--test-package` left it out of the build here).
# Every feature of the package is on (`--all-features`): without it, moler-runners' tokio.rs
# and smol.rs are not even compiled, and every mutant of theirs (and of assist.rs, which only
# those runners use) "survives" a test run that never sees it.
# Results in target/mutants/mutants.out/ (missed.txt: the survivors). Needs cargo-mutants
# (`cargo install cargo-mutants --locked`) and cargo-nextest. About 10 s a mutant for
# moler-core on this project's 2-core machine (moler-core has about 1,400).
# Always left out, whatever the files: two mutants of moler-io's terminal.rs `session_members`
# (`|| -> &&` and `!= -> ==` in its session filter) turn the terminal's drop into a SIGKILL of
# every process *outside* the shell's session, on the whole machine (cargo-mutants itself
# included). The exclusion below names them by function and operator, not by line; it also
# leaves out the filter's first `|| -> &&`, which only lets zombies of the session through.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2
fi
if ! cargo mutants --version > /dev/null 2>&1; then
  echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2; exit 1
fi
package="$1"; shift
files=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do files+=(-f "$1"); shift; done
[ "${1:-}" = "--" ] && shift
# cargo-mutants 27 does not make its output's parent: on a fresh clone `target/` is not there.
mkdir -p target
hazard='terminal\.rs:[0-9]+:[0-9]+: replace (\|\| with &&|!= with ==) in session_members$'
exec cargo mutants -p "$package" "${files[@]}" --test-tool nextest --all-features -o target/mutants \
  --exclude-re "$hazard" "$@"
