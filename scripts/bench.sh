#!/usr/bin/env bash
# Release-build benchmarks. One function per measured row (row_*); each row starts the release
# server on a fresh data dir, sets it up, makes one API call the way a page or a script does,
# and records the call's wall time and the server's resident memory: before the call and its
# peak during the call (VmHWM of /proc/<pid>/status, reset through clear_refs just before).
# A table of every row is printed at the end (also when a row fails).
#
#   scripts/bench.sh              # every row
#   scripts/bench.sh ROW...       # some rows, by name (see ALL_ROWS)
#
# Builds what is missing, once: the release server and the original-format writer (a test-only
# writer of crates/original-backup, as the example write_original; not part of the product).
# Environment: TT_BENCH_DIR (where files and data dirs go; default a new directory under /tmp,
# deleted at the end unless TT_BENCH_KEEP=1), TT_BENCH_PORT (default 3190), TT_BENCH_TRACKERS and
# TT_BENCH_PER_TRACKER (the generated instance: default 40 × 25 000 snapshots).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

SERVER="$ROOT/target/release/tracker-tracker"
WRITER="$ROOT/target/release/examples/write_original"
PORT="${TT_BENCH_PORT:-3190}"
T="http://127.0.0.1:$PORT"
LOGIN_PW="bench login password 1"
# The original instance's passwords (the writer's defaults).
SOURCE_PW="original login pw 1"
BACKUP_PW="original backup pw 1"
# The issue's bound on the server's peak memory while importing, in bytes (150 MB).
RSS_LIMIT_BYTES=150000000
# The 1M-snapshot instance: 40 trackers × 25 000 hourly snapshots (smaller for a quick try).
TRACKERS="${TT_BENCH_TRACKERS:-40}"
PER_TRACKER="${TT_BENCH_PER_TRACKER:-25000}"

ALL_ROWS=(original_plain_dry_run original_plain_restore original_ttbak_dry_run original_ttbak_restore browser_preview)

# ---- set-up -----------------------------------------------------------------------------------

ensure_jq() {
  if ! command -v jq >/dev/null; then
    say "installing jq"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq jq >/dev/null
  fi
}

# Only when missing: a build that is there is used as it is (rebuild with the commands below).
ensure_builds() {
  if [ ! -x "$SERVER" ]; then
    say "building the release server (minutes, once)"
    cargo build --locked --release -p server
  fi
  if [ ! -x "$WRITER" ]; then
    say "building the original-format writer"
    cargo build --locked --release -p original-backup --features writer --example write_original
  fi
}

WORK=""
SERVER_PID=""
cleanup() {
  stop_server
  if [ -n "$WORK" ] && [ "${TT_BENCH_KEEP:-}" != 1 ] && [ -z "${TT_BENCH_DIR:-}" ]; then rm -rf "$WORK"; fi
}

# The original-format files of the 1M-snapshot instance, written once per run.
ORIGINAL_JSON=""
ORIGINAL_TTBAK=""
original_files() {
  [ -n "$ORIGINAL_JSON" ] && return 0
  local dir="$WORK/original"
  say "writing the original-format backups of $((TRACKERS * PER_TRACKER)) snapshots into $dir"
  # The original's default storage path (/data/backups) would be checked on this host: one of the run instead.
  "$WRITER" --out "$dir" --trackers "$TRACKERS" --per-tracker "$PER_TRACKER" \
    --login-password "$SOURCE_PW" --backup-password "$BACKUP_PW" --storage-path "$WORK/original-store" >&2 || return 1
  ORIGINAL_JSON="$dir/original-2.8.9.json"
  ORIGINAL_TTBAK="$dir/original-2.8.9.ttbak"
}

# ---- the server -------------------------------------------------------------------------------

