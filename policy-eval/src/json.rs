//! The JSON entry point shared by every runtime (CLI, FFI, WASM): one JSON
//! request object in, one decision object out; one listing request in, one
//! listing out ([`Policy::list_tools_json`]). Contract: `spec/requests.md`,
//! `spec/request.schema.json`, `spec/decision.schema.json`.
//!
//! A malformed request always yields an invalid (deny) decision, never an
//! error or a panic. This layer allocates (serde); [`Policy::decide`] itself
//! does not.

use std::borrow::Cow;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::approval::Approval;
use crate::artifact::{Access, ArgConstraint, Condition, Lifetime};
use crate::decide::Unmet;
use crate::decision::{Context, Decision, Http, Invalid, Request};
use crate::limits::{MAX_JSON_DEPTH, MAX_JSON_LIST_BYTES, MAX_JSON_REQUEST_BYTES};
use crate::load::Policy;
use crate::stack::{Stack, StackDecision};
use crate::table::args::Held;
use crate::Surface;

/// A request parsed from JSON, owning its strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedRequest {
    /// See [`Request::Network`].
    Network {
        /// Raw host.
        host: Option<String>,
        /// Raw IP address.
        ip: Option<String>,
        /// Port (values beyond `u32` become 0, which is invalid).
        port: Option<u32>,
        /// HTTP method and path, for a request a proxy sees inside the
        /// connection.
        http: Option<(String, String)>,
    },
    /// See [`Request::Filesystem`].
    Filesystem {
        /// Raw path.
        path: String,
        /// Requested access.
        access: Access,
    },
    /// See [`Request::Credential`].
    Credential {
        /// Raw secret name.
        name: String,
        /// Raw destination host.
        host: Option<String>,
        /// Raw destination IP address.
        ip: Option<String>,
    },
    /// See [`Request::Mcp`].
    Mcp {
        /// Raw server name.
        server: String,
        /// Raw tool name.
        tool: Option<String>,
        /// Raw source.
        source: Option<String>,
        /// The call's arguments, as given.
        arguments: Option<serde_json::Value>,
        /// Raw definition digest.
        definition: Option<String>,
        /// Raw resource URI.
        resource: Option<String>,
        /// Raw prompt name.
        prompt: Option<String>,
    },
}

impl OwnedRequest {
    /// Borrows as a [`Request`].
    pub fn as_request(&self) -> Request<'_> {
        match self {
            OwnedRequest::Network {
                host,
                ip,
                port,
                http,
            } => Request::Network {
                host: host.as_deref(),
                ip: ip.as_deref(),
                port: *port,
                http: http.as_ref().map(|(method, path)| Http { method, path }),
            },
            OwnedRequest::Filesystem { path, access } => Request::Filesystem {
                path,
                access: *access,
            },
            OwnedRequest::Credential { name, host, ip } => Request::Credential {
                name,
                host: host.as_deref(),
                ip: ip.as_deref(),
            },
            OwnedRequest::Mcp {
                server,
                tool,
                source,
                arguments,
                definition,
                resource,
                prompt,
            } => Request::Mcp {
                server,
                tool: tool.as_deref(),
                source: source.as_deref(),
                arguments: arguments.as_ref(),
                definition: definition.as_deref(),
                resource: resource.as_deref(),
                prompt: prompt.as_deref(),
            },
        }
    }
}

/// A context parsed from JSON, owning its strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedContext {
    /// Root bindings in the order given.
    pub roots: Vec<(String, String)>,
    /// User.
    pub user: Option<String>,
    /// Session.
    pub session: Option<String>,
    /// Agent.
    pub agent: Option<String>,
}

/// A request and its context, parsed from one JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    /// The request.
    pub request: OwnedRequest,
    /// Its context.
    pub context: OwnedContext,
}

impl ParsedRequest {
    /// Calls `f` with the borrowed [`Request`] and [`Context`].
    pub fn with<R>(&self, f: impl FnOnce(&Request<'_>, &Context<'_>) -> R) -> R {
        let roots: Vec<(&str, &str)> = self
            .context
            .roots
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_str()))
            .collect();
        let ctx = Context {
            roots: &roots,
            user: self.context.user.as_deref(),
            session: self.context.session.as_deref(),
            agent: self.context.agent.as_deref(),
        };
        f(&self.request.as_request(), &ctx)
    }
}

