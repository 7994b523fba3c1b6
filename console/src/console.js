// The policy console: everything runs in the page through the WASM build
// (pkg/policy_wasm.js, the full build). No framework, no network after load.
import init, { fromSource } from "./pkg/policy_wasm.js";
import { examples } from "./examples.js";

const $ = (sel) => document.querySelector(sel);
const source = $("#source");
const backdrop = $("#backdrop");
const gutter = $("#gutter");
const DEBOUNCE_MS = 150;

const state = {
  result: null, // the last SourceResult (diagnostics, artifact, evaluator)
  evaluator: null,
  surface: "network",
  lastRequest: null, // re-decided whenever the policy changes
  highlight: null, // SourceRange of the deciding rule
};

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// ---------------------------------------------------------------- editor

/** Redraws line numbers, squiggles, inline messages and the rule highlight. */
function renderEditor() {
  const text = source.value;
  const lines = text.split("\n");
  const diags = state.result ? state.result.diagnostics : [];
  const hl = state.highlight;
  const gutterHtml = [];
  const backHtml = [];
  let lineStart = 0;
  lines.forEach((line, i) => {
    const n = i + 1;
    const lineEnd = lineStart + line.length;
    const here = diags.filter((d) => d.line <= n && n <= Math.max(d.line, d.end_line));
    const severity = here.some((d) => d.severity === "error") ? "error" : here.length ? "warning" : "";
    const isRule = hl && hl.line <= n && n <= hl.end_line;
    const gClass = [severity, isRule ? "rule" : ""].filter(Boolean).join(" ");
    const title = here.map((d) => `${d.code}: ${d.message}`).join("\n");
    gutterHtml.push(`<div data-line="${n}" class="${gClass}" title="${escapeHtml(title)}">${n}</div>`);
    // Marks: the part of each diagnostic's range on this line.
    const cuts = [];
    for (const d of here) {
      const a = Math.max(d.start, lineStart) - lineStart;
      const b = Math.min(d.end, lineEnd) - lineStart;
      cuts.push({ a: Math.min(a, line.length), b: Math.max(Math.min(b, line.length), Math.min(a, line.length)), sev: d.severity });
    }
    cuts.sort((x, y) => x.a - y.a);
    let html = "";
    let pos = 0;
    for (const c of cuts) {
      if (c.a < pos) continue; // overlapping marks: keep the first
      html += escapeHtml(line.slice(pos, c.a));
      const inner = line.slice(c.a, c.b);
      html += inner
        ? `<mark class="${c.sev}">${escapeHtml(inner)}</mark>`
        : `<mark class="${c.sev} empty"> </mark>`;
      pos = c.b;
    }
    html += escapeHtml(line.slice(pos));
    const first = here.find((d) => d.line === n) || here[0];
    if (first) html += `<span class="inline ${first.severity}">${escapeHtml(`${first.code} ${first.message}`)}</span>`;
    backHtml.push(`<span class="line${isRule ? " rule" : ""}" data-line="${n}">${html}</span>`);
    lineStart = lineEnd + 1;
  });
  gutter.innerHTML = gutterHtml.join("");
  backdrop.innerHTML = backHtml.join("") + "<span class=\"line\"></span>";
  syncScroll();
}

function syncScroll() {
  backdrop.scrollTop = source.scrollTop;
  backdrop.scrollLeft = source.scrollLeft;
  gutter.scrollTop = source.scrollTop;
}

/** Selects a range of the source and scrolls it into view. */
function reveal(range) {
  source.focus();
  source.setSelectionRange(range.start, range.end);
  const lh = parseFloat(getComputedStyle(source).lineHeight) || 20;
  const top = (range.line - 1) * lh;
  if (top < source.scrollTop || top > source.scrollTop + source.clientHeight - 2 * lh) {
    source.scrollTop = Math.max(0, top - source.clientHeight / 3);
  }
  syncScroll();
}

