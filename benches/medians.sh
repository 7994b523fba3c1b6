#!/usr/bin/env bash
# Prints the median of every criterion benchmark of the last run, one
# `id<TAB>median` line each, from target/criterion/*/new/estimates.json.
#
#   cargo bench --bench decide && bash benches/medians.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CARGO_TARGET_DIR:-target}/criterion
find "$dir" -path '*/new/estimates.json' | sort | while read -r f; do
  id=${f#"$dir"/}
  id=${id%/new/estimates.json}
  # Criterion stores the group `decide/domain` in the directory `decide_domain`
  # (and `shape/baseline/network` in `shape_baseline_network`).
  case $id in
    shape_baseline_*) id=${id/_//}; id=${id/_//} ;;
    decide_* | hazard_* | shape_*) id=${id/_//} ;;
  esac
  python3 - "$id" "$f" <<'PY'
import json, sys
ident, path = sys.argv[1], sys.argv[2]
ns = json.load(open(path))["median"]["point_estimate"]
for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1)):
    if ns >= scale or unit == "ns":
        print(f"{ident}\t{ns / scale:.4g} {unit}")
        break
PY
done
