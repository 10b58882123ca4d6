#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries when missing (the paymaster's two-instance test
# starts its own cluster in a temporary directory with them; no system service is used).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: PostgreSQL is missing (no /usr/lib/postgresql/*/bin/initdb) and apt-get is not available" >&2
    exit 1
fi
sudo_if_needed=""
if [ "$(id -u)" -ne 0 ]; then sudo_if_needed="sudo"; fi
$sudo_if_needed apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq postgresql >/dev/null
# The package may start a cluster service; the tests do not use it.
$sudo_if_needed service postgresql stop >/dev/null 2>&1 || true
