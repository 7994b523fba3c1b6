// Tool listings (spec/requests.md, "Listing tools"): every vector of
// tests/listing/mcp.listing.jsonl through listTools (the request as a JS
// object, or its raw text) and listToolsJson, in the full and the
// eval-only build, on tests/listing/mcp.policy compiled by the full build.
// The expected answers come from the file, the same ones the Rust, C and
// Go runtimes give (policy_eval::cases::listing).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evalOnly, full, repoDir } from "./wasm.mjs";

const vectors = readFileSync(join(repoDir, "tests/listing/mcp.listing.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l));
const compiled = full.compile(readFileSync(join(repoDir, "tests/listing/mcp.policy"), "utf8"));
assert.ok(compiled.ok, "tests/listing/mcp.policy compiles");

for (const [name, pkg] of [["full", full], ["eval-only", evalOnly]]) {
  describe(`tool listings (${name})`, () => {
    const loaded = pkg.load(compiled.artifact);
    assert.ok(loaded.ok, loaded.error);
    const ev = loaded.evaluator;

    test(`${vectors.length} vectors`, () => {
      assert.ok(vectors.length >= 15);
      for (const v of vectors) {
        const input = "raw" in v ? v.raw : v.request;
        assert.deepEqual(ev.listTools(input), v.expect, v.name);
        assert.deepEqual(JSON.parse(ev.listToolsJson(input)), v.expect, v.name);
        if ("request" in v) {
          assert.deepEqual(ev.listTools(JSON.stringify(v.request)), v.expect, v.name);
        }
      }
    });

    test("a tool is listed unless a call of it is denied", () => {
      const source = "ghcr.io/github/github-mcp-server:v0.8.0";
      const r = ev.listTools({ server: "github", source, tools: ["get_a", "create_b", "delete_c", "other"] });
      assert.deepEqual(r.tools.map((t) => t.listed), [true, true, false, false]);
      for (const t of r.tools) {
        const d = ev.decide({ surface: "mcp", server: "github", source, tool: t.name });
        assert.equal(t.decision, d.decision, t.name);
        assert.equal(t.rule, d.rule, t.name);
      }
    });

    test("JS values without faithful JSON are refused, never thrown", () => {
      const bad = [undefined, NaN, { server: "github", tools: ["\ud800"] }, { server: "github", tools: [1n] }];
      for (const b of bad) {
        assert.deepEqual(ev.listTools(b), {
          error: "invalid",
          message: "listing request is not well-formed JSON",
        });
      }
      const big = { server: "github", tools: ["x".repeat(2 * 1024 * 1024)] };
      assert.equal(ev.listTools(big).message, "listing request is larger than 2 MiB");
      const many = { server: "github", tools: Array(4097).fill("get_a") };
      assert.equal(ev.listTools(many).error, "too_many_tools");
      assert.equal(ev.listTools({ ...many, tools: many.tools.slice(1) }).tools.length, 4096);
    });
  });
}
