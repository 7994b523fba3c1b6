//! The `#[wasm_bindgen]` layer: plain JavaScript objects in and out, typed
//! by the TypeScript declarations below (shipped in the generated `.d.ts`).
//!
//! Results are built as JSON by `serde_json` and handed to `JSON.parse`, so
//! the objects are plain data (no handles to free) and the field names are
//! exactly those of the Rust structs; only an [`Evaluator`] is a class.

// wasm-bindgen's generated glue is `unsafe` internally; this module writes
// no unsafe code of its own.
#![allow(unsafe_code)]

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::engine::Engine;
use crate::request::{self, JsInput, Kind};
use crate::stack::StackEngine;

#[wasm_bindgen(typescript_custom_section)]
const TS_COMMON: &'static str = r#"
/** The HTTP methods a network request may carry, upper case only. */
export type HttpMethod =
  "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "CONNECT" | "TRACE";

/** A network request (spec/requests.md). `method` and `path` together make
 * it an HTTP request a proxy sees inside the connection; one alone, or a
 * spelling spec/requests.md refuses (`"get"`, `"/a?x"`, `"/a%2Fb"`), is an
 * invalid request, as in JSON. `null` counts as absent. */
export interface NetworkRequest {
  surface: "network";
  host?: string | null; ip?: string | null; port?: number | null;
  method?: HttpMethod | null; path?: string | null;
  context?: Record<string, unknown> | null;
}

/** An MCP request (spec/requests.md): a server, a resource read or prompt
 * get, or a call of one of its
 * tools with the call's `arguments` (a JSON object) and the `definition`
 * digest of the tool it was served (`sha256:` and 64 hex digits, for pinned
 * tools; spec/pins.md), both only with a tool. */
export interface McpRequest {
  surface: "mcp";
  server: string; tool?: string | null; source?: string | null;
  arguments?: Record<string, unknown> | null;
  definition?: string | null;
  /** A `resources/read` URI (canonical, spec/requests.md); at most one of
   * `tool`, `resource`, `prompt`. */
  resource?: string | null;
  /** A `prompts/get` name. */
  prompt?: string | null;
  context?: Record<string, unknown> | null;
}

/** A request object as in spec/requests.md, or its JSON text. Any object is
 * accepted: one that is not a valid request is decided as invalid. */
export type RequestInput = string | NetworkRequest | McpRequest | Record<string, unknown>;

/** A range of the policy source. Lines and columns are 1-based (columns count
 * characters, as `polc` prints them); `start`/`end` are UTF-16 offsets
 * (JavaScript string indexes), `end` exclusive. */
export interface SourceRange {
  line: number; column: number; end_line: number; end_column: number;
  start: number; end: number;
}

/** A rule: id, surface, effect, position (`range` only when the source is known). */
export interface RuleInfo {
  index: number;
  id: string;
  surface: "network" | "filesystem" | "credential" | "mcp";
  effect: "allow" | "ask" | "deny";
  line: number;
  column: number;
  range: SourceRange | null;
}

/** A rule that matched the request but did not decide it. */
export interface RuleMatch {
  rule: RuleInfo;
  outcome: "not_applied" | "lost" | "matched";
  why: string;
}

/** Why a decision was made. `matches` is null without the source. */
export interface Explanation {
  summary: string;
  matches: RuleMatch[] | null;
  reference_agrees: boolean | null;
}

/** The decision object of spec/decision.schema.json plus `json` (that
 * object as every runtime prints it), the deciding rule and an explanation. */
export interface Decision {
  decision: "allow" | "ask" | "deny";
  rule: string | null;
  reason: "rule" | "default" | "invalid";
  message?: string;
  lifetime?: "session" | number;
  /** Only on `ask`: the rule's reason and the digest of the request. */
  approval?: Approval;
  /** The deciding tool rule's argument constraints, as written. */
  constraints?: string[];
  /** A tool call not allowed: the first constrained allow or ask rule that
   * names the tool, and its first unmet constraint. */
  unmet?: { rule: string; constraint: string; outcome: "failed" | "missing or mistyped" };
  json: string;
  deciding: RuleInfo | null;
  explanation: Explanation;
}

/** What an `ask` decision carries (spec/requests.md, "Approvals"). */
export interface Approval {
  reason?: string;
  digest: string;
}

