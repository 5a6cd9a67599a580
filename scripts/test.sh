#!/usr/bin/env bash
# Runs every test: unit and integration tests (real SQLite files in temp dirs, the real server
# in-process), then the release build and the end2end browser tests in Debian's Chromium.
# Installs what is missing first; skips what is already there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_chromium
ensure_e2e_packages

say "unit and integration tests"
cargo test --locked -p app --features ssr
cargo test --locked -p server

"$ROOT/scripts/build.sh"

say "end2end tests (Playwright + /usr/bin/chromium)"
cd "$ROOT/end2end"
npx playwright test "$@"
