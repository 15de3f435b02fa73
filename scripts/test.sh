#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration (a real bash in a pty), property tests
# and doc tests. Needs Rust and bash.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bash >/dev/null; then
  echo "bash is needed: the end-to-end tests drive a real bash in a pseudo-terminal" >&2
  exit 1
fi
# All targets: unit, integration and property tests; benches make a tiny smoke run.
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
# The runners without their optional features: the thread runner alone, and the clear error
# for a runner that was left out of the build.
cargo test -p moler-runners --lib "$@"
cargo test -p moler --no-default-features --test local_shell --test tcp --test process "$@"
# The examples must keep working for a newcomer.
cargo run --quiet --example quickstart
cargo run --quiet --example async_tokio
cargo run --quiet --example async_smol