function renderDiagnostics() {
  const list = $("#diagnostics");
  const r = state.result;
  list.innerHTML = "";
  if (!r) return;
  for (const d of r.diagnostics) {
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.line = d.line;
    li.dataset.code = d.code;
    li.innerHTML =
      `<span class="code">${d.code}</span> ${d.severity} at <span class="pos">${d.line}:${d.column}</span>: ` +
      `<span class="message">${escapeHtml(d.message)}</span>` +
      (d.help ? `<span class="help">help: ${escapeHtml(d.help)}</span>` : "");
    li.addEventListener("click", () => reveal(d));
    list.append(li);
  }
  const errors = r.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = r.diagnostics.length - r.diagnostics.filter((d) => d.severity === "error").length;
  const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
  $("#diag-summary").textContent =
    errors || warnings ? `${plural(errors, "error")}, ${plural(warnings, "warning")}` : "no problems";
  const status = $("#status");
  status.dataset.state = errors ? "error" : warnings ? "warning" : "ok";
  status.textContent = errors ? "errors: not compiled" : `compiled${warnings ? " with warnings" : ""}`;
  $("#policy-name").textContent = r.policy ? `${r.policy.name} ${r.policy.version} · ${plural(r.policy.rules, "rule")}` : "";
}

/** Checks and compiles the source, then refreshes everything that depends on it. */
function update() {
  const r = fromSource(source.value);
  if (state.evaluator) state.evaluator.free();
  state.result = r;
  state.evaluator = r.evaluator;
  $("#download").disabled = !r.ok;
  state.highlight = null;
  renderDiagnostics();
  if (state.lastRequest !== null) decide(state.lastRequest);
  else renderEditor();
}

let timer = 0;
source.addEventListener("input", () => {
  clearTimeout(timer);
  renderEditor(); // keep the overlay aligned at once; diagnostics follow
  timer = setTimeout(update, DEBOUNCE_MS);
});
source.addEventListener("scroll", syncScroll);
source.addEventListener("keydown", (e) => {
  if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    source.setRangeText("  ", source.selectionStart, source.selectionEnd, "end");
    source.dispatchEvent(new Event("input"));
  }
});

// --------------------------------------------------------------- requests

function selectSurface(surface) {
  state.surface = surface;
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.surface === surface));
  for (const f of document.querySelectorAll("#request-form fieldset")) f.hidden = f.dataset.surface !== surface;
}
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => selectSurface(b.dataset.surface));

/** The request of the active tab: JSON text (JSON tab) or an object, or an error string. */
function buildRequest() {
  if (state.surface === "json") return { text: $("#request-json").value };
  const fields = document.querySelector(`#request-form fieldset[data-surface="${state.surface}"]`);
  const req = { surface: state.surface };
  // A tool call's arguments are spliced in as typed (not parsed and
  // re-serialized), so a repeated key reaches the engine and is refused.
  let args = "";
  for (const el of fields.querySelectorAll("input, select")) {
    if (el.name === "arguments") {
      args = el.value.trim();
      continue;
    }
    // An HTTP path is decided as typed (spec/requests.md: never rewritten),
    // so a stray space is refused, not trimmed away.
    const http = state.surface === "network" && el.name === "path";
    const v = http ? el.value : el.value.trim();
    if (v === "") continue;
    req[el.name] = el.name === "port" && /^\d+$/.test(v) ? Number(v) : v;
  }
  const roots = $("#roots").value.trim();
  if (roots) {
    try {
      req.context = { roots: JSON.parse(roots) };
    } catch {
      return { error: "context roots are not valid JSON" };
    }
  }
  const text = JSON.stringify(req);
  return { text: args ? `${text.slice(0, -1)},"arguments":${args}}` : text };
}

