#!/usr/bin/env bash
# Every tool and package the test suite installs, in one place, each install
# idempotent. Sourced by the other .ci scripts (which call the `need_*`
# functions for what they use); run directly, it installs everything:
#
#   bash .ci/tools.sh          # all of it (what `.ci/test` starts in the
#                              # background, so downloads and apt overlap
#                              # with the first compiles)
#
# Pinned versions live here and nowhere else.

CBINDGEN_VERSION=0.29.4
CARGO_FUZZ_VERSION=0.13.2
WASM_TARGET=wasm32-unknown-unknown

# Debian packages: Go and valgrind (C ABI / Go binding), Chromium (console
# end-to-end), and the rule lists the peer benchmarks are generated from
# (benches/gen_data.py names the files it reads from them).
APT_PACKAGES=(golang-go valgrind gcc python3 chromium publicsuffix webext-ublock-origin-chromium tor-geoipdb)

_tools_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# need_apt PKG...: installs the packages not yet installed (one apt-get update
# per process, and only when something is missing).
need_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ -z "${_tools_apt_updated:-}" ]; then
    apt-get update -qq >/dev/null || return 1
    _tools_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_cbindgen() {
  [ "$(cbindgen --version 2>/dev/null)" = "cbindgen $CBINDGEN_VERSION" ] \
    || cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
}

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate.
wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$_tools_root/Cargo.lock"
}

need_wasm_bindgen() {
  local v
  v=$(wasm_bindgen_version)
  [ -n "$v" ] || { echo "error: wasm-bindgen not found in Cargo.lock" >&2; return 1; }
  [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $v" ] \
    || cargo install wasm-bindgen-cli --version "$v" --locked --quiet
}

need_cargo_fuzz() {
  cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION" \
    || cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --quiet
}

# The declared minimum Rust version (`rust-version` of the workspace), and its
# toolchain for `.ci/test msrv`.
msrv_version() {
  awk -F'"' '$1 ~ /^rust-version *= *$/ { print $2; exit }' "$_tools_root/Cargo.toml"
}

need_msrv_toolchain() {
  local v
  v=$(msrv_version)
  [ -n "$v" ] || { echo "error: rust-version not found in Cargo.toml" >&2; return 1; }
  rustup toolchain list | grep -q "^$v-" \
    || rustup toolchain install "$v" --profile minimal
}

need_wasm_target() {
  rustup target list --installed | grep -qx "$WASM_TARGET" || rustup target add "$WASM_TARGET"
}

# npm ci for the console, again only when package-lock.json changed since.
need_console_npm() {
  local dir="$_tools_root/console" sum
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  [ "$(cat "$dir/node_modules/.ci-lock-sha256" 2>/dev/null)" = "$sum" ] && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) \
    && echo "$sum" >"$dir/node_modules/.ci-lock-sha256"
}

# Everything, in two lanes that run side by side: the network and dpkg lane
# (apt, npm, rustup) and the compiling lane (cargo install).
install_all() {
  local status=0
  (need_apt "${APT_PACKAGES[@]}" && need_wasm_target && need_msrv_toolchain && need_console_npm) &
  local io=$!
  need_cbindgen && need_wasm_bindgen && need_cargo_fuzz || status=1
  wait "$io" || status=1
  return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  start=$(date +%s)
  if install_all; then
    echo "tools: ready in $(($(date +%s) - start)) s"
  else
    echo "tools: an install failed" >&2
    exit 1
  fi
fi
