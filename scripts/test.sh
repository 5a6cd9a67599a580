#!/usr/bin/env bash
# Runs every test: the format check and clippy, unit and integration tests (real SQLite files in
# temp dirs, the real server in-process), then the release build and the end2end browser tests
# in Debian's Chromium.
# Installs what is missing first; skips what is already there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_chromium
ensure_e2e_packages

say "format and lints (rustfmt --check, clippy -D warnings: the build stays warning-free)"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check
else
  say "rustfmt is not installed with this toolchain: format check skipped"
fi
if cargo clippy --version >/dev/null 2>&1; then
  ensure_wasm_target
  cargo clippy --locked -p app --features ssr --tests -- -D warnings
  cargo clippy --locked -p server --tests --benches -- -D warnings
  cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings
else
  say "clippy is not installed with this toolchain: lints skipped"
fi

say "unit and integration tests"
cargo test --locked -p app --features ssr
cargo test --locked -p server

"$ROOT/scripts/build.sh"

say "end2end tests (Playwright + /usr/bin/chromium)"
cd "$ROOT/end2end"
npx playwright test "$@"