/** What an evaluator knows about its policy. */
export interface PolicyInfo {
  name: string; version: string; description: string; owner: string;
  rules: number;
  required_roots: string[];
  has_source: boolean;
}

/** `load(bytes)`: an evaluator, or why the bytes are not a valid artifact. */
export type LoadResult =
  | { ok: true; evaluator: Evaluator; error: null }
  | { ok: false; evaluator: null; error: string };

/** `toolDigest(definition)` (spec/pins.md): the pin, or why there is none. */
export type ToolDigestResult =
  | { ok: true; digest: string; canonical: string; error: null; kind: null }
  | { ok: false; digest: null; canonical: null; error: string; kind: string };

/** A tool listing request (spec/requests.md, "Listing tools";
 * spec/list.schema.json), as an object or its JSON text. At most 4096 tools. */
export type ListingInput =
  | string
  | { server: string; source?: string | null; tools: string[] }
  | Record<string, unknown>;

/** One tool of a listing: `listed` is false only when every call of the
 * tool would be denied; the rest is the decision of a call of it. */
export interface ListedTool {
  name: string;
  listed: boolean;
  decision: "allow" | "ask" | "deny";
  rule: string | null;
  reason: "rule" | "default" | "invalid";
  message?: string;
}

/** `listTools(request)`: the tools in input order, or why the listing
 * request was refused as a whole (never a truncated listing). */
export type ListingResult =
  | { tools: ListedTool[] }
  | { error: "invalid" | "too_many_tools"; message: string };

/** One line of a tests file (spec/tests.md); `error` set when it cannot run. */
export interface ParsedCase {
  line: number;
  name: string;
  input: string | null;
  expect: Record<string, unknown> | null;
  error: string | null;
}

/** The outcome of one test case. */
export interface CaseResult {
  line: number;
  name: string;
  passed: boolean;
  input: string | null;
  expected: Record<string, unknown> | null;
  actual: Record<string, unknown> | null;
  wrong: string[];
  rule: RuleInfo | null;
  error: string | null;
}

/** The outcome of a tests file; `summary` is `tests: N passed, M failed`. */
export interface TestReport {
  passed: number;
  failed: number;
  summary: string;
  cases: CaseResult[];
}

/** `StackBuilder.build()` (spec/layers.md): the stack, or why the layers do
 * not form one. */
export interface StackResult {
  ok: boolean;
  stack: Stack | null;
  error: string | null;
}
"#;

#[cfg(feature = "compiler")]
#[wasm_bindgen(typescript_custom_section)]
const TS_COMPILER: &'static str = r#"
/** One diagnostic (codes in spec/language.md), positioned like SourceRange;
 * the same object `polc check --format json` prints (without `file`). */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  help: string | null;
  line: number; column: number; end_line: number; end_column: number;
  start: number; end: number;
  notes: { message: string; range: SourceRange }[];
}

/** Name, version and rule count of a policy without errors. */
export interface PolicySummary { name: string; version: string; rules: number }

/** `check(source)`. `ok` means no errors (warnings allowed). */
export interface CheckResult {
  ok: boolean;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
  policy: PolicySummary | null;
}

/** `compile(source)`: the artifact bytes, or the diagnostics that prevent
 * it (the table budget is E0006 like any other). */
export interface CompileResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  policy: PolicySummary | null;
  artifact: Uint8Array | null;
}

