#!/usr/bin/env bash
# Runs every test: the format check and clippy, unit and integration tests (real SQLite files in
# temp dirs, the real server in-process and as a child process), then the browser bundle and the
# end2end browser tests in Debian's Chromium against the server binary the tests just built.
# The tests that need a server of another kind (SMTP, …) get a real one on loopback from
# scripts/services.sh, stopped at the end whatever happens.
# Installs what is missing first; skips what is already there. Prints a table of its phases with
# their durations at the end (also when a phase fails).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The servers the tests talk to (SMTP, S3, WebDAV), started before the tests and stopped at the end.
source "$ROOT/scripts/services.sh"
cd "$ROOT"

PHASES=()
phase() {
  local name="$1"
  shift
  local start=$SECONDS
  say "$name"
  "$@"
  PHASES+=("$name|$((SECONDS - start))")
}
report() {
  local status=$?
  stop_services
  [ ${#PHASES[@]} -gt 0 ] || exit "$status"
  printf '\n%-58s %8s\n' "phase" "seconds" >&2
  local total=0 row
  for row in "${PHASES[@]}"; do
    printf '%-58s %8s\n' "${row%|*}" "${row##*|}" >&2
    total=$((total + ${row##*|}))
  done
  printf '%-58s %8s\n' "total (phases that finished)" "$total" >&2
  [ "$status" = 0 ] || printf 'FAILED after the phases above (exit %s)\n' "$status" >&2
  exit "$status"
}
trap report EXIT

install_all() {
  ensure_chromium
  ensure_e2e_packages
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_opt
}

fmt_check() {
  if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all --check
  else
    say "rustfmt is not installed with this toolchain: format check skipped"
  fi
}

# One invocation for app, server and the container crate: the features resolve once (app with "ssr"), so the
# dependency graph is checked once rather than once per package.
lints() {
  if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --locked -p app -p server -p tt-core -p tt-domain -p original-backup -p ttbak -p tt-preview --tests --benches -- -D warnings
    # The browser's build: the frontend and, on its own, the container crate it shares.
    cargo clippy --locked -p frontend -p tt-core -p original-backup -p ttbak -p tt-preview -p preview-worker --target wasm32-unknown-unknown -- -D warnings
  else
    say "clippy is not installed with this toolchain: lints skipped"
  fi
}

# One build for the three packages (same reason); nextest runs the test binaries side by side.
unit_and_integration() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked -p app -p server -p tt-core -p tt-domain -p original-backup -p ttbak -p tt-preview --no-fail-fast
  else
    say "cargo-nextest is not installed: running the tests with cargo test"
    cargo test --locked -p app -p server -p tt-core -p tt-domain -p original-backup -p ttbak -p tt-preview --no-fail-fast
  fi
}

# The end2end run uses the server binary the integration tests were built with (the same code
# and features as the release build, without its minutes of optimisation); the browser bundle is
# the production one.
E2E_SERVER="$ROOT/target/debug/tracker-tracker"

end2end() {
  if [ ! -x "$E2E_SERVER" ]; then
    echo "the tests did not leave $E2E_SERVER behind" >&2
    return 1
  fi
  (cd "$ROOT/end2end" && TT_E2E_BINARY="$E2E_SERVER" npx playwright test "$@")
}

phase "install what is missing" install_all
phase "format (cargo fmt --check)" fmt_check
phase "lints (clippy -D warnings: app + server, frontend wasm32)" lints
phase "test services (SMTP: aiosmtpd, S3: moto, WebDAV: wsgidav; loopback)" start_services
phase "unit and integration tests" unit_and_integration
phase "browser bundle (wasm32 release, bindgen, wasm-opt)" "$ROOT/scripts/build.sh" --bundle-only
phase "end2end tests (Playwright + /usr/bin/chromium)" end2end "$@"
