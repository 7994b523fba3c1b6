#!/usr/bin/env bash
# The C ABI and Go binding in CI: header drift check, the C example, the C
# suite (plain, AddressSanitizer + UBSan, valgrind), 8-thread C concurrency,
# and the Go module's tests (conformance vectors, 64 goroutines, benchmark).
# The vectors are those of tests/conformance, tests/bypass, examples and
# tests/stacks (with the example stack).
# Installs what it needs, idempotently (cbindgen, golang-go, valgrind:
# .ci/tools.sh); works from a clean clone.
#
#   bash .ci/ffi.sh              # everything
#   FFI_BENCH=1 bash .ci/ffi.sh  # also the Go benchmark and the Rust criterion
#                                # bench of the C ABI (BENCH_QUICK)
#
# Last line: `ffi: N passed, M failed` (one per step); exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=target/ffi
CC=${CC:-gcc}
CFLAGS=(-std=c11 -Wall -Wextra -Werror -O1 -g -I policy-ffi/include)
LIBS=(-lm -ldl -lpthread)

passed=0
failed=0
step() { printf '\n==> %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf 'ok: %s\n' "$*"; }
ko() { failed=$((failed + 1)); printf 'FAILED: %s\n' "$*"; }
# run NAME CMD...: one counted step.
run() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else ko "$name"; fi
}
finish() {
  echo
  echo "ffi: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# -- installs ---------------------------------------------------------------
# shellcheck source=tools.sh
source .ci/tools.sh
step "tools"
need_cbindgen || { ko "install cbindgen"; finish; }
need_apt golang-go valgrind || { ko "install golang-go, valgrind"; finish; }
command -v "$CC" >/dev/null || need_apt gcc || { ko "install gcc"; finish; }
cbindgen --version && go version && valgrind --version && "$CC" --version | head -1

# -- build ------------------------------------------------------------------
step "build policy-ffi (release) and polc"
mkdir -p "$OUT/conformance" "$OUT/bypass" "$OUT/examples"
if ! cargo build --release --locked -q -p policy-ffi -p polc \
  || ! cargo build --release --locked -q -p policy-ffi --example ffi_vectors; then
  ko "cargo build"
  finish
fi
ok "cargo build"
LIB_A=target/release/libpolicy_ffi.a

step "header drift check (cbindgen $CBINDGEN_VERSION)"
tmp_header=$(mktemp)
if cbindgen --quiet --config policy-ffi/cbindgen.toml --crate policy-ffi \
  --output "$tmp_header" policy-ffi 2>/dev/null \
  && diff -u policy-ffi/include/agent_policy.h "$tmp_header"; then
  ok "header matches cbindgen output"
else
  ko "policy-ffi/include/agent_policy.h drifted: regenerate it (command at its top)"
fi
rm -f "$tmp_header"

# -- artifacts and vectors --------------------------------------------------
step "compile the conformance, bypass and example policies; flatten their vectors"
manifest=$OUT/manifest.tsv
: >"$manifest"
compile_ok=1
for tests in tests/conformance/*.tests.jsonl tests/bypass/*.tests.jsonl examples/*.tests.jsonl; do
  [ -e "$tests" ] || continue
  policy=${tests%.tests.jsonl}.policy
  kind=$(basename "$(dirname "$tests")")
  artifact=$OUT/$kind/$(basename "${tests%.tests.jsonl}").apol
  if target/release/polc compile "$policy" -o "$artifact" >/dev/null; then
    printf '%s\t%s\n' "$tests" "$artifact" >>"$manifest"
  else
    compile_ok=
    echo "cannot compile $policy"
  fi
done
# Stack vectors: each layer's policy compiled, the stack as the artifact
# field (LEVEL:NAME:AUDIT:ARTIFACT joined by `;`; spec/tests.md).
mkdir -p "$OUT/stacks"
for stackfile in tests/stacks/*.stack examples/stack/*.stack; do
  [ -e "$stackfile" ] || continue
  dir=$(dirname "$stackfile") field=
  while read -r level name policy audit; do
    case "$level" in ''|'#'*) continue ;; esac
    # Named by the policy file: two stack files may give one name to
    # different policies.
    artifact=$OUT/stacks/$(basename "$dir")-$(basename "${policy%.policy}").apol
    target/release/polc compile "$dir/$policy" -o "$artifact" >/dev/null || compile_ok=
    field=$field${field:+;}$level:$name:$([ "$audit" = audit ] && echo 1 || echo 0):$artifact
  done <"$stackfile"
  printf '%s\t%s\n' "${stackfile%.stack}.tests.jsonl" "$field" >>"$manifest"
done
# Requests are hex in vectors.tsv, so NUL bytes, tabs and newlines inside
# them survive; the C suite checks the shape of every other field.
pins=$OUT/pins.tsv
listing=$OUT/listing.tsv listing_artifact=$OUT/listing/mcp.apol
mkdir -p "$OUT/listing"
target/release/polc compile tests/listing/mcp.policy -o "$listing_artifact" >/dev/null || compile_ok=
if [ -n "$compile_ok" ] && target/release/examples/ffi_vectors "$manifest" "$OUT/vectors.tsv" \
    tests/pins/tool-digest.jsonl "$pins" tests/listing/mcp.listing.jsonl "$listing_artifact" "$listing" \
  && grep -q '^tests/bypass/' "$OUT/vectors.tsv"; then
  ok "vectors ($(wc -l <"$manifest") files: $(cut -f1 "$OUT/vectors.tsv" | sed 's|/[^/]*$||' \
    | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }'))"
else
  ko "compile policies / flatten vectors"
fi
example_artifact=$OUT/examples/coding-agent.apol
[ -e "$example_artifact" ] || target/release/polc compile examples/coding-agent.policy -o "$example_artifact" >/dev/null

# -- C example --------------------------------------------------------------
step "C example (examples/c/decide.c)"
if "$CC" "${CFLAGS[@]}" examples/c/decide.c "$LIB_A" "${LIBS[@]}" -o "$OUT/decide"; then
  got=$(printf '%s\n' \
    '{"surface":"network","host":"api.github.com","ip":"140.82.112.3","port":443}' \
    '{"surface":"network","host":"github.com","ip":"169.254.169.254","port":443}' \
    '{not json' | "$OUT/decide" "$example_artifact")
  want='{"decision":"allow","rule":"github","reason":"rule"}
{"decision":"deny","rule":"no-local","reason":"rule"}
{"decision":"deny","rule":null,"reason":"invalid","message":"request is not well-formed JSON"}'
  if [ "$got" = "$want" ]; then ok "C example"; else ko "C example: got
$got"; fi
else
  ko "C example build"
fi

# -- C suite ----------------------------------------------------------------
step "C suite: plain (static library)"
vectors=$OUT/vectors.tsv
if "$CC" "${CFLAGS[@]}" tests/ffi/ffi_test.c "$LIB_A" "${LIBS[@]}" -o "$OUT/ffi_test"; then
  run "C suite (conformance, typed, bad input, 8 threads, tool pins)" "$OUT/ffi_test" "$vectors" "$example_artifact" 8 20 "$pins" "$listing" "$listing_artifact"
else
  ko "C suite build"
fi

step "C suite: AddressSanitizer + UBSan (static library)"
if "$CC" "${CFLAGS[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
  tests/ffi/ffi_test.c "$LIB_A" "${LIBS[@]}" -o "$OUT/ffi_test_asan"; then
  run "C suite under ASan/UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/ffi_test_asan" "$vectors" "$example_artifact" 8 5 "$pins" "$listing" "$listing_artifact"
else
  ko "C suite ASan build"
fi

step "C suite: valgrind memcheck (shared library)"
if "$CC" "${CFLAGS[@]}" tests/ffi/ffi_test.c -L target/release -Wl,-rpath,"$ROOT/target/release" \
  -lpolicy_ffi "${LIBS[@]}" -o "$OUT/ffi_test_shared"; then
  run "C suite under valgrind (0 errors, 0 leaks)" valgrind -q --error-exitcode=1 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    "$OUT/ffi_test_shared" "$vectors" "$example_artifact" 8 1 "$pins" "$listing" "$listing_artifact"
else
  ko "C suite shared build"
fi

# -- Go ---------------------------------------------------------------------
step "Go module (policy-ffi/go): conformance vectors, 64 goroutines"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on CGO_ENABLED=1
export GOCACHE=${GOCACHE:-$ROOT/$OUT/gocache}
export APOL_VECTORS=$ROOT/$OUT/vectors.tsv APOL_PINS=$ROOT/$OUT/pins.tsv APOL_REPO=$ROOT
export APOL_LISTING=$ROOT/$listing APOL_LISTING_ARTIFACT=$ROOT/$listing_artifact
run "go vet" bash -c 'cd policy-ffi/go && go vet ./...'
run "go test" bash -c 'cd policy-ffi/go && go test -count=1 -v ./...'

if [ -n "${FFI_BENCH:-}" ]; then
  step "benchmarks"
  run "go bench" bash -c 'cd policy-ffi/go && go test -run XXX -bench . -benchtime 200000x ./...'
  run "criterion bench (C ABI vs Rust)" env BENCH_QUICK=1 cargo bench -q -p policy-ffi --bench ffi
fi

finish