/** `fromSource(source)`: `compile` plus an evaluator that explains. */
export interface SourceResult extends CompileResult {
  evaluator: Evaluator | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `RequestInput` in TypeScript.
    #[wasm_bindgen(typescript_type = "RequestInput")]
    pub type RequestInput;
    /// `string` in TypeScript: the JSON text of a request, taken as a JS
    /// value so that a lone surrogate is seen before the conversion to UTF-8
    /// replaces it.
    #[wasm_bindgen(typescript_type = "string")]
    pub type JsonText;
    /// `Decision` in TypeScript.
    #[wasm_bindgen(typescript_type = "Decision")]
    pub type DecisionJs;
    /// `PolicyInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "PolicyInfo")]
    pub type PolicyInfoJs;
    /// `LoadResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "LoadResult")]
    pub type LoadResultJs;
    /// `ParsedCase[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "ParsedCase[]")]
    pub type ParsedCasesJs;
    /// `ListingInput` in TypeScript.
    #[wasm_bindgen(typescript_type = "ListingInput")]
    pub type ListingInput;
    /// `ListingResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "ListingResult")]
    pub type ListingJs;
    /// `ToolDigestResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "ToolDigestResult")]
    pub type ToolDigestJs;
    /// `TestReport` in TypeScript.
    #[wasm_bindgen(typescript_type = "TestReport")]
    pub type TestReportJs;
    /// `CheckResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "CheckResult")]
    pub type CheckResultJs;
    /// `CompileResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "CompileResult")]
    pub type CompileResultJs;
    /// `SourceResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "SourceResult")]
    pub type SourceResultJs;
    /// `StackResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "StackResult")]
    pub type StackResultJs;

    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(target: &JsValue) -> Result<Vec<JsValue>, JsValue>;
    /// Throws a `URIError` exactly when the string holds a lone surrogate
    /// (`String.prototype.isWellFormed` is newer than some browsers).
    #[wasm_bindgen(js_name = encodeURIComponent, catch)]
    fn encode_uri_component(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = set, catch)]
    fn reflect_set(target: &JsValue, key: &str, value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_name = Uint8Array)]
    type Bytes;
    #[wasm_bindgen(constructor, js_class = "Uint8Array")]
    fn new(view: &[u8]) -> Bytes;
}

/// A plain JS object from a serializable value (`null` if that ever fails).
fn to_js<T: Serialize>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| json_parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on an object we just created cannot fail.
    let _ = reflect_set(target, key, value);
}

/// The reads of [`request`]'s walk, as wasm-bindgen calls into JS.
impl JsInput for JsValue {
    fn kind(&self) -> Kind {
        if let Some(n) = self.as_f64() {
            Kind::Number(n)
        } else if self.is_string() {
            Kind::String
        } else if let Some(b) = self.as_bool() {
            Kind::Bool(b)
        } else if self.is_null() {
            Kind::Null
        } else if self.is_undefined() {
            Kind::Undefined
        } else if !self.is_object() {
            // A function, symbol or bigint.
            Kind::Other
        } else if self.is_array() {
            Kind::Array
        } else {
            Kind::Object
        }
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn is_well_formed(&self) -> bool {
        encode_uri_component(self).is_ok()
    }

    fn has_to_json(&self) -> Option<bool> {
        reflect_get(self, &JsValue::from_str("toJSON"))
            .ok()
            .map(|f| f.is_function())
    }

    fn keys(&self) -> Option<Vec<JsValue>> {
        object_keys(self).ok()
    }

    fn length(&self) -> Option<u32> {
        let len = reflect_get(self, &JsValue::from_str("length")).ok()?;
        // An array's length is always a uint32.
        len.as_f64().map(|n| n as u32)
    }

    fn get(&self, key: &JsValue) -> Option<JsValue> {
        reflect_get(self, key).ok()
    }

    fn at(&self, index: u32) -> Option<JsValue> {
        reflect_get(self, &JsValue::from(index)).ok()
    }
}

/// `"full"` (check, compile, explanations) or `"eval"` (decisions only).
#[wasm_bindgen(js_name = buildKind)]
pub fn build_kind() -> String {
    crate::BUILD.to_string()
}

/// Version of the library.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// A loaded policy that decides requests. Free it with `free()` when done
/// (or let the `FinalizationRegistry` do it).
#[wasm_bindgen]
pub struct Evaluator {
    engine: Engine,
}

#[wasm_bindgen]
impl Evaluator {
    /// Decides a request (object or JSON text): the decision, the deciding
    /// rule and an explanation. A malformed request is a `deny` decision
    /// with reason `invalid`, never an exception.
    pub fn decide(&self, request: &RequestInput) -> DecisionJs {
        let decision = match request::request_text::<JsValue>(request) {
            Ok(text) => self.engine.decide(&text),
            Err(why) => self.engine.decide_refused(why),
        };
        to_js(&decision).unchecked_into()
    }

