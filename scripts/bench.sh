#!/usr/bin/env bash
# Release-build benchmarks. One function per measured row (row_*); each row starts the release
# server (on a fresh data dir, or on the generated instance), makes one API call the way a page or
# a script does, and records the call's wall time, the CPU time the server spent on it (user +
# system, from /proc/<pid>/stat: on a shared machine the wall time also counts other work) and the
# server's resident memory: before the call and its peak during the call (VmHWM of
# /proc/<pid>/status, reset through clear_refs just before). Rows with a speed target also print their reference figure, measured in the same run
# (sqlite3 on the same database, or another row), and the ratio. A table of every row is printed
# at the end (also when a row fails).
#
#   scripts/bench.sh              # every row
#   scripts/bench.sh ROW...       # some rows, by name (see ALL_ROWS); what they need is made too
#
# Builds nothing that is there: the release server (scripts/build.sh, the README's first command,
# makes it) and the original-format writer (a test-only writer of crates/original-backup, as the
# example write_original; not part of the product) are built only when missing.
# Environment: TT_BENCH_DIR (where files and data dirs go; default a new directory under /tmp,
# deleted at the end unless TT_BENCH_KEEP=1), TT_BENCH_PORT (default 3190), TT_BENCH_TRACKERS,
# TT_BENCH_YEARS (the generated instance, issue 16: 40 trackers × 3 years of hourly snapshots =
# 1,051,200) and TT_BENCH_PER_TRACKER (the original-format files: 40 × 25 000 snapshots).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/services.sh"
cd "$ROOT"

SERVER="$ROOT/target/release/tracker-tracker"
WRITER="$ROOT/target/release/examples/write_original"
PORT="${TT_BENCH_PORT:-3190}"
T="http://127.0.0.1:$PORT"
LOGIN_PW="bench login password 1"
NATIVE_BACKUP_PW="bench backup password 1"
# The original instance's passwords (the writer's defaults).
SOURCE_PW="original login pw 1"
BACKUP_PW="original backup pw 1"
# Bounds on the server's peak memory, in bytes: every backup operation (issue 16: 100 MB), the
# original-app import (issue 14: 150 MB).
RSS_LIMIT_BYTES=100000000
ORIGINAL_RSS_LIMIT_BYTES=150000000
# The generated instance (issue 16's table) and the original-format files (issue 14's rows).
TRACKERS="${TT_BENCH_TRACKERS:-40}"
YEARS="${TT_BENCH_YEARS:-3}"
PER_TRACKER="${TT_BENCH_PER_TRACKER:-25000}"
# Only the services the upload row needs.
SERVICES=(s3 webdav)

ALL_ROWS=(sqlite_dump plain_export sqlite_reload plain_dry_run plain_restore ttbak_export ttbak_dry_run ttbak_restore
  stored_plain_restore stored_ttbak_restore run_now_locations browser_preview bundle
  original_plain_dry_run original_plain_restore original_ttbak_dry_run original_ttbak_restore)

# ---- set-up -----------------------------------------------------------------------------------

