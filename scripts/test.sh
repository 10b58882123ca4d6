#!/usr/bin/env bash
# The whole test suite: Cairo artifacts and tests, formatting, lints, Rust unit tests, the
# end-to-end tests against a devnet the tests start themselves (a real headless Chromium's passkey,
# and the paymaster server process on SQLite and on a PostgreSQL the test starts, among them), the
# shared vectors checked against starknet.js, and the web stack (TypeScript package, React hooks,
# the example app in Chromium). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
total=$SECONDS

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "install rustfmt and clippy" rustup component add rustfmt clippy
fi
step "starknet-devnet 0.10.1 (installed when missing)" scripts/install-devnet.sh
step "Chromium and the browser test driver (installed when missing)" scripts/install-browser.sh
step "PostgreSQL for the paymaster's two-instance test (installed when missing)" scripts/install-postgres.sh
step "formatting" cargo fmt --all --check
step "committed contract artifacts match a fresh compile" cargo xtask build --check
step "Cairo tests" cargo xtask test
step "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "Rust unit and end-to-end tests" cargo test --workspace
step "typed data hashes identical in starknet.js (what wallets sign)" scripts/check-starknet-js.sh
step "web: TypeScript package and React hooks, vectors, devnet, paymaster, Chromium end to end" scripts/test-web.sh

printf '\nAll checks passed in %ss.\n' "$((SECONDS - total))"
