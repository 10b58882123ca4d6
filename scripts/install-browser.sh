#!/usr/bin/env bash
# Installs what the browser passkey test needs: Debian's Chromium (headless, with the DevTools
# WebAuthn virtual authenticator) when missing, and the test driver's pinned npm packages
# (tests/browser/package-lock.json; from npm's cache after the first run).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
    APT_HINT="install Chromium and set CHROMIUM_PATH (looked for $chromium_path)" scripts/apt-install.sh chromium
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm are needed (Node.js 20 or later): install them, e.g. apt-get install nodejs npm" >&2
    exit 1
fi
cd tests/browser
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
