#!/usr/bin/env bash
# The web stack's checks (packages/session-keys, examples/web-game): the npm workspace installed
# from package-lock.json, the package built, the TypeScript type check and lint (no warnings), the
# unit tests (the shared vectors byte for byte, the protocol's refusals), the session account
# through starknet.js on a devnet the tests start, gasless moves through the real session-paymaster
# binary, and the example app end to end in headless Chromium with a virtual passkey.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm are needed (Node.js 20 or later): install them, e.g. apt-get install nodejs npm" >&2
    exit 1
fi
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
npm run --silent build
npm run --silent typecheck
npm run --silent lint
cargo build --quiet --package session-paymaster --bin session-paymaster
npm test
npm run --silent e2e
