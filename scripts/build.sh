#!/usr/bin/env bash
# Builds the release app: the browser bundle (wasm + JS + CSS) into target/site/pkg and the
# server binary target/release/tracker-tracker. Installs what is missing first.
# `--bundle-only`: the browser bundle alone (the test command runs its own server build).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_wasm_target
ensure_wasm_bindgen
ensure_wasm_split
ensure_wasm_opt

PKG="$ROOT/target/site/pkg"
WASM_IN="$ROOT/target/wasm32-unknown-unknown/wasm-release/frontend.wasm"

say "building the browser bundle (frontend, wasm32, profile wasm-release)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

# Only redo the (slow) split + bindgen + wasm-opt steps when the wasm changed. They write into a
# fresh directory whose files then replace this step's files of the last build (its chunks, whose
# names change between builds, included).
if [ ! -f "$PKG/$OUTPUT_NAME.wasm" ] || [ "$WASM_IN" -nt "$PKG/$OUTPUT_NAME.wasm" ]; then
  NEW="$PKG.new"
  rm -rf "$NEW" && mkdir -p "$NEW"
  # The order cargo-leptos uses: split the linked wasm (frontend/build.rs links it with
  # --emit-relocs) into the main module and one chunk per lazy route (plus chunks of code they
  # share), the loader JS and the manifest; wasm-bindgen on the main module only, keeping the
  # exports the chunks link against; then wasm-opt on every module.
  say "splitting the wasm at its lazy routes"
  tt-wasm-split "$WASM_IN" "$NEW" "$OUTPUT_NAME" >/dev/null
  say "wasm-bindgen"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$NEW" --out-name "$OUTPUT_NAME" "$NEW/${OUTPUT_NAME}_split.wasm"
  mv "$NEW/${OUTPUT_NAME}_bg.wasm" "$NEW/$OUTPUT_NAME.wasm"
  rm "$NEW/${OUTPUT_NAME}_split.wasm"
  say "wasm-opt on each module"
  printf '%s\0' "$NEW"/*.wasm | xargs -0 -P "$(nproc)" -I{} \
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals {} -o {}
  mkdir -p "$PKG"
  rm -f "$PKG"/split_*.wasm* "$PKG"/chunk_*.wasm* "$PKG"/__wasm_split* "$PKG/$OUTPUT_NAME".{wasm,js}*
  mv "$NEW"/* "$PKG"/ && rmdir "$NEW"
fi
cp "$ROOT/style/main.css" "$PKG/$OUTPUT_NAME.css"
if [ -d "$ROOT/public" ]; then cp -r "$ROOT/public/." "$ROOT/target/site/"; fi
# Pre-compressed copies (.br, .gz) that the server sends instead; redone only when a file changed.
stale=()
for f in "$PKG"/*.wasm "$PKG"/*.js "$PKG/$OUTPUT_NAME.css"; do
  if [ ! -f "$f.br" ] || [ "$f" -nt "$f.br" ]; then stale+=("$f"); fi
done
if [ ${#stale[@]} -gt 0 ]; then node "$ROOT/scripts/precompress.js" "${stale[@]}" >/dev/null; fi

size() { stat -c %s "$1"; }
w="$PKG/$OUTPUT_NAME.wasm"
chunks=0; chunks_br=0
for f in "$PKG"/split_*.wasm "$PKG"/chunk_*.wasm; do
  if [ -f "$f" ]; then chunks=$((chunks + 1)); chunks_br=$((chunks_br + $(size "$f.br"))); fi
done
say "bundle: main $OUTPUT_NAME.wasm $(size "$w") bytes, as sent: $(size "$w.br") brotli / $(size "$w.gz") gzip; $chunks lazy chunks, $chunks_br bytes brotli in all"

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
