# Shared by the scripts: build outputs and downloads live in a cache outside the clone, so a fresh
# clone (CI) reuses earlier builds on the same machine. Override with CARGO_TARGET_DIR / SESSION_KEYS_CACHE.
export SESSION_KEYS_CACHE="${SESSION_KEYS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/session-keys}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SESSION_KEYS_CACHE/target}"
mkdir -p "$SESSION_KEYS_CACHE"

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found. Install Rust (https://rustup.rs) and run this again." >&2
    exit 1
fi

# Prints a banner and runs one named step; the script stops at the first failing step.
step() {
    local name="$1"
    shift
    printf '\n=== %s\n' "$name"
    local start=$SECONDS
    "$@"
    printf -- '--- %s: ok (%ss)\n' "$name" "$((SECONDS - start))"
}