# ensure_deb COMMAND PACKAGE: installs Debian's PACKAGE when COMMAND is missing.
ensure_deb() {
  if ! command -v "$1" >/dev/null; then
    say "installing Debian's $2"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$2" >/dev/null
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
  stop_services
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

# The generated instance (`tracker-tracker generate`), made once per run, with LOGIN_PW.
INSTANCE=""
SNAPSHOTS=""
instance() {
  [ -n "$INSTANCE" ] && return 0
  local dir="$WORK/instance"
  rm -rf "$dir" && mkdir -p "$dir"
  say "generating the instance: $TRACKERS trackers × $YEARS years of hourly snapshots into $dir"
  TT_DATA_DIR="$dir" RUST_LOG=warn "$SERVER" generate --trackers "$TRACKERS" --years "$YEARS" --password "$LOGIN_PW" >&2 || return 1
  SNAPSHOTS="$(sqlite3 "$dir/tracker-tracker.db" 'SELECT COUNT(*) FROM tracker_snapshots')"
  say "instance: $SNAPSHOTS tracker snapshots, database $(du -m "$dir/tracker-tracker.db" | cut -f1) MB"
  INSTANCE="$dir"
}

# ---- the server -------------------------------------------------------------------------------

# Starts the release server on the data dir $1 (as it is) and waits until it answers.
launch_server() {
  local data="$1"
  TT_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" TT_BASE_URL="$T" RUST_LOG=warn "$SERVER" serve >>"$data/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    curl -sf "$T/api/auth/status" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$data/server.log" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not answer on $T" >&2
  return 1
}

# Starts the release server on a fresh data dir ($1) and sets it up (cookie jar $1/jar).
start_server() {
  local data="$1"
  rm -rf "$data" && mkdir -p "$data"
  launch_server "$data" || return 1
  curl -sf -c "$data/jar" -H 'Content-Type: application/json' \
    -d "{\"password\":\"$LOGIN_PW\",\"confirm\":\"$LOGIN_PW\"}" "$T/api/auth/setup" >/dev/null ||
    { echo "setting up the instance failed" >&2; return 1; }
}

# Starts the release server on the generated instance and logs in (cookie jar $INSTANCE/jar).
start_instance() {
  instance || return 1
  launch_server "$INSTANCE" || return 1
  curl -sf -c "$INSTANCE/jar" -H 'Content-Type: application/json' \
    -d "{\"password\":\"$LOGIN_PW\",\"code\":null}" "$T/api/auth/login" >/dev/null ||
    { echo "logging in to the instance failed" >&2; return 1; }
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
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- measuring --------------------------------------------------------------------------------

# The server's CPU time so far (user + system), in clock ticks.
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SERVER_PID/stat"; }
TICKS="$(getconf CLK_TCK)"

# Around one call to the running server: measure_begin resets VmHWM to the current RSS; measure_end
# sets M_SECS, M_CPU (seconds), M_BEFORE, M_PEAK (KiB).
measure_begin() {
  echo 5 >"/proc/$SERVER_PID/clear_refs"
  M_BEFORE="$(proc_kib VmRSS)"
  M_TICKS="$(proc_ticks)"
  M_START="$(now_s)"
}
measure_end() {
  M_SECS="$(elapsed "$M_START")"
  M_PEAK="$(proc_kib VmHWM || true)"
  [ -n "$M_PEAK" ] || { echo "the server is gone" >&2; return 1; }
  M_CPU="$(awk -v a="$M_TICKS" -v b="$(proc_ticks)" -v t="$TICKS" 'BEGIN { printf "%.1f", (b - a) / t }')"
}

# timed_cpu VAR_SECS VAR_CPU COMMAND...: runs a command (the sqlite3 references), its wall and
# CPU seconds into the two variables.
timed_cpu() {
  local -n secs_out="$1" cpu_out="$2"
  shift 2
  local start times
  start="$(now_s)"
  times="$(mktemp)"
  /usr/bin/time -f '%U %S' -o "$times" "$@" || { rm -f "$times"; return 1; }
  secs_out="$(elapsed "$start")"
  cpu_out="$(awk '{ printf "%.1f", $1 + $2 }' "$times")"
  rm -f "$times"
}

ROWS=()
# The reference of the next record (label, wall seconds, target ratio, CPU seconds), cleared by it.
REF=()
# record NAME INPUT_BYTES SECONDS CPU_SECONDS RSS_BEFORE_KIB PEAK_KIB LIMIT_BYTES RESULT
# (RSS "-" for a row that is not the server: the sqlite3 references.)
record() {
  local cpu="$4"
  set -- "$1" "$2" "$3" "${@:5}"
  local mem="-" before="-" peak="-"
  if [ "$5" != "-" ]; then
    mem=ok
    [ $(($5 * 1024)) -le "$6" ] || mem="OVER"
    before="$(mib "$4")" peak="$(mib "$5")"
    mem="$mem ≤$(($6 / 1000000))"
  fi
  local ref="-" ratio="-" speed="-" cpu_ratio="-"
  if [ ${#REF[@]} -eq 4 ] && [ -n "${REF[1]}" ]; then
    ref="${REF[0]} ${REF[1]} s"
    ratio="$(awk -v a="$3" -v b="${REF[1]}" 'BEGIN { printf "%.2f", a / b }')"
    speed="$(awk -v r="$ratio" -v t="${REF[2]}" 'BEGIN { print (r <= t ? "ok" : "OVER") " ≤" t }')"
    cpu_ratio="$(awk -v a="$cpu" -v b="${REF[3]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
  fi
  REF=()
  ROWS+=("$1|$(awk -v b="$2" 'BEGIN { printf "%.0f", b / 1e6 }')|$3|$cpu|$ref|$ratio|$speed|$cpu_ratio|$before|$peak|$mem|$7")
}

# The answer of a restore or dry run: its snapshot count, or the status and message.
restore_result() {
  local status="$1" answer="$2"
  if [ "$status" = 200 ]; then
    jq -r '[.restored[] | select(.section == "tracker_snapshots") | .count][0] | "\(.) snapshots"' "$answer"
  else
    echo "HTTP $status: $(jq -r '.message // empty' "$answer" 2>/dev/null | head -c 120)"
  fi
}

# One upload to POST /api/backup/restore (the call the Backups page makes), on a fresh instance:
# restore_upload NAME LIMIT_BYTES FILE [curl -F arguments...]. Sets LAST_SECS, LAST_CPU.
restore_upload() {
  local name="$1" limit="$2" file="$3"
  shift 3
  local data="$WORK/data-$name"
  start_server "$data" || return 1
  measure_begin
  local status
  status="$(curl -s -o "$data/answer.json" -w '%{http_code}' -b "$data/jar" -F "file=@$file" \
    -F "current_password=$LOGIN_PW" "$@" "$T/api/backup/restore")"
  measure_end || { cat "$data/server.log" >&2; return 1; }
  stop_server
  LAST_SECS="$M_SECS" LAST_CPU="$M_CPU"
  record "$name" "$(stat -c %s "$file")" "$M_SECS" "$M_CPU" "$M_BEFORE" "$M_PEAK" "$limit" "$(restore_result "$status" "$data/answer.json")"
  mv "$data/server.log" "$WORK/$name.server.log"
  rm -rf "$data"
  [ "$status" = 200 ]
}

# A backup put into a fresh instance's storage directory, added to its history (found files →
# import, not measured), then restored through POST /api/backup/history/restore (measured):
# restore_stored NAME FILE BACKUP_PASSWORD_JSON.
restore_stored() {
  local name="$1" file="$2" pw="$3"
  local data="$WORK/data-$name" ext="${2##*.}"
  start_server "$data" || return 1
  local store="$data/store" stored="tracker-tracker-backup-20260101T000000Z.$ext"
  curl -sf -b "$data/jar" -H 'Content-Type: application/json' \
    -d "{\"input\":{\"settings\":{\"schedule_enabled\":false,\"frequency\":\"daily\",\"retention_count\":14,\"encrypt\":false,\"storage_path\":\"$store\"},\"backup_password\":{\"value\":null,\"clear\":false}}}" \
    "$T/api/backup/settings" >/dev/null || { echo "setting the storage path failed" >&2; return 1; }
  ln "$file" "$store/$stored" 2>/dev/null || cp "$file" "$store/$stored"
  local id
  id="$(curl -sf -b "$data/jar" -H 'Content-Type: application/json' -d "{\"file_name\":\"$stored\",\"backup_password\":$pw}" \
    "$T/api/backup/history/import" | jq -r .id)" || { echo "importing the stored file failed" >&2; return 1; }
  measure_begin
  local status
  status="$(curl -s -o "$data/answer.json" -w '%{http_code}' -b "$data/jar" -H 'Content-Type: application/json' \
    -d "{\"id\":$id,\"current_password\":\"$LOGIN_PW\",\"backup_password\":$pw,\"source_password\":null,\"dry_run\":false}" \
    "$T/api/backup/history/restore")"
  measure_end || { cat "$data/server.log" >&2; return 1; }
  stop_server
  record "$name" "$(stat -c %s "$file")" "$M_SECS" "$M_CPU" "$M_BEFORE" "$M_PEAK" "$RSS_LIMIT_BYTES" "$(restore_result "$status" "$data/answer.json")"
  mv "$data/server.log" "$WORK/$name.server.log"
  rm -rf "$data"
  [ "$status" = 200 ]
}

# An export of the generated instance through POST /api/backup/export (the Backups page's
# download): export_to NAME FILE [curl arguments].
export_to() {
  local name="$1" file="$2"
  shift 2
  start_instance || return 1
  measure_begin
  local status
  status="$(curl -s -o "$file" -w '%{http_code}' -b "$INSTANCE/jar" -X POST "$@" "$T/api/backup/export")"
  measure_end || { cat "$INSTANCE/server.log" >&2; return 1; }
  stop_server
  local result="HTTP $status"
  [ "$status" != 200 ] || result="$(stat -c %s "$file") bytes"
  record "$name" "$(stat -c %s "$INSTANCE/tracker-tracker.db")" "$M_SECS" "$M_CPU" "$M_BEFORE" "$M_PEAK" "$RSS_LIMIT_BYTES" "$result"
  [ "$status" = 200 ]
}

# ---- the references and the files the rows share (each made once per run) ---------------------

DUMP_SQL="" DUMP_SECS="" DUMP_CPU=""
sqlite_dump() {
  [ -n "$DUMP_SQL" ] && return 0
  instance || return 1
  local secs cpu
  timed_cpu secs cpu sqlite3 "$INSTANCE/tracker-tracker.db" ".output $WORK/dump.sql" .dump || return 1
  DUMP_SQL="$WORK/dump.sql" DUMP_SECS="$secs" DUMP_CPU="$cpu"
  record sqlite_dump "$(stat -c %s "$INSTANCE/tracker-tracker.db")" "$secs" "$cpu" - - - "sqlite3 DB .dump: $(stat -c %s "$DUMP_SQL") bytes"
}

RELOAD_SECS="" RELOAD_CPU=""
sqlite_reload() {
  [ -n "$RELOAD_SECS" ] && return 0
  sqlite_dump || return 1
  rm -f "$WORK/reload.db"
  local secs cpu
  timed_cpu secs cpu sqlite3 "$WORK/reload.db" ".read $DUMP_SQL" || return 1
  record sqlite_reload "$(stat -c %s "$DUMP_SQL")" "$secs" "$cpu" - - - \
    "sqlite3 NEW.db < dump: $(sqlite3 "$WORK/reload.db" 'SELECT COUNT(*) FROM tracker_snapshots') snapshots"
  RELOAD_SECS="$secs" RELOAD_CPU="$cpu"
  rm -f "$WORK/reload.db"
}

EXPORT_JSON=""
plain_export() {
  [ -n "$EXPORT_JSON" ] && return 0
  sqlite_dump || return 1
  REF=("sqlite3 .dump" "$DUMP_SECS" 0.7 "$DUMP_CPU")
  export_to plain_export "$WORK/export.json" || return 1
  EXPORT_JSON="$WORK/export.json"
}

EXPORT_TTBAK=""
ttbak_export() {
  [ -n "$EXPORT_TTBAK" ] && return 0
  export_to ttbak_export "$WORK/export.ttbak" --data-urlencode "password=$NATIVE_BACKUP_PW" || return 1
  EXPORT_TTBAK="$WORK/export.ttbak"
}

PLAIN_RESTORE_SECS="" PLAIN_RESTORE_CPU=""
plain_restore() {
  [ -n "$PLAIN_RESTORE_SECS" ] && return 0
  plain_export || return 1
  sqlite_reload || return 1
  REF=("sqlite3 reload" "$RELOAD_SECS" 0.5 "$RELOAD_CPU")
  restore_upload plain_restore "$RSS_LIMIT_BYTES" "$EXPORT_JSON" || return 1
  PLAIN_RESTORE_SECS="$LAST_SECS" PLAIN_RESTORE_CPU="$LAST_CPU"
}

# ---- rows -------------------------------------------------------------------------------------

row_sqlite_dump() { sqlite_dump; }
row_sqlite_reload() { sqlite_reload; }
row_plain_export() { plain_export; }
row_plain_dry_run() {
  plain_export || return 1
  restore_upload plain_dry_run "$RSS_LIMIT_BYTES" "$EXPORT_JSON" -F dry_run=true
}
row_plain_restore() { plain_restore; }
row_ttbak_export() { ttbak_export; }
row_ttbak_dry_run() {
  ttbak_export || return 1
  restore_upload ttbak_dry_run "$RSS_LIMIT_BYTES" "$EXPORT_TTBAK" -F "backup_password=$NATIVE_BACKUP_PW" -F dry_run=true
}
row_ttbak_restore() {
  ttbak_export || return 1
  plain_restore || return 1
  REF=("plain restore" "$PLAIN_RESTORE_SECS" 1.2 "$PLAIN_RESTORE_CPU")
  restore_upload ttbak_restore "$RSS_LIMIT_BYTES" "$EXPORT_TTBAK" -F "backup_password=$NATIVE_BACKUP_PW"
}
row_stored_plain_restore() {
  plain_export || return 1
  restore_stored stored_plain_restore "$EXPORT_JSON" null
}
row_stored_ttbak_restore() {
  ttbak_export || return 1
  restore_stored stored_ttbak_restore "$EXPORT_TTBAK" "\"$NATIVE_BACKUP_PW\""
}

# "Run a scheduled backup now" on the generated instance with an S3 location (moto) and a WebDAV
# location (wsgidav), both taking the plain backup: the local backup, its verification, both
# uploads and their read-back, in one measured call.
row_run_now_locations() {
  instance || return 1
  [ -n "$SERVICES_RUN" ] || start_services >&2 || return 1
  local folder="$TT_TEST_WEBDAV_URL/bench-$$"
  curl -sf -X MKCOL -u "$TT_TEST_WEBDAV_USER:$TT_TEST_WEBDAV_PASSWORD" "$folder" >/dev/null || { echo "MKCOL $folder failed" >&2; return 1; }
  start_instance || return 1
  local jar="$INSTANCE/jar" json=(-H 'Content-Type: application/json')
  curl -sf -b "$jar" "${json[@]}" \
    -d "{\"input\":{\"settings\":{\"schedule_enabled\":false,\"frequency\":\"daily\",\"retention_count\":14,\"encrypt\":false,\"storage_path\":\"$WORK/instance-store\"},\"backup_password\":{\"value\":null,\"clear\":false}}}" \
    "$T/api/backup/settings" >/dev/null || { echo "setting the storage path failed" >&2; return 1; }
  local retention='{"mode":"keep_last","count":5}'
  jq -n --arg e "$TT_TEST_S3_ENDPOINT" --arg r "$TT_TEST_S3_REGION" --arg b "$TT_TEST_S3_BUCKET" --arg k "$TT_TEST_S3_ACCESS_KEY_ID" \
    --arg s "$TT_TEST_S3_SECRET_KEY" --arg p "bench-$$" --argjson ret "$retention" \
    '{input: {id: null, settings: {name: "S3 (moto)", enabled: true, require_encryption: false, retention: $ret,
      target: {kind: "s3", endpoint: $e, region: $r, bucket: $b, prefix: $p, access_key_id: $k, path_style: true}},
      secret: {value: $s, clear: false}}}' >"$WORK/s3.json"
  jq -n --arg u "$folder" --arg user "$TT_TEST_WEBDAV_USER" --arg pw "$TT_TEST_WEBDAV_PASSWORD" --argjson ret "$retention" \
    '{input: {id: null, settings: {name: "WebDAV (wsgidav)", enabled: true, require_encryption: false, retention: $ret,
      target: {kind: "webdav", url: $u, username: $user}}, secret: {value: $pw, clear: false}}}' >"$WORK/webdav.json"
  local l
  for l in s3 webdav; do
    curl -sf -b "$jar" "${json[@]}" -d "@$WORK/$l.json" "$T/api/backup/locations/save" >/dev/null ||
      { echo "adding the $l location failed" >&2; return 1; }
  done
  measure_begin
  local status
  status="$(curl -s -o "$WORK/run-now.json" -w '%{http_code}' -b "$jar" "${json[@]}" -d '{}' "$T/api/backup/run-now")"
  measure_end || { cat "$INSTANCE/server.log" >&2; return 1; }
  stop_server
  local result
  if [ "$status" = 200 ]; then
    result="$(jq -r '"\(.size_bytes) bytes; copies: " + ([.copies[] | "\(.location_name) \(.status)"] | join(", "))' "$WORK/run-now.json")"
  else
    result="HTTP $status: $(jq -r '.message // empty' "$WORK/run-now.json" 2>/dev/null | head -c 120)"
  fi
  record run_now_locations "$(stat -c %s "$INSTANCE/tracker-tracker.db")" "$M_SECS" "$M_CPU" "$M_BEFORE" "$M_PEAK" "$RSS_LIMIT_BYTES" "$result"
  [ "$status" = 200 ] && [ "$(jq '[.copies[] | select(.status == "verified")] | length' "$WORK/run-now.json")" = 2 ]
}

