// Tool pins (spec/pins.md): every vector of tests/pins/tool-digest.jsonl
// through toolDigestBytes and, when the definition is UTF-8 text,
// toolDigest, in the full and the eval-only build. The expected digest,
// canonical JSON or error kind come from the file (written by the
// independent tests/pins/jcs.py and checked against the Rust runtime).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evalOnly, full, repoDir } from "./wasm.mjs";

const vectors = readFileSync(join(repoDir, "tests/pins/tool-digest.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l));

function expected(v) {
  return "error" in v
    ? { ok: false, digest: null, canonical: null, kind: v.error }
    : { ok: true, digest: v.digest, canonical: v.canonical, error: null, kind: null };
}

function strip(r) {
  // The message is the Rust runtime's; the vectors pin the kind.
  return r.ok ? r : { ok: r.ok, digest: r.digest, canonical: r.canonical, kind: r.kind };
}

for (const [name, pkg] of [["full", full], ["eval-only", evalOnly]]) {
  describe(`tool digests (${name})`, () => {
    test(`${vectors.length} vectors`, () => {
      assert.ok(vectors.length >= 70);
      for (const v of vectors) {
        const bytes =
          "definition_hex" in v
            ? Uint8Array.from(Buffer.from(v.definition_hex, "hex"))
            : new TextEncoder().encode(v.definition);
        assert.deepEqual(strip(pkg.toolDigestBytes(bytes)), expected(v), v.name);
        if ("definition" in v) {
          assert.deepEqual(strip(pkg.toolDigest(v.definition)), expected(v), v.name);
        }
      }
    });

    test("a JS string with a lone surrogate is refused, not replaced", () => {
      const r = pkg.toolDigest('{"name":"\ud800"}');
      assert.equal(r.ok, false);
      assert.equal(r.kind, "utf8");
      assert.match(r.error, /lone surrogate/);
      // The same text with U+FFFD is a different, valid definition.
      assert.equal(pkg.toolDigest('{"name":"\ufffd"}').ok, true);
    });
  });
}
