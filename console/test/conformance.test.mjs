// Conformance: every tests/conformance/*.tests.jsonl, tests/bypass/*.tests.jsonl
// (the bypass corpus) and examples/*.tests.jsonl through the WASM builds in
// Node. The cases are parsed, sent and compared with their `expect` objects by
// the one runner every runtime uses (policy_eval::cases, behind `parseTests`
// and `runTests`), in each build: the full build from the artifact bytes and
// from source, the eval-only build from the artifact bytes. Every other entry
// point (a request that is a plain JSON object decided as a JS object too)
// must give the same decision JSON byte for byte. When POLC names a native
// `polc`, every decision is also compared byte for byte with `polc eval` on
// the artifact.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evalOnly, full, repoDir } from "./wasm.mjs";

const polc = process.env.POLC && existsSync(process.env.POLC) ? process.env.POLC : null;
const scratch = mkdtempSync(join(tmpdir(), "wasm-conformance-"));

function policies(dir) {
  return readdirSync(join(repoDir, dir))
    .filter((f) => f.endsWith(".policy"))
    .sort()
    .map((f) => join(dir, f));
}

/** The plain object that `text` is, written exactly as `JSON.stringify`
 * writes it back, or null. */
function asObject(text) {
  try {
    const value = JSON.parse(text);
    const plain = value !== null && typeof value === "object" && !Array.isArray(value);
    return plain && JSON.stringify(value) === text ? value : null;
  } catch {
    return null;
  }
}

const corpus = [...policies("tests/conformance"), ...policies("tests/bypass"), ...policies("examples")];
test("every corpus is present", () => {
  for (const dir of ["tests/conformance/", "tests/bypass/", "examples/"]) {
    assert.ok(corpus.some((rel) => rel.startsWith(dir)), `no policies in ${dir}`);
  }
});

for (const rel of corpus) {
  const path = join(repoDir, rel);
  const testsPath = path.replace(/\.policy$/, ".tests.jsonl");
  describe(rel, () => {
    if (!existsSync(testsPath)) {
      // Like `polc test`: a policy without its tests file is a failure.
      test("has a tests file", () => assert.fail(`missing ${testsPath}`));
      return;
    }
    const source = readFileSync(path, "utf8");
    const compiled = full.compile(source);
    if (!compiled.ok) {
      test("compiles", () => assert.fail(JSON.stringify(compiled.diagnostics.concat(compiled.error ?? []))));
      return;
    }
    const fromBytes = full.load(compiled.artifact);
    const evalBytes = evalOnly.load(compiled.artifact);
    const withSource = full.fromSource(source);
    assert.ok(fromBytes.ok && evalBytes.ok && withSource.ok);
    const text = readFileSync(testsPath, "utf8");
    const cases = full.parseTests(text);
    // The runner in each build: every case decided and compared with `expect`.
    const reports = {
      "full (artifact)": fromBytes.evaluator.runTests(text),
      "eval-only (artifact)": evalBytes.evaluator.runTests(text),
      "full (source)": withSource.evaluator.runTests(text),
    };

    // The native runtime's decisions on the same artifact, one per line.
    let native = null;
    if (polc) {
      const artifact = join(scratch, rel.replaceAll("/", "_") + ".apol");
      writeFileSync(artifact, compiled.artifact);
      // `polc eval` answers every line, blank ones included.
      const lineSafe = cases.filter((c) => c.input !== null && !/[\r\n]/.test(c.input));
      const input = join(scratch, rel.replaceAll("/", "_") + ".jsonl");
      writeFileSync(input, lineSafe.map((c) => c.input + "\n").join(""));
      const out = execFileSync(polc, ["eval", artifact, input], { encoding: "utf8" }).split("\n");
      native = new Map(lineSafe.map((c, i) => [c.line, out[i]]));
    }

    cases.forEach((c, i) => {
      test(`line ${c.line}: ${c.name}`, () => {
        assert.equal(c.error, null, `malformed test line: ${c.error}`);
        for (const [build, report] of Object.entries(reports)) {
          const r = report.cases[i];
          assert.equal(r.line, c.line, `${build}: runTests and parseTests disagree on the lines`);
          assert.ok(
            r.passed,
            `${build}\n  request:  ${c.input}\n  expected: ${JSON.stringify(c.expect)}\n  actual:   ${JSON.stringify(r.actual)}\n  wrong: ${r.wrong.join(", ")}`,
          );
        }
        // Every entry point gives the decision JSON the eval-only build gives
        // from the artifact bytes, byte for byte.
        const reference = evalBytes.evaluator.decideJson(c.input);
        const results = {
          "full (artifact)": fromBytes.evaluator.decideJson(c.input),
          "full (source)": withSource.evaluator.decide(c.input).json,
        };
        // A request that is an object whose JSON text is exactly the input
        // is decided as an object too: the runtime writes it back to the
        // same text (spec/wasm.md, "Requests from JavaScript").
        const object = asObject(c.input);
        if (object !== null) results["eval-only (object)"] = evalBytes.evaluator.decide(object).json;
        for (const [build, json] of Object.entries(results)) {
          assert.equal(json, reference, `${build} differs from eval-only (artifact) on ${c.input}`);
        }
        if (native && native.has(c.line)) {
          assert.equal(reference, native.get(c.line), `native polc eval differs on ${c.input}`);
        }
      });
    });

    test("runTests counts every case in every build", () => {
      for (const [build, report] of Object.entries(reports)) {
        assert.equal(report.passed, cases.length, `${build}: ${report.summary}`);
        assert.equal(report.summary, `tests: ${cases.length} passed, 0 failed`);
      }
    });
  });
}