/// The result of [`Policy::decide_json_detailed`]: the parsed request (absent
/// when the JSON was malformed) and the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonOutcome {
    /// The parsed request, `None` when parsing failed.
    pub request: Option<ParsedRequest>,
    /// The decision (invalid when parsing failed).
    pub decision: Decision,
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest<'a> {
    // Optional so that `"surface": null` is "missing", like every other field.
    #[serde(borrow, default)]
    surface: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ip: Option<Cow<'a, str>>,
    #[serde(default)]
    port: Option<u64>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    access: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    server: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(default)]
    arguments: Option<StrictValue>,
    #[serde(borrow, default)]
    definition: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    prompt: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<RawContext<'a>>,
}

/// A JSON value whose objects repeat no key: `serde_json::Value` keeps the
/// last of two silently, while the tool may read the first, so a repeated
/// argument key makes the request invalid
/// ([`Invalid::ArgumentsDuplicateKey`]).
struct StrictValue(serde_json::Value);

/// The message of a repeated key, recognized by [`classify`].
const DUPLICATE_KEY: &str = "repeated key in arguments";

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, SeqAccess};
        use serde_json::Value;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::from(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::from(n))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
                Ok(Value::from(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(StrictValue(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let StrictValue(v) = map.next_value()?;
                    if m.insert(key, v).is_some() {
                        return Err(A::Error::custom(DUPLICATE_KEY));
                    }
                }
                Ok(Value::Object(m))
            }
        }
        d.deserialize_any(V).map(StrictValue)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext<'a> {
    #[serde(default)]
    roots: Option<Roots>,
    #[serde(borrow, default)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    session: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    agent: Option<Cow<'a, str>>,
}