row_original_plain_dry_run() {
  original_files || return 1
  restore_upload original_plain_dry_run "$ORIGINAL_RSS_LIMIT_BYTES" "$ORIGINAL_JSON" -F "source_password=$SOURCE_PW" -F dry_run=true
}
row_original_plain_restore() {
  original_files || return 1
  restore_upload original_plain_restore "$ORIGINAL_RSS_LIMIT_BYTES" "$ORIGINAL_JSON" -F "source_password=$SOURCE_PW" -F totp=take_backup
}
row_original_ttbak_dry_run() {
  original_files || return 1
  restore_upload original_ttbak_dry_run "$ORIGINAL_RSS_LIMIT_BYTES" "$ORIGINAL_TTBAK" -F "source_password=$SOURCE_PW" \
    -F "backup_password=$BACKUP_PW" -F dry_run=true
}
row_original_ttbak_restore() {
  original_files || return 1
  restore_upload original_ttbak_restore "$ORIGINAL_RSS_LIMIT_BYTES" "$ORIGINAL_TTBAK" -F "source_password=$SOURCE_PW" \
    -F "backup_password=$BACKUP_PW" -F totp=take_backup
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
  # The .ttbak of the generated instance (the export row's file), unless one is given.
  if [ -z "${TT_BENCH_TTBAK:-}" ]; then
    ttbak_export || return 1
    export TT_BENCH_TTBAK="$EXPORT_TTBAK" TT_BENCH_TTBAK_PASSWORD="$NATIVE_BACKUP_PW"
  fi
  (cd "$ROOT/end2end" && TT_E2E_BINARY="$SERVER" npx playwright test -c bench/playwright.config.ts) >"$out" 2>&1 ||
    { cat "$out" >&2; return 1; }
  grep -v '^BENCH ' "$out" | grep -E 'MB .ttbak|generated' >&2 || true
  local bytes kdf total mbps n longest
  read -r _ _ bytes kdf total mbps n longest < <(grep '^BENCH browser_preview ' "$out" | tail -1)
  [ -n "${longest:-}" ] || { cat "$out" >&2; return 1; }
  printf '\nbrowser_preview: file %s MB, key derivation %s ms, total %s ms, %s MB/s (key derivation apart; target >= 25), %s long tasks on the page, the longest %s ms (target <= 100)\n' \
    "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" "$kdf" "$total" "$mbps" "$n" "$longest" >&2
  local ok=ok
  awk -v m="$mbps" -v l="$longest" 'BEGIN { exit !(m >= 25 && l <= 100) }' || ok=OVER
  ROWS+=("browser_preview|$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')|$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1000 }')|-|-|-|-|-|-|-|-|$mbps MB/s of file (target >= 25) $ok, key derivation $kdf ms apart; $n long tasks, the longest $longest ms (target <= 100)")
}

