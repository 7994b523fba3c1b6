// End to end in headless Chromium (Debian's package, driven by playwright-core):
// serve dist/ from 127.0.0.1, type a broken policy and see its diagnostic at
// the right line, fix it, decide requests, download the artifact and check
// the native runtime (`polc eval`, path in POLC) gives the same decisions,
// run tests in the page, and save target/console-screenshot.png.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { dist, repoDir } from "./wasm.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const POLC = process.env.POLC || join(repoDir, "target", "debug", "polc");
const SCREENSHOT = join(repoDir, "target", "console-screenshot.png");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".ts": "text/plain", ".json": "application/json" };

const BROKEN = [
  "policy e2e",
  "version 1.0.0",
  "",
  "network {",
  "  default deny",
  "  gh: allow github.com, api.github.com port 443",
  "  allow bad..example.com port 443",
  "  ask **.example.com",
  "}",
].join("\n");
const FIXED = BROKEN.replace("  allow bad..example.com port 443", "  deny **.github.com port 22");

let server, context, page, scratch, url;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "console-e2e-"));
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dist, path.endsWith("/") ? join(path, "index.html") : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${server.address().port}/`;
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 960 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.errors = errors;
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
});

after(async () => {
  await context?.close();
  server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Decides the JSON request in the JSON tab; returns the decision JSON shown. */
async function decideJson(text) {
  await page.click('#tabs button[data-surface="json"]');
  await page.fill("#request-json", text);
  await page.click("#decide");
  return (await page.textContent("#decision-json")).trim();
}

test("the page loads the bundled examples, without errors", async () => {
  const options = await page.$$eval("#examples option", (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(options.includes("coding-agent") && options.length >= 5, String(options));
  assert.equal(await page.getAttribute("#status", "data-state"), "ok");
  assert.deepEqual(page.errors, []);
});

test("a typed broken policy shows its diagnostic at the right line", async () => {
  await page.click("#source");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(BROKEN);
  const item = await page.waitForSelector('#diagnostics li[data-code="E0101"]', { timeout: 10_000 });
  assert.equal(await item.getAttribute("data-line"), "7");
  assert.match(await item.textContent(), /7:9.*empty label in `bad\.\.example\.com`/);
  assert.equal(await page.getAttribute("#status", "data-state"), "error");
  assert.ok(await page.$('#gutter div[data-line="7"].error'), "gutter marks line 7");
  assert.match(await page.textContent('#backdrop .line[data-line="7"] .inline'), /E0101/);
  assert.ok(await page.$('#backdrop .line[data-line="7"] mark.error'), "line 7 is underlined");
  assert.ok(await page.isDisabled("#download"));
});

test("fixed, it decides a request: decision, rule highlighted, losing matches", async () => {
  await page.fill("#source", FIXED);
  await page.waitForSelector("#status[data-state=ok]", { timeout: 10_000 });
  assert.equal(await page.$$eval("#diagnostics li", (l) => l.length), 0);
  await page.click('#tabs button[data-surface="network"]');
  await page.fill('fieldset[data-surface="network"] input[name="host"]', "github.com");
  await page.fill('fieldset[data-surface="network"] input[name="port"]', "443");
  await page.click("#decide");
  await page.waitForSelector("#decision");
  assert.equal(await page.textContent("#decision"), "allow");
  assert.equal(await page.textContent("#rule .rule-id"), "gh");
  assert.equal(await page.getAttribute("#backdrop .line.rule", "data-line"), "6");
  assert.ok(await page.$('#gutter div[data-line="6"].rule'));
  const losing = await page.$$eval("#matches li", (l) => l.map((x) => x.textContent));
  assert.equal(losing.length, 1);
  assert.match(losing[0], /network\.deny\.\*\*\.github\.com \(deny, line 7\): matched but does not apply: port not in the rule's port list/);
});

test("an HTTP request from the form: method and path, decided like JSON", async () => {
  const net = 'fieldset[data-surface="network"]';
  await page.click('#tabs button[data-surface="network"]');
  await page.fill(`${net} input[name="host"]`, "github.com");
  await page.fill(`${net} input[name="port"]`, "443");
  const methods = await page.$$eval(`${net} select[name="method"] option`, (o) => o.map((x) => x.value));
  assert.deepEqual(methods, ["", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);
  await page.selectOption(`${net} select[name="method"]`, "GET");
  await page.fill(`${net} input[name="path"]`, "/repos/o/r/");
  await page.click("#decide");
  // No http block in the policy: the connection's rule decides.
  assert.equal(await page.textContent("#decision"), "allow");
  assert.equal(await page.textContent("#rule .rule-id"), "gh");
  await page.fill(`${net} input[name="path"]`, "/repos/o%2Fr");
  await page.click("#decide");
  assert.equal(await page.textContent("#decision"), "deny");
  assert.equal(await page.textContent("#reason"), "invalid");
  const fromForm = (await page.textContent("#decision-json")).trim();
  assert.match(fromForm, /HTTP path has percent-encoding/);
  assert.equal(
    fromForm,
    await decideJson('{"surface":"network","host":"github.com","port":443,"method":"GET","path":"/repos/o%2Fr"}'),
  );
  // A path without a method: the runtime's own answer, not a form error.
  await page.click('#tabs button[data-surface="network"]');
  await page.selectOption(`${net} select[name="method"]`, "");
  await page.fill(`${net} input[name="path"]`, "/repos");
  await page.click("#decide");
  assert.match(await page.textContent("#decision-json"), /HTTP request needs both method and path/);
  await page.fill(`${net} input[name="path"]`, "");
});

test("the downloaded artifact gives the same decisions in the native runtime", async () => {
  const requests = [
    '{"surface":"network","host":"github.com","port":443}',
    '{"surface":"network","host":"github.com","port":22}',
    '{"surface":"network","host":"x.example.com"}',
    '{"surface":"network","host":"nobody.org","port":443}',
    '{"surface":"network","host":"evil.com:443"}',
    '{"surface":"network","host":"github.com","port":443,"method":"DELETE","path":"/repos/o/r"}',
    '{"surface":"network","host":"github.com","port":443,"method":"get","path":"/"}',
    "{not json",
  ];
  const inPage = [];
  for (const r of requests) inPage.push(await decideJson(r));
  assert.equal(JSON.parse(inPage[1]).decision, "deny");
  assert.equal(JSON.parse(inPage[2]).decision, "ask");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(download.suggestedFilename(), "e2e.apol");
  const artifact = join(scratch, "e2e.apol");
  await download.saveAs(artifact);
  writeFileSync(join(scratch, "requests.jsonl"), requests.join("\n") + "\n");
  const native = execFileSync(POLC, ["eval", artifact, join(scratch, "requests.jsonl")], { encoding: "utf8" })
    .trim()
    .split("\n");
  assert.deepEqual(native, inPage);
});

test("policy tests run in the page", async () => {
  const tests = [
    '{"name":"github on 443","request":{"surface":"network","host":"github.com","port":443},"expect":{"decision":"allow","rule":"gh"}}',
    '{"name":"example asks","request":{"surface":"network","host":"a.example.com"},"expect":{"decision":"ask"}}',
    '{"name":"deliberately wrong","request":{"surface":"network","host":"nobody.org"},"expect":{"decision":"allow"}}',
  ].join("\n");
  await page.fill("#tests", tests);
  await page.click("#run-tests");
  assert.equal(await page.textContent("#test-summary"), "tests: 2 passed, 1 failed");
  assert.match(await page.textContent("#test-results ul"), /FAIL line 3: deliberately wrong/);
});

test("an example from the menu passes its own tests; screenshot", async () => {
  await page.selectOption("#examples", "coding-agent");
  await page.waitForSelector("#status[data-state=ok]");
  await page.click("#run-tests");
  assert.match(await page.textContent("#test-summary"), /^tests: [1-9]\d* passed, 0 failed$/);
  await page.click('#tabs button[data-surface="network"]');
  await page.fill('fieldset[data-surface="network"] input[name="host"]', "github.com");
  await page.fill('fieldset[data-surface="network"] input[name="ip"]', "10.0.0.5");
  await page.fill('fieldset[data-surface="network"] input[name="port"]', "443");
  await page.click("#decide");
  assert.equal(await page.textContent("#decision"), "deny");
  assert.equal(await page.textContent("#rule .rule-id"), "no-local");
  assert.ok((await page.$$("#matches li")).length >= 1);
  // Show a warning too (the policy still compiles, so the decision stays).
  const src = await page.inputValue("#source");
  await page.fill("#source", src.replace("  no-local: deny @metadata", "  deny 192.0.2.1/24\n  no-local: deny @metadata"));
  await page.waitForSelector("#status[data-state=warning]");
  await page.waitForSelector('#diagnostics li[data-code="W0101"]');
  assert.equal(await page.textContent("#rule .rule-id"), "no-local");
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(page.errors, []);
});
