#!/usr/bin/env bash
# Benchmarks (not part of the test suite): criterion micro-benchmarks of the SDK, then a devnet run
# measuring the session account's cost from receipts and the throughput; writes BENCHMARKS.md and
# benchmarks/results.json. The first run builds the release profile (several minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/install-devnet.sh
cargo bench --quiet --package session-sdk --bench session_speed -- --warm-up-time 1 --measurement-time 3
export CRITERION_DIR="$CARGO_TARGET_DIR/criterion"
cargo run --quiet --package session-benchmarks --bin session-bench -- "$@"
