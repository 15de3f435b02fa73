#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after the other (they share the
# machine's cores with builds), starting from the committed seeds in fuzz/corpus/<target>/.
# What the fuzzer finds on its way goes to fuzz/work/<target>/ (not committed); crashes and
# hangs to fuzz/artifacts/<target>/; each run's log, ending in libFuzzer's final stats, to
# fuzz/work/<target>.log. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). No sanitizer: the
# workspace denies unsafe code, so AddressSanitizer would only watch dependencies, at half the
# speed; panics (including overflow checks, on here) and hangs are what the targets look for.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(connection config parse cli)
cargo +nightly fuzz build -O -s none
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/work/$t"
  echo "== $t: ${seconds}s" >&2
  # -timeout=1: an input taking more than a second is a hang; -rss_limit_mb: memory must stay
  # bounded whatever the input.
  if ! cargo +nightly fuzz run -O -s none "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -print_final_stats=1 \
      >"fuzz/work/$t.log" 2>&1; then
    echo "$t: FAILED (see fuzz/work/$t.log and fuzz/artifacts/$t/)" >&2
    status=1
  fi
  grep -E '^(stat::|#[0-9]+ +DONE)' "fuzz/work/$t.log" | sed "s/^/$t: /" >&2 || true
done
exit "$status"
