#!/usr/bin/env bash
# Recomputes the shared vectors' SNIP-12 hashes (sessions as wallets display them, limits and
# argument rules included; SNIP-9 outside executions) with starknet.js, pinned in
# tests/starknet-js/package-lock.json, and fails on any difference. Needs Node.js ≥ 20 and npm;
# packages come from npm's cache (~/.npm) after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm are needed (Node.js 20 or later): install them, e.g. apt-get install nodejs npm" >&2
    exit 1
fi
cd tests/starknet-js
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
node check-vectors.mjs
