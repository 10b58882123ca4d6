#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries when missing (the paymaster's two-instance test
# starts its own cluster in a temporary directory with them; no system service is used).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
cd "$(dirname "$0")/.."
APT_HINT="install PostgreSQL's server binaries under /usr/lib/postgresql" scripts/apt-install.sh postgresql
# The package may start a cluster service; the tests do not use it.
stop="service postgresql stop"
[ "$(id -u)" -eq 0 ] || stop="sudo $stop"
$stop >/dev/null 2>&1 || true
