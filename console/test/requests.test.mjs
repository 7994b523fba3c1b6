// Requests from JavaScript values (spec/wasm.md, "Requests from JavaScript"),
// through the real packages: a lone surrogate, NaN or ±Infinity, a `toJSON`
// method, a function, symbol or bigint is refused as an invalid request by
// both builds and every entry point, never converted (to U+FFFD, to `null`,
// to what `toJSON` returns, to a left-out field) and decided.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evalOnly, full } from "./wasm.mjs";

// Every request below is allowed as written; the bad values would have been
// allowed too after the old conversions (a port or host read as absent, a
// path with U+FFFD under /tmp).
const POLICY = `policy js-boundary
network {
  web: allow example.com
}
filesystem {
  tmp: allow read /tmp/**
}
credentials {
  allow TOKEN
}
mcp {
  server tools {
    allow *
  }
}
`;
const compiled = full.compile(POLICY);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const evaluators = {
  "full (artifact)": full.load(compiled.artifact).evaluator,
  "eval-only (artifact)": evalOnly.load(compiled.artifact).evaluator,
  "full (source)": full.fromSource(POLICY).evaluator,
};

const invalid = (message) => JSON.stringify({ decision: "deny", rule: null, reason: "invalid", message });
const MALFORMED = invalid("request is not well-formed JSON");
const WRONG_TYPE = invalid("request field has the wrong type");
const BAD_PORT = invalid("port must be between 1 and 65535");
const TOO_DEEP = invalid("request is nested deeper than 16 levels");
const NOT_OBJECT = invalid("request must be one JSON object");

const base = () => ({
  network: { surface: "network", host: "example.com", port: 443 },
  http: { surface: "network", host: "example.com", port: 443, method: "GET", path: "/repos/o/r" },
  filesystem: {
    surface: "filesystem",
    path: "/tmp/x",
    access: "read",
    context: { roots: { data: "/tmp/data" }, user: "u", session: "s", agent: "a" },
  },
  credential: { surface: "credential", name: "TOKEN" },
  mcp: { surface: "mcp", server: "tools", tool: "x", source: "ghcr.io/x" },
});
const ALLOWED = {
  network: '{"decision":"allow","rule":"web","reason":"rule"}',
  // No http block in POLICY: an HTTP request is decided as its connection.
  http: '{"decision":"allow","rule":"web","reason":"rule"}',
  filesystem: '{"decision":"allow","rule":"tmp","reason":"rule"}',
  credential: '{"decision":"allow","rule":"credential.allow.TOKEN","reason":"rule","lifetime":"session"}',
  mcp: '{"decision":"allow","rule":"mcp.tools.allow.*","reason":"rule"}',
};

/** The decision JSON for a request object, the same from every evaluator;
 * `decide` never throws and its fields agree with its `json`. */
function decideObject(request) {
  const answers = Object.entries(evaluators).map(([name, ev]) => {
    const d = ev.decide(request);
    const { json, deciding, explanation, ...fields } = d;
    assert.deepEqual(fields, JSON.parse(json), name);
    if (fields.reason === "invalid") {
      assert.equal(explanation.summary, `the request is invalid: ${fields.message}`, name);
      assert.equal(deciding, null, name);
    }
    return json;
  });
  for (const a of answers) assert.equal(a, answers[0]);
  return answers[0];
}

/** The decision JSON for a request text, the same from every evaluator and
 * every entry point (`decide`, `decideJson`, `decideRepeated`). */
function decideText(text) {
  const answers = Object.values(evaluators).flatMap((ev) => [
    ev.decide(text).json,
    ev.decideJson(text),
    ev.decideRepeated(text, 3),
  ]);
  for (const a of answers) assert.equal(a, answers[0]);
  return answers[0];
}

/** `request` with the string at `path` (a list of keys) passed to `edit`. */
function withString(request, path, edit) {
  let o = request;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path.at(-1)] = edit(o[path.at(-1)]);
  return request;
}

test("the requests are allowed as written, as objects and as text", () => {
  for (const [surface, request] of Object.entries(base())) {
    assert.equal(decideObject(request), ALLOWED[surface], surface);
    assert.equal(decideText(JSON.stringify(request)), ALLOWED[surface], surface);
  }
});

