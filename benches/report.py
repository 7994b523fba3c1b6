#!/usr/bin/env python3
"""Writes benches/RESULTS.md and benches/peers.svg from a peer-bench run.

Reads criterion's <criterion>/<workload>/<engine>-<mode>/<rules>/new/estimates.json
(the median), the latency histogram and build figures that the bench writes
to <data>/latency.json, <data>/wasm.txt (console/test/bench.mjs) and
<data>/sources.txt (gen_data.py). Called by `.ci/bench.sh` after a full run.
"""

import argparse
import json
import os
import platform
import re
import subprocess

WORKLOADS = ["domain", "cidr", "path", "mcp", "secret"]
# Workloads with a hand-written floor.
FLOORED = ["domain", "cidr", "mcp", "secret"]
ENGINES = ["ours", "c_abi", "json", "floor", "naive", "globset", "cedar", "rego"]
LABEL = {
    "ours": "this engine (Rust `decide`)",
    "c_abi": "this engine (C ABI)",
    "json": "this engine (`decide_json`)",
    "floor": "hand-written floor",
    "naive": "naive loop",
    "globset": "one `GlobSet`",
    "cedar": "Cedar",
    "rego": "Rego (regorus)",
}
COLOR = {
    "ours": "#d62728", "c_abi": "#ff9896", "json": "#e377c2", "floor": "#2ca02c",
    "naive": "#7f7f7f", "globset": "#bcbd22", "cedar": "#1f77b4", "rego": "#9467bd",
}


def fmt(ns):
    if ns is None:
        return "-"
    if ns < 1e3:
        return f"{ns:.0f} ns" if ns >= 10 else f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.3g} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3g} s"


def load_criterion(root):
    med = {}
    for w in WORKLOADS:
        d = os.path.join(root, w)
        if not os.path.isdir(d):
            continue
        for em in os.listdir(d):
            if "-" not in em:
                continue
            engine, mode = em.rsplit("-", 1)
            for n in os.listdir(os.path.join(d, em)):
                p = os.path.join(d, em, n, "new", "estimates.json")
                if n.isdigit() and os.path.exists(p):
                    with open(p) as f:
                        med[(w, engine, mode, int(n))] = json.load(f)["median"]["point_estimate"]
    return med