/// Root bindings, keeping duplicates (the decision reports them).
struct Roots(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Roots {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Roots;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object mapping root names to absolute paths")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Roots, A::Error> {
                let mut v = Vec::new();
                while let Some((k, p)) = m.next_entry::<String, String>()? {
                    v.push((k, p));
                }
                Ok(Roots(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Whether objects and arrays nest deeper than `max` (strings skipped; a
/// cheap byte scan run before `serde_json` recurses), stopping early.
pub(crate) fn nests_deeper_than(input: &[u8], max: usize) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in input {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn classify(e: &serde_json::Error) -> Invalid {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let msg = e.to_string();
            if msg.starts_with("unknown field") {
                Invalid::JsonUnknownField
            } else if msg.starts_with("missing field") {
                Invalid::JsonMissingField
            } else if msg.starts_with(DUPLICATE_KEY) {
                Invalid::ArgumentsDuplicateKey
            } else if msg.starts_with("duplicate field") {
                Invalid::JsonDuplicateField
            } else {
                Invalid::JsonType
            }
        }
        _ => Invalid::JsonSyntax,
    }
}

fn owned(c: Option<Cow<'_, str>>) -> Option<String> {
    c.map(Cow::into_owned)
}

/// Parses one JSON request object (see `spec/requests.md`).
pub fn parse_request(input: &str) -> Result<ParsedRequest, Invalid> {
    if input.len() > MAX_JSON_REQUEST_BYTES {
        return Err(Invalid::JsonTooLarge);
    }
    if nests_deeper_than(input.as_bytes(), MAX_JSON_DEPTH) {
        return Err(Invalid::JsonTooDeep);
    }
    match input.trim_start().as_bytes().first() {
        Some(b'{') => {}
        Some(_) if serde_json::from_str::<serde::de::IgnoredAny>(input).is_ok() => {
            return Err(Invalid::JsonNotObject)
        }
        _ => return Err(Invalid::JsonSyntax),
    }
    let raw: RawRequest = serde_json::from_str(input).map_err(|e| classify(&e))?;
    let context = match raw.context {
        None => OwnedContext::default(),
        Some(c) => OwnedContext {
            roots: c.roots.map(|r| r.0).unwrap_or_default(),
            user: owned(c.user),
            session: owned(c.session),
            agent: owned(c.agent),
        },
    };
    let present = |fields: &[bool]| fields.iter().any(|&b| b);
    let Some(surface) = raw.surface.as_deref() else {
        return Err(Invalid::JsonMissingField);
    };
    let request = match Surface::from_word(surface) {
        Some(Surface::Network) => {
            if present(&[
                raw.access.is_some(),
                raw.name.is_some(),
                raw.server.is_some(),
                raw.tool.is_some(),
                raw.source.is_some(),
                raw.arguments.is_some(),
                raw.definition.is_some(),
                raw.resource.is_some(),
                raw.prompt.is_some(),
            ]) {
                return Err(Invalid::JsonFieldForSurface);
            }
            let http = match (raw.method, raw.path) {
                (None, None) => None,
                (Some(m), Some(p)) => Some((m.into_owned(), p.into_owned())),
                _ => return Err(Invalid::HttpIncomplete),
            };
            OwnedRequest::Network {
                host: owned(raw.host),
                ip: owned(raw.ip),
                port: raw.port.map(|p| u32::try_from(p).unwrap_or(0)),
                http,
            }
        }
        Some(Surface::Filesystem) => {
            if present(&[
                raw.host.is_some(),
                raw.ip.is_some(),
                raw.port.is_some(),
                raw.method.is_some(),
                raw.name.is_some(),
                raw.server.is_some(),
                raw.tool.is_some(),
                raw.source.is_some(),
                raw.arguments.is_some(),
                raw.definition.is_some(),
                raw.resource.is_some(),
                raw.prompt.is_some(),
            ]) {
                return Err(Invalid::JsonFieldForSurface);
            }
            let (Some(path), Some(access)) = (raw.path, raw.access) else {
                return Err(Invalid::JsonMissingField);
            };
            let access = Access::from_word(&access).ok_or(Invalid::JsonAccess)?;
            OwnedRequest::Filesystem {
                path: path.into_owned(),
                access,
            }
        }
        Some(Surface::Credential) => {
            if present(&[
                raw.port.is_some(),
                raw.method.is_some(),
                raw.path.is_some(),
                raw.access.is_some(),
                raw.server.is_some(),
                raw.tool.is_some(),
                raw.source.is_some(),
                raw.arguments.is_some(),
                raw.definition.is_some(),
                raw.resource.is_some(),
                raw.prompt.is_some(),
            ]) {
                return Err(Invalid::JsonFieldForSurface);
            }
            let Some(name) = raw.name else {
                return Err(Invalid::JsonMissingField);
            };
            OwnedRequest::Credential {
                name: name.into_owned(),
                host: owned(raw.host),
                ip: owned(raw.ip),
            }
        }
        Some(Surface::Mcp) => {
            if present(&[
                raw.host.is_some(),
                raw.ip.is_some(),
                raw.port.is_some(),
                raw.method.is_some(),
                raw.path.is_some(),
                raw.access.is_some(),
                raw.name.is_some(),
            ]) {
                return Err(Invalid::JsonFieldForSurface);
            }
            let Some(server) = raw.server else {
                return Err(Invalid::JsonMissingField);
            };
            OwnedRequest::Mcp {
                server: server.into_owned(),
                tool: owned(raw.tool),
                source: owned(raw.source),
                arguments: raw.arguments.map(|a| a.0),
                definition: owned(raw.definition),
                resource: owned(raw.resource),
                prompt: owned(raw.prompt),
            }
        }
        None => return Err(Invalid::JsonSurface),
    };
    Ok(ParsedRequest { request, context })
}

// ---------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------

/// A lifetime as JSON: `"session"` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LifetimeJson {
    /// `"session"`.
    Session(&'static str),
    /// Seconds.
    Seconds(u32),
}

impl From<Lifetime> for LifetimeJson {
    fn from(l: Lifetime) -> Self {
        match l {
            Lifetime::Session => LifetimeJson::Session(Lifetime::SESSION_WORD),
            Lifetime::Seconds(s) => LifetimeJson::Seconds(s),
        }
    }
}

#[derive(Serialize)]
struct DecisionJson<'a> {
    decision: &'static str,
    rule: Option<&'a str>,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifetime: Option<LifetimeJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval: Option<Approval>,
    /// The argument constraints of the deciding rule, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    constraints: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unmet: Option<UnmetJson<'a>>,
    /// The deciding layer of a stack's decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<&'a str>,
    /// What a stack would decide with its audit layers enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    would: Option<WouldJson<'a>>,
}

/// A stack's would-be decision (`spec/layers.md`, "Audit layers"), members
/// in key order.
#[derive(Serialize)]
struct WouldJson<'a> {
    decision: &'static str,
    layer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifetime: Option<LifetimeJson>,
    reason: &'static str,
    rule: Option<&'a str>,
}

/// The stack parts of a decision's JSON: the deciding layer's name and the
/// would-be decision.
type Layered<'a> = (&'a str, Option<WouldJson<'a>>);

/// The constraint that kept an allow or ask rule from deciding a tool call.
/// Members in key order, as every nested object of a decision (so a
/// flattened expectation, written with sorted keys, matches byte for byte).
#[derive(Serialize)]
struct UnmetJson<'a> {
    constraint: String,
    /// `failed`, or `missing or mistyped`.
    outcome: &'static str,
    rule: &'a str,
}

/// Returned only if serialization itself fails (it cannot for these types).
const FALLBACK: &str =
    r#"{"decision":"deny","rule":null,"reason":"invalid","message":"internal error"}"#;

impl Policy {
    /// Decides one JSON request and returns the decision as a JSON object
    /// (no trailing newline). Never fails: malformed input gives an invalid
    /// (deny) decision.
    pub fn decide_json(&self, input: &str) -> String {
        self.outcome_json(&self.decide_json_detailed(input))
    }

    /// The decision JSON of a JSON request's outcome: as
    /// [`Policy::decision_json`], plus for an `ask` decision its
    /// `approval` (the rule's reason and the request digest,
    /// [`crate::approval`]). What every JSON entry point returns.
    pub fn outcome_json(&self, out: &JsonOutcome) -> String {
        let (approval, unmet) = match &out.request {
            Some(req) => req.with(|r, c| {
                (
                    self.approval(r, &out.decision),
                    self.unmet_constraint(r, c, &out.decision),
                )
            }),
            None => (None, None),
        };
        self.render_decision(&out.decision, approval, unmet, None)
    }

    /// Like [`Policy::decide_json`], but returns the parsed request and the
    /// structured decision (for building events without parsing twice).
    pub fn decide_json_detailed(&self, input: &str) -> JsonOutcome {
        match parse_request(input) {
            Ok(req) => {
                let decision = req.with(|r, c| self.decide(r, c));
                JsonOutcome {
                    request: Some(req),
                    decision,
                }
            }
            Err(why) => JsonOutcome {
                request: None,
                decision: Decision::invalid(why),
            },
        }
    }

    /// [`Policy::decide_json_detailed`] on raw bytes, as the C ABI and
    /// `polc eval` receive a request: over [`MAX_JSON_REQUEST_BYTES`] is too
    /// large (checked first, since a cut line may end inside a character),
    /// and invalid UTF-8 is not well-formed JSON, never replaced by U+FFFD
    /// and decided.
    pub fn decide_json_bytes_detailed(&self, input: &[u8]) -> JsonOutcome {
        match json_text(input) {
            Ok(text) => self.decide_json_detailed(text),
            Err(why) => JsonOutcome {
                request: None,
                decision: Decision::invalid(why),
            },
        }
    }

    /// Renders a decision as the JSON object of `spec/decision.schema.json`,
    /// without the `approval` of an `ask` (it needs the request:
    /// [`Policy::outcome_json`]).
    pub fn decision_json(&self, d: &Decision) -> String {
        self.render_decision(d, None, None, None)
    }

    fn render_decision(
        &self,
        d: &Decision,
        approval: Option<Approval>,
        unmet: Option<Unmet>,
        layered: Option<Layered<'_>>,
    ) -> String {
        let rule = d.rule.and_then(|i| self.rule(i));
        let pin_text = |ri: u32| {
            self.mcp
                .pin_of_rule(&self.art, ri)
                .map(|p| pinned_text(&p.digests))
        };
        let mut constraints: Vec<String> = d.rule.and_then(pin_text).into_iter().collect();
        if let Some(Condition::Arguments(cs)) = rule.map(|r| &r.cond) {
            constraints.extend(cs.iter().map(ArgConstraint::text));
        }
        let unmet = unmet.and_then(|u| {
            let r = self.rule(u.rule)?;
            let constraint = match (u.constraint, &r.cond) {
                (None, _) => pin_text(u.rule)?,
                (Some(ci), Condition::Arguments(cs)) => cs.get(ci)?.text(),
                (Some(_), _) => return None,
            };
            Some(UnmetJson {
                rule: r.id.as_str(),
                constraint,
                outcome: if u.held == Held::No {
                    "failed"
                } else {
                    "missing or mistyped"
                },
            })
        });
        let message = match d.reason {
            crate::Reason::Invalid(why) => Some(why.message()),
            _ => None,
        };
        let v = DecisionJson {
            decision: d.effect.as_str(),
            rule: rule.map(|r| r.id.as_str()),
            reason: d.reason.as_str(),
            message,
            lifetime: d.lifetime.map(LifetimeJson::from),
            approval,
            constraints,
            unmet,
            layer: layered.as_ref().map(|l| l.0),
            would: layered.and_then(|l| l.1),
        };
        serde_json::to_string(&v).unwrap_or_else(|_| FALLBACK.to_string())
    }

    /// Why `d` was decided, in one sentence for people: the deciding rule,
    /// the surface default, or why the request is invalid. The summary of
    /// `polc explain` and of the WASM explanations (both builds).
    pub fn decision_summary(&self, d: &Decision) -> String {
        match d.reason {
            crate::Reason::Invalid(why) => format!("the request is invalid: {}", why.message()),
            crate::Reason::Default => format!(
                "no rule applies; the surface default is `{}`",
                d.effect.as_str()
            ),
            crate::Reason::Rule => match d.rule.and_then(|i| self.rule(i)) {
                Some(r) => format!("deciding rule `{}` ({})", r.id, r.effect.as_str()),
                None => "a rule decided".to_string(),
            },
        }
    }
}

/// The text of a JSON request given as bytes: over
/// [`MAX_JSON_REQUEST_BYTES`] is too large (checked first, since a cut line
/// may end inside a character), and invalid UTF-8 is not well-formed JSON,
/// never replaced by U+FFFD and decided.
fn json_text(input: &[u8]) -> Result<&str, Invalid> {
    if input.len() > MAX_JSON_REQUEST_BYTES {
        return Err(Invalid::JsonTooLarge);
    }
    std::str::from_utf8(input).map_err(|_| Invalid::JsonSyntax)
}

impl Stack {
    /// [`Stack::decide_json`] on raw bytes, checked as
    /// [`Policy::decide_json_bytes_detailed`] checks them.
    pub fn decide_json_bytes(&self, input: &[u8]) -> String {
        let (request, sd) = self.decide_request_bytes(input);
        self.decision_json(request.as_ref(), &sd)
    }

    /// The parsed request of raw JSON bytes (`None` when it could not be
    /// parsed: too large, not UTF-8, not a request) and the stack's
    /// decision of it, for building events.
    pub fn decide_request_bytes(&self, input: &[u8]) -> (Option<ParsedRequest>, StackDecision) {
        match json_text(input) {
            Ok(text) => self.decide_request(text),
            Err(why) => (None, self.invalid(why)),
        }
    }

    fn decide_request(&self, input: &str) -> (Option<ParsedRequest>, StackDecision) {
        match parse_request(input) {
            Ok(req) => {
                let sd = req.with(|r, c| self.decide(r, c));
                (Some(req), sd)
            }
            Err(why) => (None, self.invalid(why)),
        }
    }

    /// Decides one JSON request with the stack and returns the decision JSON
    /// of its deciding layer (as [`Policy::outcome_json`]) with that layer's
    /// `layer` name and, when audit layers would decide otherwise, `would`
    /// (`spec/layers.md`). Never fails.
    pub fn decide_json(&self, input: &str) -> String {
        self.decide_json_detailed(input).1
    }

    /// [`Stack::decide_json`] with the structured decision.
    pub fn decide_json_detailed(&self, input: &str) -> (StackDecision, String) {
        let (request, sd) = self.decide_request(input);
        let json = self.decision_json(request.as_ref(), &sd);
        (sd, json)
    }

    /// The decision JSON of `sd`, a decision of `request` (`None`: the
    /// request could not be parsed).
    pub fn decision_json(&self, request: Option<&ParsedRequest>, sd: &StackDecision) -> String {
        let layers = self.layers();
        let Some(layer) = layers.get(sd.layer) else {
            return FALLBACK.to_string();
        };
        let policy = &layer.policy;
        let (approval, unmet) = match request {
            Some(req) => req.with(|r, c| {
                (
                    policy.approval(r, &sd.decision),
                    policy.unmet_constraint(r, c, &sd.decision),
                )
            }),
            None => (None, None),
        };
        let would = sd.would.and_then(|(d, i)| {
            let l = layers.get(i)?;
            Some(WouldJson {
                decision: d.effect.as_str(),
                layer: l.name.as_str(),
                lifetime: d.lifetime.map(LifetimeJson::from),
                reason: d.reason.as_str(),
                rule: d
                    .rule
                    .and_then(|ri| l.policy.rule(ri))
                    .map(|r| r.id.as_str()),
            })
        });
        policy.render_decision(&sd.decision, approval, unmet, Some((&layer.name, would)))
    }
}

// ---------------------------------------------------------------------------
// Listing tools
// ---------------------------------------------------------------------------

/// A JSON listing request (`spec/requests.md`, "Listing tools"), borrowing
/// from the input where it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedListing<'a> {
    /// Raw server name.
    pub server: Cow<'a, str>,
    /// Raw source, `None` when absent or `null`.
    pub source: Option<Cow<'a, str>>,
    /// Raw tool names, in the order given.
    pub tools: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListing<'a> {
    #[serde(borrow)]
    server: Cow<'a, str>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tools: Vec<ToolName<'a>>,
}