# Starts the release server on a fresh data dir ($1) and sets it up (cookie jar $1/jar).
start_server() {
  local data="$1"
  rm -rf "$data" && mkdir -p "$data"
  TT_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" TT_BASE_URL="$T" RUST_LOG=warn "$SERVER" serve >"$data/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    curl -sf "$T/api/auth/status" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$data/server.log" >&2; return 1; }
    [ "$i" -lt 300 ] || { echo "the server did not answer on $T" >&2; return 1; }
    sleep 0.1
  done
  curl -sf -c "$data/jar" -H 'Content-Type: application/json' \
    -d "{\"password\":\"$LOGIN_PW\",\"confirm\":\"$LOGIN_PW\"}" "$T/api/auth/setup" >/dev/null ||
    { echo "setting up the instance failed" >&2; return 1; }
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# A field of the server's /proc status, in KiB.
proc_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---- measuring --------------------------------------------------------------------------------

ROWS=()
# row NAME INPUT_BYTES SECONDS RSS_BEFORE_KIB PEAK_KIB RESULT
record() {
  local over=ok
  [ $(($5 * 1024)) -le "$RSS_LIMIT_BYTES" ] || over="OVER"
  ROWS+=("$1|$(awk -v b="$2" 'BEGIN { printf "%.0f", b / 1e6 }')|$3|$(mib "$4")|$(mib "$5")|$over|$6")
}

# One upload to POST /api/backup/restore (the call the Backups page makes), on a fresh instance:
# restore_upload NAME FILE [curl -F arguments...]. Checks the answer's snapshot count.
restore_upload() {
  local name="$1" file="$2"
  shift 2
  local data="$WORK/data-$name"
  start_server "$data" || return 1
  echo 5 >"/proc/$SERVER_PID/clear_refs" # resets VmHWM to the current RSS
  local before start end status peak
  before="$(proc_kib VmRSS)"
  start="$(date +%s.%N)"
  status="$(curl -s -o "$data/answer.json" -w '%{http_code}' -b "$data/jar" -F "file=@$file" \
    -F "current_password=$LOGIN_PW" -F "source_password=$SOURCE_PW" "$@" "$T/api/backup/restore")"
  end="$(date +%s.%N)"
  peak="$(proc_kib VmHWM || true)"
  [ -n "$peak" ] || { echo "the server is gone (see $data/server.log)" >&2; return 1; }
  stop_server
  local result
  if [ "$status" = 200 ]; then
    result="$(jq -r '[.restored[] | select(.section == "tracker_snapshots") | .count][0] | "\(.) snapshots"' "$data/answer.json")"
  else
    result="HTTP $status: $(jq -r '.message // empty' "$data/answer.json" 2>/dev/null | head -c 120)"
  fi
  record "$name" "$(stat -c %s "$file")" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" "$before" "$peak" "$result"
  mv "$data/server.log" "$WORK/$name.server.log"
  rm -rf "$data"
  [ "$status" = 200 ]
}

row_original_plain_dry_run() {
  original_files || return 1
  restore_upload original_plain_dry_run "$ORIGINAL_JSON" -F dry_run=true
}
row_original_plain_restore() {
  original_files || return 1
  restore_upload original_plain_restore "$ORIGINAL_JSON" -F totp=take_backup
}
row_original_ttbak_dry_run() {
  original_files || return 1
  restore_upload original_ttbak_dry_run "$ORIGINAL_TTBAK" -F "backup_password=$BACKUP_PW" -F dry_run=true
}
row_original_ttbak_restore() {
  original_files || return 1
  restore_upload original_ttbak_restore "$ORIGINAL_TTBAK" -F "backup_password=$BACKUP_PW" -F totp=take_backup
}
# ---- row_browser_preview: the restore preview of a large .ttbak in headless Chromium ------------
# (the page's Web Worker decrypting and checking the whole file; end2end/bench/preview.bench.ts).
# TT_BENCH_TTBAK (+ TT_BENCH_TTBAK_PASSWORD): that file; otherwise the script exports one from an
# instance it generates with TT_BENCH_GENERATE's `generate` arguments (default: the 1M-snapshot
# instance). Needs the browser bundle in target/site/pkg (scripts/build.sh builds it).
row_browser_preview() {
  ensure_chromium
  ensure_e2e_packages
  [ -f "$ROOT/target/site/pkg/preview-worker.js" ] || { echo "no browser bundle: run scripts/build.sh first" >&2; return 1; }
  local out="$WORK/browser_preview.log"
  (cd "$ROOT/end2end" && TT_E2E_BINARY="$SERVER" npx playwright test -c bench/playwright.config.ts) >"$out" 2>&1 ||
    { cat "$out" >&2; return 1; }
  grep -v '^BENCH ' "$out" | grep -E 'MB .ttbak|generated' >&2 || true
  local bytes kdf total mbps n longest
  read -r _ _ bytes kdf total mbps n longest < <(grep '^BENCH browser_preview ' "$out" | tail -1)
  [ -n "${longest:-}" ] || { cat "$out" >&2; return 1; }
  printf '\nbrowser_preview: file %s MB, key derivation %s ms, total %s ms, %s MB/s (key derivation apart; target >= 25), %s long tasks on the page, the longest %s ms (target <= 100)\n' \
    "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" "$kdf" "$total" "$mbps" "$n" "$longest" >&2
}

print_table() {
  local status=$?
  cleanup
  [ ${#ROWS[@]} -gt 0 ] || exit "$status"
  printf '\n%-24s %9s %9s %15s %15s %10s  %s\n' "row" "input MB" "wall s" "RSS before MiB" "peak RSS MiB" "≤ 150 MB" "result" >&2
  local row
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name input secs before peak over result <<<"$row"
    printf '%-24s %9s %9s %15s %15s %10s  %s\n' "$name" "$input" "$secs" "$before" "$peak" "$over" "$result" >&2
  done
  printf '(release build, %s cores; each row a fresh instance; the server'"'"'s resident memory)\n' "$(nproc)" >&2
  [ "$status" = 0 ] || printf 'FAILED (exit %s)\n' "$status" >&2
  exit "$status"
}

main() {
  local rows=("$@")
  [ ${#rows[@]} -gt 0 ] || rows=("${ALL_ROWS[@]}")
  local r
  for r in "${rows[@]}"; do
    declare -F "row_$r" >/dev/null || { echo "no such row: $r (rows: ${ALL_ROWS[*]})" >&2; exit 2; }
  done
  ensure_jq
  ensure_builds
  if [ -n "${TT_BENCH_DIR:-}" ]; then
    WORK="$TT_BENCH_DIR" && mkdir -p "$WORK"
  else
    WORK="$(mktemp -d /tmp/tt-bench.XXXXXX)"
  fi
  trap print_table EXIT
  local failed=0
  for r in "${rows[@]}"; do
    say "row $r"
    "row_$r" || failed=1
  done
  return "$failed"
}

main "$@"
