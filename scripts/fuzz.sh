#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after the other (they share the
# machine's cores with builds), starting from the committed seeds in fuzz/corpus/<target>/.
# What the fuzzer finds on its way goes to fuzz/work/<target>/ (not committed); crashes and
# hangs to fuzz/artifacts/<target>/; each run's log, ending in libFuzzer's final stats, to
# fuzz/work/logs/<target>-<UTC time>.log, the latest one also to fuzz/work/<target>.log.
#
# Usage: scripts/fuzz.sh [-n RUNS] [-j] [SECONDS] [TARGET...] [-- LIBFUZZER_OPTION...]
#   -n RUNS  stop each target after RUNS executions (libFuzzer's -runs), or at SECONDS,
#            whichever comes first (SECONDS 0: no time limit)
#   -- ...   more libFuzzer options, e.g. -max_len=8192 (the default here is 4096: the seeds are
#            up to 5.7 KB, and without it libFuzzer takes the largest input of the corpus)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). No sanitizer: the
# workspace denies unsafe code, so AddressSanitizer would only watch dependencies, at half the
# speed; panics (including overflow checks, on here) and hangs are what the targets look for.
set -euo pipefail
# In braces: bash reads the whole script before running it, so it can be edited during a run.
{
cd "$(dirname "$0")/.."
runs=-1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    *) break ;;
  esac
done
seconds=60
if [ $# -gt 0 ] && [ "$1" != "--" ]; then seconds="$1"; shift; fi
targets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do targets+=("$1"); shift; done
[ $# -gt 0 ] && shift
extra=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(connection config parse cli sim record)
cargo +nightly fuzz build -O -s none
status=0
mkdir -p fuzz/work/logs
for t in "${targets[@]}"; do
  mkdir -p "fuzz/work/$t"
  log="fuzz/work/logs/$t-$(date -u +%Y%m%dT%H%M%S).log"
  echo "== $t: ${seconds}s, runs $runs ${extra[*]:-} (log $log)" >&2
  # -timeout=1: an input taking more than a second is a hang; -rss_limit_mb: memory must stay
  # bounded whatever the input.
  start=$(date +%s)
  result=ok
  if ! cargo +nightly fuzz run -O -s none "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -runs="$runs" -timeout=1 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 ${extra[@]+"${extra[@]}"} >"$log" 2>&1; then
    if grep -q 'libFuzzer: run interrupted' "$log"; then
      result=interrupted
    else
      result=FAILED
      echo "$t: FAILED (see $log and fuzz/artifacts/$t/)" >&2
      status=1
    fi
  fi
  elapsed=$(($(date +%s) - start))
  cp "$log" "fuzz/work/$t.log"
  { grep -E '^#[0-9]+' "$log" | tail -1; grep -E '^stat::' "$log"; } | sed "s/^/$t: /" >&2 || true
  files=$(find "fuzz/work/$t" -type f | wc -l)
  echo "$t: $result, ${elapsed}s, corpus files $files" >&2
  # One line per run in fuzz/work/runs.tsv: when, target, result, seconds, executions, exec/s,
  # peak RSS (MB), cov, ft, corpus files, log.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$result" \
    "$elapsed" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
    "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
    "$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")" \
    "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")" "$files" "$log" >>fuzz/work/runs.tsv
done
exit "$status"
}