/// A tool name that borrows from the input unless it has escapes.
#[derive(Deserialize)]
struct ToolName<'a>(#[serde(borrow)] Cow<'a, str>);

/// Why a JSON listing request was refused as a whole: the `error` object of
/// `spec/list.schema.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListJsonError {
    /// Malformed request; the [`Invalid`] says how (its message is reused).
    Invalid(Invalid),
    /// Larger than [`MAX_JSON_LIST_BYTES`].
    TooLarge,
    /// More tools than [`crate::limits::MAX_LISTED_TOOLS`].
    TooManyTools(crate::ListError),
}

impl ListJsonError {
    /// The `error` word: `invalid` for a malformed request (too large,
    /// too deep, not JSON, wrong fields or types), `too_many_tools`.
    pub fn kind(&self) -> &'static str {
        match self {
            ListJsonError::Invalid(_) | ListJsonError::TooLarge => "invalid",
            ListJsonError::TooManyTools(_) => "too_many_tools",
        }
    }

    /// The `message`, for people.
    pub fn message(&self) -> String {
        match self {
            ListJsonError::Invalid(Invalid::JsonMissingField) => {
                "listing request needs `server` (string) and `tools` (array of strings)".to_string()
            }
            ListJsonError::Invalid(why) => why.message().replacen("request", "listing request", 1),
            ListJsonError::TooLarge => "listing request is larger than 2 MiB".to_string(),
            ListJsonError::TooManyTools(e) => e.to_string(),
        }
    }

    /// The error object: `{"error": KIND, "message": TEXT}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct ErrorJson<'a> {
            error: &'static str,
            message: &'a str,
        }
        let message = self.message();
        serde_json::to_string(&ErrorJson {
            error: self.kind(),
            message: &message,
        })
        .unwrap_or_else(|_| LIST_FALLBACK.to_string())
    }
}