    /// Decides one JSON request and returns the decision JSON exactly as
    /// every runtime prints it (the fast path).
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(&self, input: &JsonText) -> String {
        match request::string_text::<JsValue>(input) {
            Ok(text) => self.engine.decide_json(&text),
            Err(why) => self.engine.decide_json_refused(why),
        }
    }

    /// Which of a server's tools the agent may see (spec/requests.md,
    /// "Listing tools"): `{tools: [{name, listed, decision, rule, reason,
    /// message?}]}` in input order, or `{error, message}` for a malformed
    /// request or more than 4096 tools. Never throws.
    #[wasm_bindgen(js_name = listTools)]
    pub fn list_tools(&self, request: &ListingInput) -> ListingJs {
        let text = self.list_tools_text(request);
        json_parse(&text).unwrap_or(JsValue::NULL).unchecked_into()
    }

    /// `listTools` answering with the JSON text every runtime writes.
    #[wasm_bindgen(js_name = listToolsJson)]
    pub fn list_tools_json(&self, request: &ListingInput) -> String {
        self.list_tools_text(request)
    }

    /// Benchmark aid: decides one JSON request `times` times inside WASM
    /// (typed `decide`, parsed once) and returns the last decision JSON, so
    /// that timing one call measures the decision without the JS boundary.
    #[wasm_bindgen(js_name = decideRepeated)]
    pub fn decide_repeated(&self, input: &JsonText, times: u32) -> String {
        match request::string_text::<JsValue>(input) {
            Ok(text) => self.engine.decide_repeated(&text, times),
            Err(why) => self.engine.decide_json_refused(why),
        }
    }

    /// Runs a tests file (spec/tests.md) against this policy, like `polc test`.
    #[wasm_bindgen(js_name = runTests)]
    pub fn run_tests(&self, jsonl: &str) -> TestReportJs {
        to_js(&self.engine.run_tests(jsonl)).unchecked_into()
    }

    /// Name, version, rule count and required roots of the policy.
    pub fn info(&self) -> PolicyInfoJs {
        to_js(&self.engine.info()).unchecked_into()
    }
}

impl Evaluator {
    fn list_tools_text(&self, request: &JsValue) -> String {
        match request::listing_text::<JsValue>(request) {
            Ok(text) => self.engine.list_tools_json(&text),
            Err(why) => Engine::list_tools_refused(why),
        }
    }
}

/// Collects the layers of a stack (spec/layers.md), top first:
/// `new StackBuilder()`, `add(name, level, audit, evaluator)` per layer,
/// then `build()`. Each layer's policy is copied: the evaluators may be
/// freed afterwards.
#[wasm_bindgen]
#[derive(Default)]
pub struct StackBuilder {
    layers: Vec<(String, u8, bool, Engine)>,
}

#[wasm_bindgen]
impl StackBuilder {
    /// An empty list of layers.
    #[wasm_bindgen(constructor)]
    pub fn new() -> StackBuilder {
        StackBuilder::default()
    }

    /// Adds a layer below the ones added before: its name in decisions, its
    /// level (0 at the top, then the same or one more), whether it is an
    /// audit layer, and its policy.
    pub fn add(&mut self, name: &str, level: u8, audit: bool, evaluator: &Evaluator) {
        let engine = evaluator.engine.copy_policy();
        self.layers.push((name.to_string(), level, audit, engine));
    }

    /// The stack, or `{ok: false, error}` when the layers do not form one
    /// (none, more than 8, only audit layers, a bad or repeated name,
    /// levels that do not start at 0 and go down one at a time).
    pub fn build(&self) -> StackResultJs {
        let obj = to_js(&serde_json::json!({"ok": false, "stack": null, "error": null}));
        let layers = self
            .layers
            .iter()
            .map(|(n, l, a, e)| (n.clone(), *l, *a, e))
            .collect();
        match StackEngine::new(layers) {
            Ok(engine) => {
                set(&obj, "ok", &JsValue::TRUE);
                set(&obj, "stack", &JsValue::from(Stack { engine }));
            }
            Err(e) => set(&obj, "error", &JsValue::from(e)),
        }
        obj.unchecked_into()
    }
}

/// Layered policies deciding JSON requests (spec/layers.md). Free it with
/// `free()` when done.
#[wasm_bindgen]
pub struct Stack {
    engine: StackEngine,
}

#[wasm_bindgen]
impl Stack {
    /// Decides one JSON request and returns the decision JSON exactly as
    /// every runtime prints it: the deciding layer's decision with its
    /// `layer`, and `would` when audit layers decide more strictly.
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(&self, input: &JsonText) -> String {
        match request::string_text::<JsValue>(input) {
            Ok(text) => self.engine.decide_json(&text),
            Err(why) => self.engine.decide_json_refused(why),
        }
    }

