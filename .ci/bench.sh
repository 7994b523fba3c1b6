#!/usr/bin/env bash
# Peer-engine benchmarks (issue 6): this engine (Rust API, C ABI, JSON) side
# by side with a hand-written floor, a naive globset / ipnet matcher, Cedar and
# Rego (regorus), on rule sets generated from Debian packages.
#
#   bash .ci/bench.sh            # full run (about 10 min on 2 cores), then
#                                # writes benches/RESULTS.md and benches/peers.svg
#   BENCH_QUICK=1 bash .ci/bench.sh   # or --quick: sizes 10 and 100, short
#                                # timings, unoptimized build; equivalence
#                                # checks in full (CI runs this)
#
# Installs its Debian packages idempotently (benches/gen_data.py). The peer
# crate (benches/peers) is its own workspace, so the root's cargo test /
# clippy never compile Cedar or regorus. Ends with `bench: N passed, M failed`
# (the equivalence checks: each engine, workload and size is one check).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

for a in "$@"; do
  case "$a" in
    --quick) export BENCH_QUICK=1 ;;
    *) echo "usage: bash .ci/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done
QUICK=$([ "${BENCH_QUICK:-}" = 1 ] && echo 1 || true)

step() { printf '\n==> %s\n' "$*"; }

step "bench data (Debian packages installed when missing)"
# shellcheck source=tools.sh
source .ci/tools.sh
command -v python3 >/dev/null || need_apt python3
if [ -n "$QUICK" ]; then SIZES=10,100; else SIZES=10,100,1000,10000,100000; fi
python3 benches/gen_data.py --sizes "$SIZES"

export CARGO_TARGET_DIR="$ROOT/target/peers"
export PEERS_DATA="$ROOT/target/bench-data"
if [ -n "$QUICK" ]; then
  # Keep a quick run's figures away from the full run's, which the results
  # page is generated from.
  export PEERS_OUT="$ROOT/target/bench-data/quick"
  export CRITERION_HOME="$PEERS_OUT/criterion"
else
  export PEERS_OUT="$ROOT/target/bench-data"
  rm -rf "$CARGO_TARGET_DIR/criterion"
fi
mkdir -p "$PEERS_OUT"

step "peer benchmarks (cargo bench in benches/peers)"
LOG="$PEERS_OUT/bench.log"
start=$(date -u +%FT%TZ)
load_start=$(cut -d' ' -f1 /proc/loadavg)
set +e
# Quick mode builds with the `quick` profile (benches/peers/Cargo.toml: no
# optimization, so a cold build of Cedar and regorus takes about 3 minutes
# instead of 7); full mode with the optimized `bench` profile.
PROFILE=$([ -n "$QUICK" ] && echo quick || echo bench)
(cd benches/peers && cargo bench --locked --profile "$PROFILE" --bench peers) 2>&1 | tee "$LOG" \
  | grep -E '^(domain|cidr|path|mcp|secret)/[0-9]+:|EQUIV|error|panicked'
status=${PIPESTATUS[0]}
set -e
end=$(date -u +%FT%TZ)
load_end=$(cut -d' ' -f1 /proc/loadavg)

if [ -z "$QUICK" ]; then
  step "WASM in Node vs native (console/test/bench.mjs; built by .ci/wasm.sh)"
  if [ -f console/dist/pkg-eval/policy_wasm_bg.wasm ] && [ -x target/release/examples/native_bench ] \
    && command -v node >/dev/null; then
    (cd console && node test/bench.mjs ../target/release/examples/native_bench 100000) \
      | tee "$PEERS_OUT/wasm.txt" || true
  else
    echo "skipped: run 'bash .ci/wasm.sh' first" | tee "$PEERS_OUT/wasm.txt"
  fi
  step "bounded shapes and conditions (test-kit: shapes, decide -- cond/; about 5 min)"
  (export CARGO_TARGET_DIR="$ROOT/target"
   cargo bench --locked -p test-kit --bench shapes \
     && cargo bench --locked -p test-kit --bench decide -- 'cond/') 2>&1 \
    | grep -E 'refused|error|panicked' || true
  step "benches/RESULTS.md and benches/peers.svg"
  python3 benches/report.py --criterion "$CARGO_TARGET_DIR/criterion" --data "$PEERS_OUT" \
    --shapes "$ROOT/target/criterion" \
    --start "$start" --end "$end" --load "$load_start $load_end" \
    --command "bash .ci/bench.sh"
fi

line=$(grep -E '^bench: [0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1 || true)
if [ -z "$line" ]; then
  echo "bench: 0 passed, 1 failed"
  exit 1
fi
echo "$line"
[ "$status" -eq 0 ]