def load_profile(path):
    """benches/profile_cold.sh's table: (workload, engine, rules) -> (instr, reads, L1 misses)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            m = re.match(r"(\w+)\s+(\w+)\s+(\d+) \|\s+(\d+)\s+(\d+)\s+([\d.]+)", line)
            if m:
                out[(m.group(1), m.group(2), int(m.group(3)))] = (int(m.group(4)), int(m.group(5)), float(m.group(6)))
    return out


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def svg_plot(med, sizes, path):
    """One log-log panel per workload (cold median per decision vs rule count)."""
    pw, ph, ml, mt, mb = 420, 300, 70, 40, 50
    rows = (len(WORKLOADS) + 1) // 2
    width, height = 2 * pw + 40, rows * ph + 90
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">'
           'Decision time (median, cold requests) vs rule count, log-log</text>']
    import math
    xs = [math.log10(s) for s in sizes]
    x0, x1 = min(xs), max(xs)
    for k, w in enumerate(WORKLOADS):
        ox, oy = 20 + (k % 2) * pw, 30 + (k // 2) * ph
        pts = {e: [(n, med.get((w, e, "cold", n))) for n in sizes] for e in ENGINES}
        vals = [v for e in pts for _, v in pts[e] if v]
        if not vals:
            continue
        y0 = math.floor(math.log10(min(vals)))
        y1 = math.ceil(math.log10(max(vals)))
        if y1 == y0:
            y1 += 1
        iw, ih = pw - ml - 20, ph - mt - mb

        def X(n):
            return ox + ml + (math.log10(n) - x0) / (x1 - x0) * iw

        def Y(v):
            return oy + mt + ih - (math.log10(v) - y0) / (y1 - y0) * ih

        out.append(f'<text x="{ox + ml + iw / 2}" y="{oy + mt - 10}" text-anchor="middle" '
                   f'font-size="13">{w}</text>')
        out.append(f'<rect x="{ox + ml}" y="{oy + mt}" width="{iw}" height="{ih}" fill="none" stroke="#333"/>')
        for e10 in range(y0, y1 + 1):
            y = Y(10 ** e10)
            out.append(f'<line x1="{ox + ml}" x2="{ox + ml + iw}" y1="{y}" y2="{y}" stroke="#ddd"/>')
            out.append(f'<text x="{ox + ml - 4}" y="{y + 4}" text-anchor="end">{fmt(10 ** e10)}</text>')
        for n in sizes:
            x = X(n)
            out.append(f'<line x1="{x}" x2="{x}" y1="{oy + mt}" y2="{oy + mt + ih}" stroke="#eee"/>')
            out.append(f'<text x="{x}" y="{oy + mt + ih + 14}" text-anchor="middle">{n:,}</text>')
        out.append(f'<text x="{ox + ml + iw / 2}" y="{oy + mt + ih + 30}" text-anchor="middle">rules</text>')
        for e in ENGINES:
            p = [(X(n), Y(v)) for n, v in pts[e] if v]
            if not p:
                continue
            c = COLOR[e]
            sw = 3 if e == "ours" else 1.5
            out.append(f'<polyline fill="none" stroke="{c}" stroke-width="{sw}" points="'
                       + " ".join(f"{x:.1f},{y:.1f}" for x, y in p) + '"/>')
            for x, y in p:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{c}"/>')
    ly = height - 22
    for i, e in enumerate(ENGINES):
        lx = 20 + (i % 4) * 215
        yy = ly + (i // 4) * 14 - 8
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{yy - 4}" y2="{yy - 4}" stroke="{COLOR[e]}" stroke-width="3"/>')
        name = LABEL[e].replace("`", "")
        out.append(f'<text x="{lx + 22}" y="{yy}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")



def load_root_criterion(root):
    """{(group_id, function_id, value_str): median ns} of the root workspace's
    criterion benchmarks (test-kit: `shapes`, `decide`)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            b = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            ns = json.load(f)["median"]["point_estimate"]
        out[(b["group_id"], b.get("function_id") or "", b.get("value_str") or "")] = ns
    return out


def shapes_section(root):
    """The section on the bounded pattern shapes (issue 13), from
    `cargo bench -p test-kit --bench shapes` and `--bench decide -- cond/`."""
    med = load_root_criterion(root)
    L = ["## Bounded shapes: general globs and conditions (this engine)", ""]
    L.append("From `cargo bench -p test-kit --bench shapes` and `cargo bench -p test-kit --bench decide -- cond/` "
             "(criterion medians in the root workspace's `target/criterion`). Each case is the issue-13 policy at "
             "each size, decided with its requests in turn; the baseline is the same requests against an ordinary "
             "10-rule policy of the same surface, in the same run. Target: every size within 3x of the baseline. "
             "A dash: the compiler refuses that policy by design (E0008 or E0009, `spec/limits.md`).")
    L.append("")
    L.append("| Case | 10 | 1,000 | 100,000 | Baseline | Worst / baseline | Target 3x |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    cases = sorted({g.split("/", 1)[1] for (g, _, _) in med if g.startswith("shape/") and not g.startswith("shape/baseline/")}
                   | {v for (g, _, v) in med if g.startswith("shape/baseline/")})
    for case in cases:
        row = {v: ns for (g, _, v), ns in med.items() if g == f"shape/{case}"}
        base = [ns for (g, _, v), ns in med.items() if g.startswith("shape/baseline/") and v == case]
        sizes = sorted(row, key=lambda v: int(v) if v.isdigit() else 0)
        cells = []
        for n in ("10", "1000", "100000"):
            cells.append(fmt(row[n]) if n in row else "-")
        if not any(n in row for n in ("10", "1000", "100000")):
            cells = [", ".join(f"{v}: {fmt(row[v])}" for v in sizes) or "-", "", ""]
        refused = [n for n, c in zip(("10", "1,000", "100,000"), cells) if c == "-"]
        note = f"; refused at {', '.join(refused)}" if refused else ""
        if base and row:
            r = max(row.values()) / base[0]
            status = "met" if r <= 3 else "**missed**"
            L.append(f"| {case} | " + " | ".join(cells) + f" | {fmt(base[0])} | {r:.1f}x | {status}{note} |")
        else:
            b = fmt(base[0]) if base else "-"
            L.append(f"| {case} | " + " | ".join(cells) + f" | {b} | - | refused at every size |")
    L.append("")
    conds = sorted({(g, f) for (g, f, _) in med if g.startswith("cond/")})
    if conds:
        L.append("Conditions on one candidate list (`cond/*`: n x `allow example.com port N`; one credential rule with n destinations):")
        L.append("")
        L.append("| Case | 10 | 1,000 | 100,000 | 100,000 / 10 |")
        L.append("| --- | ---: | ---: | ---: | ---: |")
        for g, f in conds:
            row = {v: ns for (g2, f2, v), ns in med.items() if (g2, f2) == (g, f)}
            r = row["100000"] / row["10"] if "100000" in row and "10" in row else float("nan")
            L.append(f"| {g}/{f} | " + " | ".join(fmt(row[n]) if n in row else "-" for n in ("10", "1000", "100000"))
                     + f" | {r:.1f}x |")
        L.append("")
    return L

