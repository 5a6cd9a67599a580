# Shared by the project's scripts: paths, logging, and the install steps.
# Every step checks first and does nothing when the tool is already there, so a warm run is fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT_NAME="tracker-tracker"
export LEPTOS_OUTPUT_NAME="$OUTPUT_NAME"
export PATH="$HOME/.cargo/bin:$ROOT/scripts/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The wasm-bindgen version the browser bundle is built against (Cargo.lock is the source of truth).
lock_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want have
  want="$(lock_version wasm-bindgen)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    # Not --locked: the CLI's own lockfile pins crates this registry mirror lacks (docs: toolchain).
    say "installing wasm-bindgen-cli $want (found: ${have:-none}; takes a few minutes once)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_wasm_split() {
  # The splitter cargo-leptos uses (crate wasm_split_cli_support, pinned in tools/wasm-split, which
  # has its own Cargo.lock): cuts the bundle at the lazy routes (docs/architecture.md).
  local want have
  want="$(awk -F'"' '/^version = /{ print $2; exit }' "$ROOT/tools/wasm-split/Cargo.toml")"
  have="$(tt-wasm-split --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing tt-wasm-split $want (found: ${have:-none}; takes a few minutes once)"
    cargo install --locked --path "$ROOT/tools/wasm-split" --force
  fi
}

ensure_wasm_opt() {
  # npm's binaryen: Debian's wasm-opt 108 produces bundles that fail to hydrate.
  if [ ! -x "$ROOT/scripts/node_modules/.bin/wasm-opt" ]; then
    say "installing binaryen (wasm-opt) from npm"
    (cd "$ROOT/scripts" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  fi
}

ensure_e2e_packages() {
  local stamp="$ROOT/end2end/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/end2end/package-lock.json" -nt "$stamp" ]; then
    say "installing the end2end npm packages"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
