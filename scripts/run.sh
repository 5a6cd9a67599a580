#!/usr/bin/env bash
# Builds and starts Tracker Tracker at http://127.0.0.1:3000 with SQLite under ./data.
# Configure with the environment variables listed in the README (TT_DATA_DIR, DATABASE_URL, ...).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/build.sh"
say "starting tracker-tracker (Ctrl-C to stop)"
exec "$ROOT/target/release/tracker-tracker" serve
