#!/usr/bin/env bash
# Fuzzing: builds the cargo-fuzz targets of fuzz/ and runs each for a bounded
# time. Installs cargo-fuzz (pinned) when it is missing.
#
#   bash .ci/fuzz.sh                               # every target, 30 s each
#   FUZZ_SECONDS=10 bash .ci/fuzz.sh               # CI: a short run
#   FUZZ_SECONDS=180 bash .ci/fuzz.sh differential # one target, longer
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 30)
#   FUZZ_SANITIZER  cargo fuzz -s: none (default) or address
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a
#                   failure (default 10)
#   FUZZ_TOOLCHAIN  auto (default), nightly or stable
#
# Toolchain: cargo-fuzz passes nightly-only compiler flags. With `auto`, a
# nightly toolchain is used when `rustup toolchain list` shows one; otherwise
# the default (stable) toolchain with RUSTC_BOOTSTRAP=1, which makes stable
# rustc accept them, so a machine with only stable (CI) can fuzz.
#
# Sanitizer: none by default. The workspace denies `unsafe` in every crate,
# so AddressSanitizer would only watch dependencies, and it cuts executions
# per second 4-5x here; the targets check the engine's own invariants.
# FUZZ_SANITIZER=address works on both toolchain paths.
#
# The committed seeds (fuzz/corpus/<target>/) and saved crashes
# (fuzz/regressions/<target>/) are read; new inputs go to
# fuzz/target/corpus/<target>/ (ignored by git), so the seeds do not grow.
# A crash, panic or timeout is saved under fuzz/artifacts/<target>/ and fails
# the run: minimize it (`cargo fuzz tmin`), move it to
# fuzz/regressions/<target>/, where `cargo test --test fuzz_corpus` replays
# it on stable, and fix the bug.
#
# Prints one line per target (time and executions, from libFuzzer's
# -print_final_stats) and ends with `fuzz: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
SANITIZER="${FUZZ_SANITIZER:-none}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
ALL_TARGETS=(parse_check compile artifact_load json_request differential)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

LOGS=fuzz/target/logs
mkdir -p "$LOGS"

# shellcheck source=tools.sh
source .ci/tools.sh
if ! need_cargo_fuzz >"$LOGS/install.log" 2>&1; then
  cat "$LOGS/install.log"
  echo "fuzz: 0 passed, ${#TARGETS[@]} failed"
  exit 1
fi

TOOLCHAIN_CHOICE="${FUZZ_TOOLCHAIN:-auto}"
if [ "$TOOLCHAIN_CHOICE" = auto ]; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    TOOLCHAIN_CHOICE=nightly
  else
    TOOLCHAIN_CHOICE=stable
  fi
fi
if [ "$TOOLCHAIN_CHOICE" = nightly ]; then
  CARGO=(cargo +nightly)
  TOOLCHAIN=nightly
else
  CARGO=(cargo)
  export RUSTC_BOOTSTRAP=1
  TOOLCHAIN="$(rustc --version | cut -d' ' -f2) with RUSTC_BOOTSTRAP=1"
fi
FUZZ=("${CARGO[@]}" fuzz)

echo "fuzz: building the targets (toolchain $TOOLCHAIN, sanitizer $SANITIZER)"
build_start=$(date +%s)
if ! "${FUZZ[@]}" build -s "$SANITIZER" >"$LOGS/build.log" 2>&1; then
  tail -n 60 "$LOGS/build.log"
  echo "fuzz: build failed"
  echo "fuzz: 0 passed, ${#TARGETS[@]} failed"
  exit 1
fi
echo "fuzz: built in $(($(date +%s) - build_start)) s"

passed=0
failed=0
for t in "${TARGETS[@]}"; do
  out="fuzz/target/corpus/$t"
  mkdir -p "$out"
  dirs=("$out" "fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  log="$LOGS/$t.log"
  # Normally a no-op; rebuilds only what changed since the build above, so
  # the time below is fuzzing time.
  "${FUZZ[@]}" build -s "$SANITIZER" "$t" >"$log" 2>&1
  start=$(date +%s.%N)
  "${FUZZ[@]}" run -s "$SANITIZER" "$t" "${dirs[@]}" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" \
    -print_final_stats=1 >>"$log" 2>&1
  rc=$?
  elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  new=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  summary=$(printf '%s s, %s executions (%s/s), %s new inputs' "$elapsed" "${execs:-?}" "${rate:-?}" "${new:-?}")
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $t passed: $summary"
  else
    failed=$((failed + 1))
    echo "fuzz: $t FAILED (exit $rc): $summary; log $log"
    # The panic message, libFuzzer's verdict, and cargo-fuzz's box with the
    # saved input and the commands to reproduce and minimize it.
    grep -A 2 "panicked at" "$log" | head -n 12
    grep -E "ERROR: libFuzzer|^SUMMARY|Test unit written to|^error(\[|:)" "$log" | head -n 10
    awk '/^────/ { n++; next } n == 1' "$log" | cut -c 1-400
    echo "fuzz: minimize it, copy it to fuzz/regressions/$t/ and run cargo test --test fuzz_corpus"
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