# ---- row_bundle: the browser bundle as sent (the .br files scripts/build.sh wrote) -------------
# The main module, its JS and CSS and the split loader are what every page fetches first; each
# page then fetches its own chunks (end2end/tests/08-bundle.spec.ts measures each page's first load
# in Chromium and holds the dashboard to 400,000 bytes). The restore preview's worker comes only
# when a file is opened.
row_bundle() {
  local pkg="$ROOT/target/site/pkg" name="tracker-tracker"
  [ -f "$pkg/$name.wasm.br" ] || { echo "no browser bundle: run scripts/build.sh first" >&2; return 1; }
  local main=0 chunks=0 n=0 worker=0 f
  for f in "$pkg/$name.wasm.br" "$pkg/$name.js.br" "$pkg/$name.css.br" "$pkg"/__wasm_split*.js.br; do
    [ -f "$f" ] && main=$((main + $(stat -c %s "$f")))
  done
  for f in "$pkg"/split_*.wasm.br "$pkg"/chunk_*.wasm.br; do
    [ -f "$f" ] && { chunks=$((chunks + $(stat -c %s "$f"))); n=$((n + 1)); }
  done
  for f in "$pkg"/tt-preview_bg.wasm.br "$pkg"/tt-preview.js.br "$pkg"/preview-worker.js.br; do
    [ -f "$f" ] && worker=$((worker + $(stat -c %s "$f")))
  done
  ROWS+=("bundle|-|-|-|-|-|-|-|-|-|-|main module + JS + CSS + loader $main B brotli; $n page chunks $chunks B brotli in all; the preview worker $worker B brotli (loaded on opening a file)")
}