    /// Runs a stack's tests file (spec/tests.md, "Stack vectors"), like
    /// `polc stack test`.
    #[wasm_bindgen(js_name = runTests)]
    pub fn run_tests(&self, jsonl: &str) -> TestReportJs {
        to_js(&self.engine.run_tests(jsonl)).unchecked_into()
    }
}

/// Loads compiled artifact bytes (a `.apol` file). Bad bytes give
/// `{ok: false, error}`.
#[wasm_bindgen]
pub fn load(bytes: &[u8]) -> LoadResultJs {
    let obj = to_js(&serde_json::json!({"ok": false, "evaluator": null, "error": null}));
    match Engine::from_bytes(bytes) {
        Ok(engine) => {
            set(&obj, "ok", &JsValue::TRUE);
            set(&obj, "evaluator", &JsValue::from(Evaluator { engine }));
        }
        Err(e) => set(&obj, "error", &JsValue::from(e.to_string())),
    }
    obj.unchecked_into()
}

/// The pin of an MCP tool definition given as JSON text (spec/pins.md):
/// `{ok: true, digest, canonical}` or `{ok: false, error, kind}`. A string
/// with a lone surrogate is refused (kind `utf8`), never replaced.
#[wasm_bindgen(js_name = toolDigest)]
pub fn tool_digest(definition: &JsonText) -> ToolDigestJs {
    let result = match definition.as_string() {
        Some(text) if encode_uri_component(definition).is_ok() => {
            crate::pin::tool_digest(text.as_bytes())
        }
        Some(_) => crate::pin::lone_surrogate(),
        None => crate::pin::tool_digest(b"not a string"),
    };
    to_js(&result).unchecked_into()
}

/// `toolDigest` of raw bytes (UTF-8 JSON as `tools/list` sent it).
#[wasm_bindgen(js_name = toolDigestBytes)]
pub fn tool_digest_bytes(definition: &[u8]) -> ToolDigestJs {
    to_js(&crate::pin::tool_digest(definition)).unchecked_into()
}

/// Parses a tests file exactly as `polc test` does: for each non-blank line,
/// the text to decide and the `expect` object, or why the line is invalid.
#[wasm_bindgen(js_name = parseTests)]
pub fn parse_tests(jsonl: &str) -> ParsedCasesJs {
    to_js(&crate::cases::parse(jsonl)).unchecked_into()
}

/// Checks a policy source: every diagnostic with its position.
#[cfg(feature = "compiler")]
#[wasm_bindgen]
pub fn check(source: &str) -> CheckResultJs {
    to_js(&crate::front::check(source)).unchecked_into()
}

#[cfg(feature = "compiler")]
fn compile_output(out: &crate::front::CompileOutput) -> JsValue {
    let obj = to_js(out);
    let bytes = match &out.artifact {
        Some(b) => JsValue::from(Bytes::new(b)),
        None => JsValue::NULL,
    };
    set(&obj, "artifact", &bytes);
    obj
}

/// Checks and compiles a policy source: the artifact bytes, or the
/// diagnostics that prevent it.
#[cfg(feature = "compiler")]
#[wasm_bindgen]
pub fn compile(source: &str) -> CompileResultJs {
    compile_output(&crate::front::compile(source)).unchecked_into()
}

/// `compile` plus an evaluator built from the source, whose decisions come
/// with the deciding rule's source range and every losing match.
#[cfg(feature = "compiler")]
#[wasm_bindgen(js_name = fromSource)]
pub fn from_source(source: &str) -> SourceResultJs {
    let (out, engine) = crate::front::from_source(source);
    let obj = compile_output(&out);
    let evaluator = match engine {
        Some(engine) => JsValue::from(Evaluator { engine }),
        None => JsValue::NULL,
    };
    set(&obj, "evaluator", &evaluator);
    obj.unchecked_into()
}
