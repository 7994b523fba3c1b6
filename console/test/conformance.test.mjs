// Conformance: every tests/conformance/*.tests.jsonl, tests/bypass/*.tests.jsonl
// (the bypass corpus) and examples/*.tests.jsonl through the WASM builds in
// Node, compared with the `expect` objects exactly like `polc test` (only the
// keys of `expect`, exact JSON equality). Each policy is compiled by the full
// build; its artifact bytes are loaded by both the full and the eval-only
// build. A request that is a plain JSON object is decided as a JS object too.
// When POLC names a native `polc`, every decision is also compared byte for
// byte with `polc eval` on the artifact.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
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

/** Keys of `expect` whose values differ from the decision's. */
const wrongKeys = (expect, actual) => Object.keys(expect).filter((k) => !isDeepStrictEqual(actual[k], expect[k]));

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
    const cases = full.parseTests(readFileSync(testsPath, "utf8"));

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

    for (const c of cases) {
      test(`line ${c.line}: ${c.name}`, () => {
        assert.equal(c.error, null, `malformed test line: ${c.error}`);
        const results = {
          "full (artifact)": fromBytes.evaluator.decideJson(c.input),
          "eval-only (artifact)": evalBytes.evaluator.decideJson(c.input),
          "full (source)": withSource.evaluator.decide(c.input).json,
        };
        // A request that is an object whose JSON text is exactly the input
        // is decided as an object too: the runtime writes it back to the
        // same text (spec/wasm.md, "Requests from JavaScript").
        const object = asObject(c.input);
        if (object !== null) results["eval-only (object)"] = evalBytes.evaluator.decide(object).json;
        for (const [build, json] of Object.entries(results)) {
          const actual = JSON.parse(json);
          const wrong = wrongKeys(c.expect, actual);
          assert.deepEqual(wrong, [], `${build}\n  request:  ${c.input}\n  expected: ${JSON.stringify(c.expect)}\n  actual:   ${json}`);
        }
        if (native && native.has(c.line)) {
          assert.equal(results["eval-only (artifact)"], native.get(c.line), `native polc eval differs on ${c.input}`);
        }
      });
    }

    test("runTests in the page agrees", () => {
      const report = withSource.evaluator.runTests(readFileSync(testsPath, "utf8"));
      assert.equal(report.failed, 0, JSON.stringify(report.cases.filter((x) => !x.passed), null, 1));
      assert.equal(report.passed, cases.length);
    });
  });
}