/// Returned only if serialization itself fails (it cannot for these types).
const LIST_FALLBACK: &str = r#"{"error":"invalid","message":"internal error"}"#;

/// Parses one JSON listing request `{"server", "source"?, "tools"}`, with the
/// boundary checks of [`parse_request`]: size ([`MAX_JSON_LIST_BYTES`])
/// before anything, nesting depth ([`MAX_JSON_DEPTH`]) before `serde_json`
/// recurses, one object, no unknown or repeated fields, strings where
/// strings belong. The number of tools is checked by the listing itself.
pub fn parse_listing(input: &str) -> Result<ParsedListing<'_>, ListJsonError> {
    if input.len() > MAX_JSON_LIST_BYTES {
        return Err(ListJsonError::TooLarge);
    }
    if nests_deeper_than(input.as_bytes(), MAX_JSON_DEPTH) {
        return Err(ListJsonError::Invalid(Invalid::JsonTooDeep));
    }
    match input.trim_start().as_bytes().first() {
        Some(b'{') => {}
        Some(_) if serde_json::from_str::<serde::de::IgnoredAny>(input).is_ok() => {
            return Err(ListJsonError::Invalid(Invalid::JsonNotObject))
        }
        _ => return Err(ListJsonError::Invalid(Invalid::JsonSyntax)),
    }
    let raw: RawListing =
        serde_json::from_str(input).map_err(|e| ListJsonError::Invalid(classify(&e)))?;
    Ok(ParsedListing {
        server: raw.server,
        source: raw.source,
        tools: raw.tools.into_iter().map(|t| t.0).collect(),
    })
}

