#!/usr/bin/env bash
# Builds the release app: the browser bundle (wasm + JS + CSS) into target/site/pkg and the
# server binary target/release/tracker-tracker. Installs what is missing first.
# `--bundle-only`: the browser bundle alone (the test command runs its own server build).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_wasm_target
ensure_wasm_bindgen
ensure_wasm_opt

PKG="$ROOT/target/site/pkg"
WASM_IN="$ROOT/target/wasm32-unknown-unknown/wasm-release/frontend.wasm"

say "building the browser bundle (frontend, wasm32, profile wasm-release)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

mkdir -p "$PKG"
# Only redo the (slow) bindgen + wasm-opt steps when the wasm changed.
if [ ! -f "$PKG/$OUTPUT_NAME.wasm" ] || [ "$WASM_IN" -nt "$PKG/$OUTPUT_NAME.wasm" ]; then
  say "wasm-bindgen + wasm-opt"
  wasm-bindgen --target web --no-typescript --out-dir "$PKG" --out-name "$OUTPUT_NAME" "$WASM_IN"
  mv "$PKG/${OUTPUT_NAME}_bg.wasm" "$PKG/$OUTPUT_NAME.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$PKG/$OUTPUT_NAME.wasm" -o "$PKG/$OUTPUT_NAME.wasm"
fi
cp "$ROOT/style/main.css" "$PKG/$OUTPUT_NAME.css"
if [ -d "$ROOT/public" ]; then cp -r "$ROOT/public/." "$ROOT/target/site/"; fi
# Pre-compressed copies (.br, .gz) that the server sends instead; redone only when a file changed.
stale=()
for f in "$PKG/$OUTPUT_NAME".{wasm,js,css}; do
  if [ ! -f "$f.br" ] || [ "$f" -nt "$f.br" ]; then stale+=("$f"); fi
done
if [ ${#stale[@]} -gt 0 ]; then node "$ROOT/scripts/precompress.js" "${stale[@]}" >/dev/null; fi

size() { stat -c %s "$1"; }
w="$PKG/$OUTPUT_NAME.wasm"
say "bundle: $OUTPUT_NAME.wasm $(size "$w") bytes, as sent: $(size "$w.br") brotli / $(size "$w.gz") gzip"

# ---- The restore preview's Web Worker (crates/preview-worker): a wasm module of its own, which
# the page starts when a file is opened to restore (app/src/browser.rs loads /pkg/preview-worker.js).
# Its own profile (opt-level 3: it decrypts and inflates whole files) and wasm-opt -O3.
WORKER_IN="$ROOT/target/wasm32-unknown-unknown/worker-release/preview_worker.wasm"
WORKER_WASM="$PKG/tt-preview_bg.wasm"
say "building the preview worker (preview-worker, wasm32, profile worker-release)"
cargo build --locked -p preview-worker --lib --target wasm32-unknown-unknown --profile worker-release
if [ ! -f "$WORKER_WASM" ] || [ "$WORKER_IN" -nt "$WORKER_WASM" ]; then
  say "wasm-bindgen + wasm-opt (preview worker)"
  wasm-bindgen --target web --no-typescript --out-dir "$PKG" --out-name tt-preview "$WORKER_IN"
  wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$WORKER_WASM" -o "$WORKER_WASM"
fi
cp "$ROOT/crates/preview-worker/worker.js" "$PKG/preview-worker.js"
stale=()
for f in "$WORKER_WASM" "$PKG/tt-preview.js" "$PKG/preview-worker.js"; do
  if [ ! -f "$f.br" ] || [ "$f" -nt "$f.br" ]; then stale+=("$f"); fi
done
if [ ${#stale[@]} -gt 0 ]; then node "$ROOT/scripts/precompress.js" "${stale[@]}" >/dev/null; fi
say "preview worker: tt-preview_bg.wasm $(size "$WORKER_WASM") bytes, as sent: $(size "$WORKER_WASM.br") brotli / $(size "$WORKER_WASM.gz") gzip"
# ---- end of the preview worker

if [ "${1:-}" != "--bundle-only" ]; then
  say "building the server (release)"
  cargo build --locked -p server --release
fi
