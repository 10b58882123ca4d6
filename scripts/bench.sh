#!/usr/bin/env bash
# Benchmarks (not part of the test suite): starts its own devnet, measures the session account's
# cost from receipts and the SDK's speed, and writes BENCHMARKS.md + benchmarks/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/install-devnet.sh
cargo run --quiet --package session-benchmarks --bin session-bench -- "$@"