function decide(request) {
  const out = $("#result");
  state.highlight = null;
  if (!state.evaluator) {
    out.innerHTML = `<p class="muted">Fix the errors in the policy to decide requests.</p>`;
    renderEditor();
    return;
  }
  const d = state.evaluator.decide(request);
  state.highlight = d.deciding && d.deciding.range;
  const rule = d.deciding
    ? `<span class="rule-id jump" data-jump="deciding">${escapeHtml(d.deciding.id)}</span> <span class="muted">(line ${d.deciding.line})</span>`
    : `<span class="muted">none</span>`;
  const matches = d.explanation.matches || [];
  out.innerHTML =
    `<p><span class="decision ${d.decision}" id="decision">${d.decision}</span> ` +
    `reason <b id="reason">${d.reason}</b> · rule <span id="rule">${rule}</span>` +
    (d.lifetime !== undefined ? ` · lifetime <b>${escapeHtml(String(d.lifetime))}</b>` : "") +
    `</p><p id="summary">${escapeHtml(d.explanation.summary)}</p>` +
    (d.message ? `<p class="muted">${escapeHtml(d.message)}</p>` : "") +
    `<div class="json" id="decision-json">${escapeHtml(d.json)}</div>` +
    (matches.length
      ? `<p>Other matching rules:</p><ul id="matches">${matches
          .map((m, i) => `<li data-rule="${escapeHtml(m.rule.id)}"><a data-jump="${i}">${escapeHtml(m.rule.id)}</a> (${m.rule.effect}, line ${m.rule.line}): ${escapeHtml(m.why)}</li>`)
          .join("")}</ul>`
      : "") +
    (d.explanation.reference_agrees === false ? `<p class="fail">internal error: the reference interpreter disagrees; please report this</p>` : "");
  for (const a of out.querySelectorAll("[data-jump]")) {
    a.addEventListener("click", () => {
      const r = a.dataset.jump === "deciding" ? d.deciding : matches[Number(a.dataset.jump)].rule;
      if (r.range) reveal(r.range);
    });
  }
  renderEditor();
  if (state.highlight) {
    const lh = parseFloat(getComputedStyle(source).lineHeight) || 20;
    const top = (state.highlight.line - 1) * lh;
    if (top < source.scrollTop || top > source.scrollTop + source.clientHeight - 2 * lh) {
      source.scrollTop = Math.max(0, top - source.clientHeight / 3);
      syncScroll();
    }
  }
}

$("#request-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const req = buildRequest();
  if (req.error) {
    $("#result").innerHTML = `<p class="fail">${escapeHtml(req.error)}</p>`;
    return;
  }
  state.lastRequest = req.text;
  decide(req.text);
});

// ------------------------------------------------------------------ tests

$("#run-tests").addEventListener("click", () => {
  const out = $("#test-results");
  if (!state.evaluator) {
    out.innerHTML = `<p class="fail">the policy has errors: tests cannot run</p>`;
    return;
  }
  const report = state.evaluator.runTests($("#tests").value);
  const failures = report.cases.filter((c) => !c.passed);
  out.innerHTML =
    `<p id="test-summary" class="${report.failed ? "fail" : "pass"}">${escapeHtml(report.summary)}</p>` +
    (failures.length
      ? `<ul>${failures
          .map((c) =>
            c.error
              ? `<li>FAIL line ${c.line}: ${escapeHtml(c.name)}<pre>${escapeHtml(c.error)}</pre></li>`
              : `<li>FAIL line ${c.line}: ${escapeHtml(c.name)}<pre>request:  ${escapeHtml(c.input)}\nexpected: ${escapeHtml(JSON.stringify(c.expected))}\nactual:   ${escapeHtml(JSON.stringify(c.actual))}\ndeciding rule: ${c.rule ? `${escapeHtml(c.rule.id)} at line ${c.rule.line}` : "none"}</pre></li>`,
          )
          .join("")}</ul>`
      : "");
});

// ------------------------------------------------------ examples, download

function loadExample(name) {
  const ex = examples.find((e) => e.name === name);
  if (!ex) return;
  source.value = ex.source;
  $("#tests").value = ex.tests || "";
  $("#test-results").innerHTML = "";
  source.scrollTop = 0;
  update();
}

$("#examples").addEventListener("change", (e) => loadExample(e.target.value));

$("#download").addEventListener("click", () => {
  const r = state.result;
  if (!r || !r.ok) return;
  const blob = new Blob([r.artifact], { type: "application/octet-stream" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${r.policy ? r.policy.name : "policy"}.apol`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

// ------------------------------------------------------------------- start

await init();
for (const ex of examples) {
  const o = document.createElement("option");
  o.value = ex.name;
  o.textContent = `${ex.name}.policy${ex.tests ? " (+ tests)" : ""}`;
  $("#examples").append(o);
}
const first = examples.find((e) => e.name === "coding-agent") || examples[0];
if (first) {
  $("#examples").value = first.name;
  loadExample(first.name);
} else {
  update();
}
document.body.dataset.ready = "true";
