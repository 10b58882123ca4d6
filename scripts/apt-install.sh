#!/usr/bin/env bash
# Installs Debian packages with apt-get, through sudo when not root. APT_HINT, when set, says what
# to do by hand on a machine without apt-get.
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $* missing and apt-get is not available${APT_HINT:+: $APT_HINT}" >&2
    exit 1
fi
sudo_if_needed=""
if [ "$(id -u)" -ne 0 ]; then sudo_if_needed="sudo"; fi
$sudo_if_needed apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "$@" >/dev/null
