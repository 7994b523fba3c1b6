// Stack vectors (spec/tests.md, "Stack vectors"): every tests/stacks/*.stack
// and examples/stack/*.stack through the WASM builds in Node. Each layer's
// policy is compiled by the full build and loaded in both builds; the
// layers are composed with StackBuilder and the cases run by the one runner
// (policy_eval::cases, behind Stack.runTests). Both builds must give the
// same decision JSON byte for byte, and, when POLC names a native `polc`,
// the same as `polc stack eval`.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evalOnly, full, repoDir } from "./wasm.mjs";

const polc = process.env.POLC && existsSync(process.env.POLC) ? process.env.POLC : null;

function stackFiles(dir) {
  return readdirSync(join(repoDir, dir))
    .filter((f) => f.endsWith(".stack"))
    .sort()
    .map((f) => join(dir, f));
}

/** The layers of a stack file: `LEVEL NAME POLICY [audit]` per line. */
function layersOf(path) {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [level, name, policy, audit] = l.split(/\s+/);
      return { level: Number(level), name, policy: join(dirname(path), policy), audit: audit === "audit" };
    });
}

const files = [...stackFiles("tests/stacks"), ...stackFiles("examples/stack")];
test("every stack corpus is present", () => {
  for (const dir of ["tests/stacks/", "examples/stack/"]) {
    assert.ok(files.some((rel) => rel.startsWith(dir)), `no stack files in ${dir}`);
  }
});

for (const rel of files) {
  const path = join(repoDir, rel);
  describe(rel, () => {
    const layers = layersOf(path);
    const builds = { full, "eval-only": evalOnly };
    const stacks = {};
    for (const [kind, build] of Object.entries(builds)) {
      const builder = new build.StackBuilder();
      for (const l of layers) {
        const compiled = full.compile(readFileSync(l.policy, "utf8"));
        assert.ok(compiled.ok, `${l.policy}: ${JSON.stringify(compiled.diagnostics)}`);
        const loaded = build.load(compiled.artifact);
        assert.ok(loaded.ok, loaded.error);
        builder.add(l.name, l.level, l.audit, loaded.evaluator);
        loaded.evaluator.free();
      }
      const built = builder.build();
      assert.ok(built.ok, built.error);
      stacks[kind] = built.stack;
    }
    const text = readFileSync(path.replace(/\.stack$/, ".tests.jsonl"), "utf8");
    const cases = full.parseTests(text);
    for (const [kind, stack] of Object.entries(stacks)) {
      test(`${kind}: every case passes`, () => {
        const report = stack.runTests(text);
        assert.equal(report.failed, 0, JSON.stringify(report.cases.filter((c) => !c.passed)));
        assert.equal(report.passed, cases.length);
      });
    }
    test("both builds, and the native runtime, give the same decision JSON", () => {
      const inputs = cases.map((c) => c.input);
      const got = inputs.map((i) => stacks.full.decideJson(i));
      assert.deepEqual(inputs.map((i) => stacks["eval-only"].decideJson(i)), got);
      if (polc && inputs.every((i) => !i.includes("\n"))) {
        const native = execFileSync(polc, ["stack", "eval", path], { input: inputs.join("\n") + "\n" })
          .toString()
          .trimEnd()
          .split("\n");
        assert.deepEqual(got, native);
      }
    });
  });
}

test("layers that do not form a stack are a value, not an exception", () => {
  const compiled = full.compile("policy p\nnetwork {\n  default allow\n}\n");
  const loaded = full.load(compiled.artifact);
  const builder = new full.StackBuilder();
  builder.add("top", 1, false, loaded.evaluator);
  const built = builder.build();
  assert.equal(built.ok, false);
  assert.equal(built.stack, null);
  assert.match(built.error, /level 1/);
});