#[derive(Serialize)]
struct ListingJson<'a> {
    tools: Vec<ListedJson<'a>>,
}

#[derive(Serialize)]
struct ListedJson<'a> {
    name: &'a str,
    listed: bool,
    decision: &'static str,
    rule: Option<&'a str>,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

impl Policy {
    /// Lists tools for one JSON listing request and returns the listing as
    /// JSON (no trailing newline): `{"tools": [{"name", "listed",
    /// "decision", "rule", "reason", "message"?}, ...]}` in input order, or
    /// `{"error", "message"}` when the request is malformed or names more
    /// than [`crate::limits::MAX_LISTED_TOOLS`] tools
    /// (`spec/list.schema.json`). Never panics.
    pub fn list_tools_json(&self, input: &str) -> String {
        match self.list_tools_json_detailed(input) {
            Ok(s) | Err(s) => s,
        }
    }

    /// [`Policy::list_tools_json`] on raw bytes, as the C ABI and `polc
    /// list-tools` receive it: size first, then UTF-8 (invalid UTF-8 is not
    /// JSON). `Err` holds the error object.
    pub fn list_tools_json_bytes(&self, input: &[u8]) -> Result<String, String> {
        if input.len() > MAX_JSON_LIST_BYTES {
            return Err(ListJsonError::TooLarge.to_json());
        }
        match std::str::from_utf8(input) {
            Ok(text) => self.list_tools_json_detailed(text),
            Err(_) => Err(ListJsonError::Invalid(Invalid::JsonSyntax).to_json()),
        }
    }