print_table() {
  local status=$?
  cleanup
  [ ${#ROWS[@]} -gt 0 ] || exit "$status"
  local fmt='%-22s %8s %7s %6s  %-22s %6s %-9s %6s %8s %9s %-9s  %s\n'
  printf "\n$fmt" "row" "input MB" "wall s" "cpu s" "reference (wall)" "ratio" "target" "cpu r." "RSS MiB" "peak MiB" "peak" "result" >&2
  local row
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name input secs cpu ref ratio speed cpu_ratio before peak mem result <<<"$row"
    printf "$fmt" "$name" "$input" "$secs" "$cpu" "$ref" "$ratio" "$speed" "$cpu_ratio" "$before" "$peak" "$mem" "$result" >&2
  done
  printf '(release build, %s cores, load average %s; %s tracker snapshots generated; each restore on a fresh instance;\n' \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${SNAPSHOTS:-no}" >&2
  printf ' ratio: wall time over the reference'"'"'s (the target), cpu r.: the same in CPU seconds; RSS: the server'"'"'s, before the call and its peak during it; peak bound in MB)\n' >&2
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
  ensure_deb jq jq
  ensure_deb sqlite3 sqlite3
  ensure_deb /usr/bin/time time
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
    stop_server
  done
  return "$failed"
}

main "$@"
