#!/usr/bin/env bash
# Installs the pinned starknet-devnet (0.10.1) into the cache folder if it is missing.
# The first install builds it from crates.io: about 17 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo run --quiet --package local-devnet -- install
