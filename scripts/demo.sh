#!/usr/bin/env bash
# The main job: starts a local devnet, deploys a session account and a game, authorizes ONE
# session with one owner signature, plays moves with the session key only, and shows every
# protection (disallowed method, expiry, revocation, revoke-all) working. Installs what it needs.
# Extra arguments go to `stark-session demo` (e.g. --moves 20, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/install-devnet.sh
cargo run --quiet --package session-cli --bin stark-session -- demo "$@"