describe("a lone surrogate is refused, not made U+FFFD", () => {
  const fields = [
    ["network", "host"],
    ["http", "method"],
    ["http", "path"],
    ["filesystem", "path"],
    ["filesystem", "context", "roots", "data"],
    ["filesystem", "context", "user"],
    ["filesystem", "context", "session"],
    ["filesystem", "context", "agent"],
    ["credential", "name"],
    ["mcp", "server"],
    ["mcp", "tool"],
    ["mcp", "source"],
  ];
  for (const [surface, ...path] of fields) {
    test(`${surface}: ${path.join(".")}`, () => {
      for (const lone of ["\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDC00\uD800"]) {
        const request = withString(base()[surface], path, (s) => s + lone);
        assert.equal(decideObject(request), MALFORMED, JSON.stringify(lone));
        // The same JSON text with the raw surrogate in it, and with
        // `JSON.stringify`'s escape for it.
        const marked = withString(base()[surface], path, (s) => s + "@@");
        assert.equal(decideText(JSON.stringify(marked).replace("@@", lone)), MALFORMED);
        assert.equal(decideText(JSON.stringify(request)), MALFORMED);
      }
    });
  }
  test("in a root name", () => {
    const request = base().filesystem;
    request.context.roots = { "data\uD800": "/tmp/data" };
    assert.equal(decideObject(request), MALFORMED);
    assert.equal(decideText(JSON.stringify(base().filesystem).replace('"data"', '"data\uD800"')), MALFORMED);
  });
  test("U+FFFD itself and surrogate pairs are characters", () => {
    for (const text of ["\uFFFD", "\uD83D\uDE00"]) {
      for (const [surface, ...path] of [
        ["filesystem", "path"],
        ["filesystem", "context", "user"],
        ["mcp", "source"],
      ]) {
        const request = withString(base()[surface], path, (s) => s + text);
        assert.equal(decideObject(request), ALLOWED[surface]);
        assert.equal(decideText(JSON.stringify(request)), ALLOWED[surface]);
      }
    }
  });
});

test("method and path are checked as in JSON, from objects and text alike", () => {
  const http = base().http;
  const { method: _m, ...noMethod } = http;
  const { path: _p, ...noPath } = http;
  const PERCENT = invalid(
    "HTTP path has percent-encoding that is malformed, in lower case, or hides a letter, digit, `-`, `.`, `_`, `~`, `/`, `\\` or control byte: decode those, write the rest as upper-case %XX",
  );
  for (const [request, answer] of [
    [{ ...http, path: "/repos/o/r/" }, ALLOWED.http],
    [{ ...http, method: null, path: null }, ALLOWED.network],
    [{ ...http, method: undefined, path: undefined }, ALLOWED.network],
    [noMethod, invalid("HTTP request needs both method and path")],
    [noPath, invalid("HTTP request needs both method and path")],
    [{ ...http, method: undefined }, invalid("HTTP request needs both method and path")],
    [{ ...http, method: "get" }, invalid("method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case")],
    [{ ...http, method: 1 }, WRONG_TYPE],
    [{ ...http, path: ["/a"] }, WRONG_TYPE],
    [{ ...http, path: "/a%2Fb" }, PERCENT],
    [{ ...http, path: "/a%2fb" }, PERCENT],
    [{ ...http, path: "/a/../b" }, invalid("HTTP path has a `.` or `..` segment: pass the resolved path")],
    [{ ...http, path: "/caf\u00e9" }, invalid("HTTP path contains a space, control, non-ASCII or other byte that must be percent-encoded")],
    [{ ...http, path: "/" + "a".repeat(4096) }, invalid("HTTP path is longer than 4096 bytes")],
    [{ surface: "filesystem", path: "/tmp/x", access: "read", method: "GET" }, invalid("request has a field that does not belong to its surface")],
  ]) {
    assert.equal(decideObject(request), answer, JSON.stringify(request));
    assert.equal(decideText(JSON.stringify(request)), answer, JSON.stringify(request));
  }
  // A method that JSON.stringify would have written as "GET".
  assert.equal(decideObject({ ...http, method: { toJSON: () => "GET" } }), MALFORMED);
});

