#!/usr/bin/env bash
# Where a cold decision's time goes as the rule count grows: runs the peer
# bench binary in its profile mode (PEERS_PROFILE, benches/peers) under
# callgrind with its cache simulator, counting only `profile_loop` (the
# decisions, not the build), and prints per decision: instructions, data
# reads, and simulated L1-data and last-level misses. Instruction counts are
# exact and repeatable, unlike timings on a shared machine. The table also
# goes to target/bench-data/profile/summary.txt, which benches/report.py
# puts on the results page.
#
#   bash benches/profile_cold.sh [WORKLOAD ...]   # default: all five
#   PROFILE_SIZES="10 100000" PROFILE_ENGINES="ours floor" PEERS_PROFILE_N=20000
#
# Needs the full-mode data and binary: run `bash .ci/bench.sh` (or at least
# `python3 benches/gen_data.py` and a `cargo bench --no-run` in benches/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
export CARGO_TARGET_DIR="$ROOT/target/peers"
export PEERS_DATA="$ROOT/target/bench-data"
BIN=$(cd benches/peers && cargo bench --locked --bench peers --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="peers" and m.get("executable"):
        print(m["executable"])')
OUT="$ROOT/target/bench-data/profile"
mkdir -p "$OUT"
N=${PEERS_PROFILE_N:-20000}
export PEERS_PROFILE_N=$N
WORKLOADS=${*:-domain cidr path mcp secret}
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
printf '%-7s %-6s %7s | %8s %8s %8s %8s\n' workload engine rules instr reads D1miss LLmiss | tee -a "$SUMMARY"
for w in $WORKLOADS; do
  for e in ${PROFILE_ENGINES:-ours floor}; do
    [ "$w" = path ] && [ "$e" = floor ] && continue
    for n in ${PROFILE_SIZES:-10 100000}; do
      f="$OUT/callgrind.$w.$e.$n"
      PEERS_PROFILE="$w/$n/$e" valgrind --tool=callgrind --cache-sim=yes \
        --toggle-collect='*profile_loop*' --callgrind-out-file="$f" "$BIN" >/dev/null 2>"$f.log"
      # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
      read -r ir dr _dw _i1 d1r d1w _il dlr dlw < <(grep '^summary:' "$f" | cut -d' ' -f2-)
      awk -v w="$w" -v e="$e" -v n="$n" -v c="$N" -v ir="$ir" -v dr="$dr" \
        -v d1="$((d1r + d1w))" -v dl="$((dlr + dlw))" \
        'BEGIN { printf "%-7s %-6s %7d | %8.0f %8.0f %8.2f %8.2f\n", w, e, n, ir/c, dr/c, d1/c, dl/c }' \
        | tee -a "$SUMMARY"
    done
  done
done
echo "per decision, $N cold decisions each; callgrind files in $OUT (callgrind_annotate FILE)" | tee -a "$SUMMARY"
