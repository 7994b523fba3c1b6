#!/usr/bin/env bash
# The WebAssembly runtime and the browser policy console (spec/wasm.md):
# installs what it needs (idempotently), builds the full and eval-only WASM
# packages and the static console, then runs the conformance vectors in Node,
# the end-to-end tests in headless Chromium, and the Node-vs-native timing.
#
#   bash .ci/wasm.sh     # last line: `wasm: N passed, M failed`
#
# Outputs: console/dist/ (the page, serve it with
# `python3 -m http.server -d console/dist`), target/wasm/{full,eval}/ (the
# packages), target/wasm/sizes.txt, target/console-screenshot.png.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
OUT=target/wasm
mkdir -p "$OUT"

# shellcheck source=tools.sh
source .ci/tools.sh
TARGET=$WASM_TARGET
step "toolchain: rustup target $TARGET, wasm-bindgen-cli $(wasm_bindgen_version), chromium, npm ci"
need_wasm_target
need_wasm_bindgen
need_apt chromium
need_console_npm

step "clippy for $TARGET (full and eval-only)"
cargo clippy --locked -p policy-wasm --target "$TARGET" -- -D warnings
cargo clippy --locked -p policy-wasm --target "$TARGET" --no-default-features -- -D warnings

# Build one flavour: cargo (profile wasm-release), wasm-bindgen, wasm-opt -Oz.
build() {
  local name=$1; shift
  cargo build --locked -p policy-wasm --target "$TARGET" --profile wasm-release "$@"
  rm -rf "${OUT:?}/$name"
  wasm-bindgen --target web --out-dir "$OUT/$name" "target/$TARGET/wasm-release/policy_wasm.wasm"
  local wasm="$OUT/$name/policy_wasm_bg.wasm"
  cp "$wasm" "$OUT/$name.unoptimized.wasm"
  console/node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o "$wasm.opt" "$wasm"
  mv "$wasm.opt" "$wasm"
}
step "build: full (check, compile, explain)"
build full
step "build: eval-only (--no-default-features)"
build eval --no-default-features

size_line() {
  local f=$1
  printf '%-10s %8d bytes raw  %8d bytes gzip -9' "$2" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
}
{
  echo "policy-wasm .wasm sizes (profile wasm-release, then wasm-opt -Oz)"
  size_line "$OUT/full/policy_wasm_bg.wasm" full; echo
  size_line "$OUT/eval/policy_wasm_bg.wasm" eval-only; echo
  echo "before wasm-opt:"
  size_line "$OUT/full.unoptimized.wasm" full; echo
  size_line "$OUT/eval.unoptimized.wasm" eval-only; echo
} | tee "$OUT/sizes.txt"

step "console: assemble console/dist"
node console/build.mjs "$OUT/full" "$OUT/eval"

step "native: polc (for the comparisons) and the timing helper"
cargo build --locked -p polc
cargo build --locked --release -p policy-wasm --no-default-features --example native_bench

step "node --test: conformance and stack vectors, requests from JS values, tool pins, tool listings, end-to-end in Chromium"
TAP="$OUT/node-tests.tap"
set +e
(cd console && POLC="$PWD/../target/debug/polc" node --test --test-reporter=tap \
  test/conformance.test.mjs test/stacks.test.mjs test/requests.test.mjs test/pins.test.mjs test/listing.test.mjs test/e2e.test.mjs) >"$TAP" 2>&1
status=$?
set -e
passed=$(awk '/^# pass /{print $3}' "$TAP")
failed=$(awk '/^# fail /{print $3}' "$TAP")
if [ "$status" -ne 0 ] || [ "${failed:-1}" != 0 ]; then
  grep -E -B2 -A25 '^\s*not ok' "$TAP" | head -200 || tail -50 "$TAP"
fi

step "timing: one decision in Node (WASM) vs native"
(cd console && node test/bench.mjs ../target/release/examples/native_bench 100000)

echo "screenshot: target/console-screenshot.png"
echo "wasm: ${passed:-0} passed, ${failed:-1} failed"
[ "$status" -eq 0 ] && [ "${failed:-1}" = 0 ]