test("NaN and ±Infinity are refused, not written as null (absent)", () => {
  for (const n of [NaN, Infinity, -Infinity]) {
    assert.equal(decideObject({ ...base().network, port: n }), MALFORMED, String(n));
    assert.equal(decideObject({ ...base().credential, host: n }), MALFORMED, String(n));
    assert.equal(decideObject({ ...base().filesystem, access: n }), MALFORMED, String(n));
    assert.equal(decideObject(n), MALFORMED, String(n));
  }
  // What JSON.stringify made of them: no port, no host (not a send).
  assert.equal(decideObject({ ...base().network, port: null }), ALLOWED.network);
  assert.equal(decideObject({ ...base().credential, host: null }), ALLOWED.credential);
});

test("other numbers are checked as JSON numbers, written as JSON.stringify writes them", () => {
  for (const [port, answer] of [
    [443, ALLOWED.network],
    [443.0, ALLOWED.network],
    [1.5, WRONG_TYPE],
    [-1, WRONG_TYPE],
    [1e21, WRONG_TYPE],
    [2 ** 64, WRONG_TYPE],
    [0, BAD_PORT],
    [-0, BAD_PORT],
    [65536, BAD_PORT],
    [Number.MAX_SAFE_INTEGER, BAD_PORT],
  ]) {
    const request = { ...base().network, port };
    assert.equal(decideObject(request), answer, String(port));
    assert.equal(decideText(JSON.stringify(request)), answer, String(port));
  }
});

test("toJSON is refused, not called", () => {
  const asked = base().network;
  const cases = {
    "on the request": { toJSON: () => asked },
    "beside the request's fields": { ...asked, toJSON: () => asked },
    "inherited": Object.assign(Object.create({ toJSON: () => asked }), asked),
    "on a class": new (class {
      toJSON() {
        return asked;
      }
    })(),
    "on a string field": { ...asked, host: { toJSON: () => "example.com" } },
    "on a number field": { ...asked, port: { toJSON: () => 443 } },
    "a Date in the context": { ...asked, context: { user: new Date(0) } },
    "on the context": { ...asked, context: { toJSON: () => ({}) } },
    "on the roots": { ...base().filesystem, context: { roots: { toJSON: () => ({ data: "/tmp" }) } } },
    "on an array": { ...asked, context: Object.assign([], { toJSON: () => ({}) }) },
  };
  for (const [name, request] of Object.entries(cases)) {
    assert.equal(decideObject(request), MALFORMED, name);
  }
  // JSON.stringify would have decided what toJSON returned.
  assert.equal(decideObject(JSON.parse(JSON.stringify(cases["on the request"]))), ALLOWED.network);
});

test("functions, symbols, bigints, throwing getters and cycles are refused", () => {
  const net = base().network;
  const cyclic = { ...net };
  cyclic.context = cyclic;
  for (const [request, answer] of [
    [{ ...net, ip: () => "127.0.0.1" }, MALFORMED],
    [{ ...net, ip: Symbol("127.0.0.1") }, MALFORMED],
    [{ ...net, port: 443n }, MALFORMED],
    [{ ...net, [Symbol("x")]: 1 }, ALLOWED.network], // not a string key: not listed
    [{ ...net, ip: undefined }, ALLOWED.network], // absent, like null
    [Object.defineProperty({ ...net }, "host", { get() { throw new Error("boom"); }, enumerable: true }), MALFORMED],
    [new Proxy(net, { ownKeys() { throw new Error("boom"); } }), MALFORMED],
    [cyclic, TOO_DEEP],
    [undefined, MALFORMED],
    [() => net, MALFORMED],
    [null, NOT_OBJECT],
    [42, NOT_OBJECT],
    [[net], NOT_OBJECT],
  ]) {
    assert.equal(decideObject(request), answer, String(request));
  }
});

test("decideJson and decideRepeated decide a non-string as malformed, without throwing", () => {
  for (const ev of Object.values(evaluators)) {
    for (const input of [base().network, 42, null, undefined]) {
      assert.equal(ev.decideJson(input), MALFORMED);
      assert.equal(ev.decideRepeated(input, 2), MALFORMED);
    }
  }
});
