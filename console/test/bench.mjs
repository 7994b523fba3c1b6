// One decision in Node (WASM, eval-only build) against native (policy-wasm's
// `native_bench` example), same artifact and request, in one run: the typed
// decision itself (`decideRepeated`, one boundary crossing for N decisions)
// and the JSON entry point (`decideJson`, one crossing each). Prints the
// figures and both ratios.
//
//   node test/bench.mjs NATIVE_BENCH_BINARY [N]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evalOnly, full, repoDir } from "./wasm.mjs";

const [nativeBin, nArg] = process.argv.slice(2);
const N = Number(nArg || 100_000);
const source = readFileSync(join(repoDir, "examples", "coding-agent.policy"), "utf8");
const compiled = full.compile(source);
if (!compiled.ok) throw new Error("examples/coding-agent.policy does not compile");
const artifact = join(mkdtempSync(join(tmpdir(), "wasm-bench-")), "coding-agent.apol");
writeFileSync(artifact, compiled.artifact);
const request = JSON.stringify({ surface: "network", host: "api.github.com", ip: "140.82.112.3", port: 443 });

const ev = evalOnly.load(compiled.artifact).evaluator;
let last = "";
for (let i = 0; i < Math.min(N, 10_000); i++) last = ev.decideJson(request);
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) last = ev.decideJson(request);
const wasmNs = Number(process.hrtime.bigint() - t0) / N;

// The decision itself: N typed decisions inside one `decideRepeated` call
// (one boundary crossing), the same Rust function native_bench runs.
ev.decideRepeated(request, Math.min(N, 10_000));
const t1 = process.hrtime.bigint();
const typed = ev.decideRepeated(request, N);
const wasmTypedNs = Number(process.hrtime.bigint() - t1) / N;

const out = execFileSync(nativeBin, [artifact, request, String(N)], { encoding: "utf8" }).trim();
const nativeNs = Number(/ns_per_decision=([\d.]+)/.exec(out)[1]);
const nativeTypedNs = Number(/ns_per_typed_decision=([\d.]+)/.exec(out)[1]);
const nativeDecision = out.replace(/^.*? decision=/, "");
const nativeTyped = / typed_decision=(\S+)/.exec(out)[1];
if (nativeDecision !== last) throw new Error(`decisions differ: wasm ${last}, native ${nativeDecision}`);
if (typed !== last || nativeTyped !== last) throw new Error(`typed decisions differ: wasm ${typed}, native ${nativeTyped}, json ${last}`);
console.log(`bench: ${N} decisions of ${request} on examples/coding-agent.policy -> ${last}`);
console.log(`bench: decision itself: wasm (node ${process.version}, eval-only, typed decide in one decideRepeated call) ${wasmTypedNs.toFixed(0)} ns/decision; native ${nativeTypedNs.toFixed(0)} ns/decision; ratio ${(wasmTypedNs / nativeTypedNs).toFixed(2)}x`);
console.log(`bench: with the JSON layer and the JS boundary: wasm (eval-only decideJson) ${wasmNs.toFixed(0)} ns/decision; native (Policy::decide_json) ${nativeNs.toFixed(0)} ns/decision; json ratio ${(wasmNs / nativeNs).toFixed(2)}x`);