def analysis_section(root):
    """The section on `polc diff` (issue 15), from `cargo bench -p test-kit
    --bench analysis` (criterion medians in the root workspace's
    `target/criterion`, group `diff`)."""
    med = load_root_criterion(root)
    rows = sorted((f, v, ns) for (g, f, v), ns in med.items() if g == "diff")
    if not rows:
        return []
    lint = {(f, v): ns for (g, f, v), ns in med.items() if g == "lint"}
    L = ["## Analysis: `polc diff` and the rule lints (this engine)", ""]
    L.append("From `cargo bench -p test-kit --bench analysis`: `policy_lang::analysis::diff` between a benchmark "
             "policy and the same policy with every 100th rule given another effect (both built before timing), "
             "and the shadowed and redundant rule lints (`analysis::cover::findings`) on the first policy. "
             "Target (issue 15): `polc diff` under 2 s, `polc check` (build and lints) under 2 s at 10,000 rules.")
    L.append("")
    L.append("| Policy | Rules | `diff` | lints | Target 2 s |")
    L.append("| --- | ---: | ---: | ---: | --- |")
    for f, v, ns in rows:
        ln = lint.get((f, v))
        L.append(f"| {f} | {int(v):,} | {fmt(ns)} | {fmt(ln) if ln else '-'} | {'met' if ns < 2e9 else '**missed**'} |")
    L.append("")
    return L


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--criterion", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--start", default="")
    ap.add_argument("--end", default="")
    ap.add_argument("--load", default="")
    ap.add_argument("--command", default="bash .ci/bench.sh")
    ap.add_argument("--out", default=os.path.join(here, "RESULTS.md"))
    ap.add_argument("--svg", default=os.path.join(here, "peers.svg"))
    ap.add_argument("--shapes", default="", help="root workspace criterion dir (shapes, cond)")
    a = ap.parse_args()

    med = load_criterion(a.criterion)
    with open(os.path.join(a.data, "latency.json")) as f:
        lat = json.load(f)
    hist = {(r["workload"], r["engine"], r["mode"], r["rules"]): r for r in lat["latency"]}
    build = {(b["workload"], b["rules"]): b for b in lat["build"]}
    sizes = sorted({k[3] for k in med} | {k[1] for k in build})
    wasm = ""
    p = os.path.join(a.data, "wasm.txt")
    if os.path.exists(p):
        wasm = open(p).read().strip()
    sources = ""
    p = os.path.join(a.data, "sources.txt")
    if os.path.exists(p):
        sources = open(p).read().strip()
    svg_plot(med, sizes, a.svg)

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    L = []
    L.append("# Peer-engine benchmark results")
    L.append("")
    L.append("Generated by `benches/report.py` from a real run of `benches/peers` "
             "(criterion medians in `target/peers/criterion`, latency histogram and build figures in "
             "`target/bench-data/latency.json`). Do not edit by hand: rerun the command.")
    L.append("")
    L.append(f"- Command: `{a.command}` (full mode).")
    L.append(f"- Run: {a.start} to {a.end}; load average at start and end: {a.load}.")
    L.append(f"- Machine: `nproc` = {os.cpu_count()}; CPU `{cpu}`; {platform.system()} {platform.release()}; "
             f"{sh('rustc --version')}; release profile. The machine is shared: compare ratios within this run, not absolute numbers across runs.")
    L.append("- Data (`benches/gen_data.py`, from the installed Debian packages, not committed):")
    for s in sources.splitlines():
        L.append(f"  - {s}")
    L.append("- Every rule is an `allow`; the default is `deny`. Domains are `**.host` (the host and its subdomains, "
             "as EasyList's `||host^`), CIDRs as listed, paths `allow read`, MCP tools exact names of one server, secrets exact names "
             "(`credentials { allow NAME }`, \"may the session see NAME\" requests). "
             "Requests: 4,096 or more distinct requests per size, about half hits, in random order (`cold`, one "
             "request after the other) or request 0, a hit, repeated (`hot`).")
    L.append(f"- Cedar and Rego run up to {max([n for (w, e, m, n) in med if e == 'cedar'] or [0]):,} rules "
             "(linear engines: at 100k rules each decision takes tens to hundreds of ms, which would push the run "
             "past 30 minutes); the naive path matchers (one regex per glob) and the `GlobSet` up to 10,000. "
             "Slow cases use criterion's flat sampling with 10 samples.")
    L.append(f"- Median: criterion's median per decision. p99: a separate histogram, single decisions timed with "
             f"`Instant` (at least 101 and up to 20,000 per case, within 300 ms), sorted; it includes the cost of "
             f"reading the clock (median {lat['instant_overhead_ns']:.0f} ns here), so p99 values below about "
             f"100 ns are dominated by the timer. The histogram is a separate run from criterion's, on a shared machine, "
             f"so a p99 can come out below criterion's median for the same case.")
    L.append("")
    L.append("![decision time vs rule count](peers.svg)")
    L.append("")

    # Equivalence
    L.append("## Equivalence")
    L.append("")
    L.append("Before timing, each engine decides a sample of each stream (256 requests; 32 for Cedar, Rego and the "
             "naive matchers at 1,000 rules and more) and must agree with this engine on every one, or the run "
             "fails. Where the languages differ, the rules and requests avoid the difference:")
    L.append("")
    L.append("- Cedar's `like` `*` crosses `/` and `.`: domains are written `v == \"d\" || v like \"*.d\"` (exact); "
             "`/a/**` becomes `like \"/a/*\"`, `/srv/**/*.e` `like \"/srv/*.e\"` (exact: the last segment ends in "
             "`.e` iff the path does), `/a/**/k/*.key` `like \"/a/*/k/*.key\"` (Cedar also matches `/a/x/k/b/c.key` "
             "and not `/a/k/x.key`): the requests never use zero segments for `**` nor a `/` after `k/`.")
    L.append("- Rego: domains use `endswith(host, \".d\")` or equality (`glob.match` with `.` as delimiter has no "
             "\"zero or more labels\" form); paths use `glob.match(g, [\"/\"], path)`, whose `**` needs at least one "
             "segment, again avoided by the requests; MCP names are an object lookup `data.tools[tool]`, which is a "
             "hash lookup as an OPA user would write it, not a loop; secret names `data.secrets[upper(name)]`.")
    L.append("- Secret names compare case-insensitively in this engine; Cedar has no case folding, so its rules "
             "are exact names and the requests are spelled as the rules are (upper case). The floor upper-cases "
             "the request into a stack buffer before its `HashSet` probe.")
    L.append("- Naive: `h == d || h.ends_with(\".d\")` per domain rule, `Ipv4Net::contains` per CIDR, one globset "
             "`GlobMatcher` per path glob (`literal_separator`), string equality per tool name, `eq_ignore_ascii_case` per secret name.")
    L.append("")

    # Decision tables
    for w in WORKLOADS:
        L.append(f"## {w}: decision time, median (p99)")
        L.append("")
        L.append("| Engine | Mode | " + " | ".join(f"{n:,}" for n in sizes) + " |")
        L.append("| --- | --- |" + " ---: |" * len(sizes))
        for e in ENGINES:
            for m in ["hot", "cold"]:
                cells = []
                for n in sizes:
                    v = med.get((w, e, m, n))
                    h = hist.get((w, e, m, n))
                    cells.append("-" if v is None else f"{fmt(v)} ({fmt(h['p99_ns']) if h else '-'})")
                if any(c != "-" for c in cells):
                    L.append(f"| {LABEL[e]} | {m} | " + " | ".join(cells) + " |")
        L.append("")

    # Build figures
    L.append("## Compile time, artifact size, load time (this engine)")
    L.append("")
    L.append("`check_source` + `compile` (median of 3 runs, 1 run at 10,000 and more), artifact bytes, and "
             "`Policy::from_bytes` (decode + full validation + indexes; median of 3).")
    L.append("")
    L.append("| Workload | Rules | Compile | Artifact | Load | Warnings |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for w in WORKLOADS:
        for n in sizes:
            b = build.get((w, n))
            if b:
                L.append(f"| {w} | {n:,} | {fmt(b['compile_ns'])} | {b['bytes']:,} B | {fmt(b['load_ns'])} | {b['warnings']} |")
    L.append("")

    # Boundaries
    if a.shapes and os.path.isdir(a.shapes):
        L.extend(shapes_section(a.shapes))
        L.extend(analysis_section(a.shapes))
    L.append("## Language boundaries")
    L.append("")
    L.append("C ABI: `policy_ffi::apol_decide_network` / `_filesystem` / `_mcp` / `_credential` called from Rust exactly as C calls "
             "them, minus `Policy::decide` on the same request (hot, criterion medians). JSON: `decide_json` minus "
             "`decide`.")
    L.append("")
    L.append("| Workload | Rules | `decide` | C ABI | C ABI overhead | `decide_json` | JSON overhead |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    abi = []
    for w in WORKLOADS:
        for n in sizes:
            o, c, j = (med.get((w, e, "hot", n)) for e in ("ours", "c_abi", "json"))
            if o and c and j:
                abi.append(c - o)
                L.append(f"| {w} | {n:,} | {fmt(o)} | {fmt(c)} | {fmt(c - o)} | {fmt(j)} | {fmt(j - o)} |")
    L.append("")
    L.append("WASM in Node (`console/test/bench.mjs`, built by `.ci/wasm.sh`; the eval-only build against the "
             "same Rust functions run natively, same artifact and request: the typed decision alone, and the JSON "
             "entry point called from JS):")
    L.append("")
    L.append("```")
    L.append(wasm or "not run")
    L.append("```")
    L.append("")

    # Targets
    L.append("## Targets (ratios within this run)")
    L.append("")
    L.append("| Target | Status | Numbers |")
    L.append("| --- | --- | --- |")

    def status(ok):
        return "**met**" if ok else "**missed**"

    for w in FLOORED:
        rs = []
        for m in ["hot", "cold"]:
            for n in sizes:
                o, f = med.get((w, "ours", m, n)), med.get((w, "floor", m, n))
                if o and f:
                    rs.append((o / f, m, n))
        if rs:
            worst = max(rs)
            nums = "; ".join(f"{m} {n:,}: {r:.2f}x" for r, m, n in rs)
            L.append(f"| {w}: within 1.5x of the floor at every size | {status(worst[0] <= 1.5)} "
                     f"(worst {worst[0]:.2f}x, {worst[1]} {worst[2]:,}) | {nums} |")
    big, small = max(sizes), min(sizes)
    for w in WORKLOADS:
        rs = []
        for m in ["hot", "cold"]:
            a_, b_ = med.get((w, "ours", m, big)), med.get((w, "ours", m, small))
            if a_ and b_:
                rs.append((a_ / b_, m, a_, b_))
        if rs:
            ok = all(r <= 2 for r, *_ in rs)
            nums = "; ".join(f"{m}: {fmt(x)} / {fmt(y)} = {r:.2f}x" for r, m, x, y in rs)
            L.append(f"| {w}: {big:,} rules within 2x of {small:,} | {status(ok)} | {nums} |")
    o, nv = med.get(("path", "ours", "cold", 10000)), med.get(("path", "naive", "cold", 10000))
    gs = med.get(("path", "globset", "cold", 10000))
    if o and nv:
        extra = f"; one `GlobSet`: {fmt(gs)} = {gs / o:.1f}x" if gs else ""
        L.append(f"| path: at least 100x faster than naive at 10,000 rules | {status(nv / o >= 100)} | "
                 f"naive loop {fmt(nv)} / this engine {fmt(o)} = {nv / o:.0f}x{extra} |")
    if abi:
        abi_med = sorted(abi)[len(abi) // 2]
        L.append(f"| C ABI overhead under 20 ns | {status(abi_med < 20)} | median {fmt(abi_med)} over the "
                 f"{len(abi)} workload and size cells (range {fmt(min(abi))} to {fmt(max(abi))}: each cell is a "
                 f"difference of two noisy medians) |")
    m = re.search(r"decision itself:.*? ratio ([\d.]+)x", wasm)
    mj = re.search(r"json ratio ([\d.]+)x", wasm)
    if m:
        r = float(m.group(1))
        extra = f"; with the JSON layer and one boundary crossing per request (`decideJson`): {mj.group(1)}x" if mj else ""
        L.append(f"| WASM in Node within 2x of native for the decision itself | {status(r <= 2)} | {r:.2f}x "
                 f"(typed `decide`, N decisions in one `decideRepeated` call){extra} |")
    else:
        L.append("| WASM in Node within 2x of native | not measured in this run | run `bash .ci/wasm.sh` first |")
    L.append("")
    prof = load_profile(os.path.join(a.data, "profile", "summary.txt"))
    if prof:
        L.append("## Profile: instructions and cache misses per cold decision")
        L.append("")
        L.append("`bash benches/profile_cold.sh` (callgrind with its cache simulator, counting only the decision "
                 "loop of the bench's profile mode; exact counts, unlike timings on this shared VM). Per decision, "
                 "20,000 cold decisions each. The simulated last level is this VM's 320 MB L3, so only the "
                 "L1-data column shows the effect of table size.")
        L.append("")
        L.append("| Workload | Engine | Rules | Instructions | Data reads | L1-data misses |")
        L.append("| --- | --- | ---: | ---: | ---: | ---: |")
        for (w, e, n), (ir, dr, d1) in sorted(prof.items(), key=lambda kv: (WORKLOADS.index(kv[0][0]), kv[0][1] != "ours", kv[0][2])):
            L.append(f"| {w} | {LABEL.get(e, e).replace(' (Rust `decide`)', '')} | {n:,} | {ir:,} | {dr:,} | {d1:.2f} |")
        L.append("")
    L.append("## Closing note")
    L.append("")

    def ratio(w, e1, e2, m, n):
        x, y = med.get((w, e1, m, n)), med.get((w, e2, m, n))
        return x / y if x and y else float("nan")

    fl = [(w, ratio(w, "ours", "floor", "hot", small), med.get((w, "ours", "hot", small)),
           med.get((w, "floor", "hot", small))) for w in FLOORED]
    L.append("- **Floor.** The gap is a fixed cost per request, already there at 10 rules (hot): "
             + "; ".join(f"{w} {fmt(o)} against {fmt(f)} ({r:.1f}x)" for w, r, o, f in fl if o and f)
             + ". The floors take a clean string and answer one question; `decide` validates and normalizes "
             "the request (`spec/requests.md`: case, trailing dot, IP literals in every spelling, lengths), "
             "walks its index, applies precedence and fills a `Decision` with the deciding rule. Within 1.5x "
             "of a 20-30 ns hash probe would leave about 10-15 ns for all of that."
             + (" In the profile above, at 10 rules: " + "; ".join(
                 f"{w} {prof[(w, 'ours', small)][0]:,} instructions against the floor's {prof[(w, 'floor', small)][0]:,}"
                 for w in FLOORED if (w, "ours", small) in prof and (w, "floor", small) in prof)
                + " (the floors use std's SipHash, which the engine's FxHash-based tables avoid)." if prof else ""))

    def grow(e, ws):
        out = []
        for w in ws:
            x, y = med.get((w, e, "cold", small)), med.get((w, e, "cold", big))
            if x and y:
                out.append(f"{w} {fmt(x)} to {fmt(y)} ({y / x:.1f}x)")
        return "; ".join(out)

    mid = [med.get((w, "ours", "cold", 10000)) / med.get((w, "ours", "cold", small))
           for w in WORKLOADS if med.get((w, "ours", "cold", 10000)) and med.get((w, "ours", "cold", small))]
    L.append(f"- **Flat to {big:,} rules.** Hot, every surface stays within 2x of {small:,} rules. Cold, up to "
             f"10,000 rules (artifacts under 1 MB) the decision stays within {max(mid):.2f}x of {small:,} rules, "
             f"but at {big:,} rules it grows ({grow('ours', WORKLOADS)}). Those artifacts are 7-10 MB, beyond "
             f"the caches of this VM. For comparison, the floors, with smaller tables, go "
             f"{grow('floor', FLOORED)}. The likely cause is cache and TLB misses on a cold request in the engine's "
             f"tables (the hot figures do not grow), not a scan over rules."
             + (" The profile confirms it: from 10 to 100,000 rules the instructions per cold decision grow by "
                + ", ".join(f"{w} {100 * (prof[(w, 'ours', big)][0] / prof[(w, 'ours', small)][0] - 1):.0f}%"
                            for w in WORKLOADS if (w, "ours", big) in prof and (w, "ours", small) in prof)
                + ", while simulated L1-data misses go from about 1 to "
                + ", ".join(f"{w} {prof[(w, 'ours', big)][2]:.1f}" for w in WORKLOADS if (w, "ours", big) in prof)
                + " per decision (floors: "
                + ", ".join(f"{w} {prof[(w, 'floor', big)][2]:.1f}" for w in FLOORED if (w, "floor", big) in prof)
                + "). Each hash probe touches a bucket, an entry, the key bytes, a candidate list and a rule byte "
                  "on separate lines, and a path probes every ancestor directory; fewer, denser lines per probe "
                  "is the next step." if prof else ""))
    pr = []
    for e in ["cedar", "rego"]:
        for w in WORKLOADS:
            x, y = med.get((w, e, "cold", 10000)), med.get((w, "ours", "cold", 10000))
            if x and y and not (e == "rego" and w in ("mcp", "secret")):
                pr.append(x / y)
    if pr:
        L.append(f"- **Naive and peers.** The naive loop, Cedar and Rego grow linearly with the rule count "
                 f"(Cedar evaluates every policy; Rego iterates `some x in data...`), except Rego on MCP and "
                 f"secret names, written as hash lookups (a few µs, flat). At 10,000 rules (cold) this engine is "
                 f"{min(pr):,.0f}x to {max(pr):,.0f}x faster than Cedar and Rego.")
    L.append("- **C ABI.** The overhead is argument checks, UTF-8 validation, the panic guard and filling "
             "`apol_decision` (with the rule id pointer). callgrind (`PROFILE_ENGINES=\"ours c_abi\" "
             "PROFILE_SIZES=10 bash benches/profile_cold.sh cidr`) counted 854 instructions per decision through "
             "`apol_decide_network` against 540 for `decide`; checking ASCII arguments with `is_ascii` before "
             "`from_utf8` brought it to 783. The rest is spread thin: the exported function and its guard "
             "(about 76), filling the decision (51), the context and output checks (49), argument slices (41). "
             "`policy-ffi/benches/ffi.rs` measures the same thing on one request with more samples.")
    L.append("- **WASM.** `bench.mjs` times the decision itself (typed `decide` in a loop inside one "
             "`decideRepeated` call, against the same function natively) and the JSON entry point called once "
             "per request from JS. The second also parses JSON in WASM and copies the request into WASM memory "
             "and the reply back into a JS string (the field notes measured 76-140 ns per 20-character string "
             "in Node).")
    L.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(L) + "\n")
    print(f"report: wrote {a.out} and {a.svg}")


if __name__ == "__main__":
    main()