    /// [`Policy::list_tools_json`], telling the listing (`Ok`) from the
    /// error object (`Err`).
    pub fn list_tools_json_detailed(&self, input: &str) -> Result<String, String> {
        let req = parse_listing(input).map_err(|e| e.to_json())?;
        let mut listed = Vec::new();
        self.list_tools_into(
            &req.server,
            req.source.as_deref(),
            req.tools.iter().map(|t| &**t),
            &mut listed,
        )
        .map_err(|e| ListJsonError::TooManyTools(e).to_json())?;
        Ok(self.listing_json(req.tools.iter().map(|t| &**t), &listed))
    }

    /// Renders a listing: `names` and `listed` pair up in order.
    pub fn listing_json<'n>(
        &self,
        names: impl Iterator<Item = &'n str>,
        listed: &[crate::Listed],
    ) -> String {
        let tools = names
            .zip(listed)
            .map(|(name, l)| {
                let d = &l.decision;
                ListedJson {
                    name,
                    listed: l.listed,
                    decision: d.effect.as_str(),
                    rule: d.rule.and_then(|i| self.rule(i)).map(|r| r.id.as_str()),
                    reason: d.reason.as_str(),
                    message: match d.reason {
                        crate::Reason::Invalid(why) => Some(why.message()),
                        _ => None,
                    },
                }
            })
            .collect();
        serde_json::to_string(&ListingJson { tools }).unwrap_or_else(|_| LIST_FALLBACK.to_string())
    }
}

/// A pin as a policy writes it: `pinned "sha256:...", ...`.
fn pinned_text(digests: &[crate::pin::DefinitionDigest]) -> String {
    let quoted: Vec<String> = digests
        .iter()
        .map(|d| format!("\"{}\"", crate::pin::digest_text(d)))
        .collect();
    format!("pinned {}", quoted.join(", "))
}
