#!/usr/bin/env bash
# Installs what the browser passkey test needs: Debian's Chromium (headless, with the DevTools
# WebAuthn virtual authenticator) when missing, and the test driver's pinned npm packages
# (tests/browser/package-lock.json; from npm's cache after the first run).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: Chromium is missing at $chromium_path and apt-get is not available: install Chromium and set CHROMIUM_PATH" >&2
        exit 1
    fi
    sudo_if_needed=""
    if [ "$(id -u)" -ne 0 ]; then sudo_if_needed="sudo"; fi
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm are needed (Node.js 20 or later): install them, e.g. apt-get install nodejs npm" >&2
    exit 1
fi
cd tests/browser
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
