//! The JSON Schemas of `spec/` against real outputs and inputs: every decision
//! that `Policy::decide_json` gives for the conformance, bypass and example
//! cases satisfies `spec/decision.schema.json`, and every request the runtime
//! accepts (its decision is not `invalid`) satisfies `spec/request.schema.json`.
//! The schemas' own `examples` must satisfy them too.
//!
//! The validator below covers the subset of JSON Schema 2020-12 the two
//! schemas use, and fails on any keyword it does not know, so a schema edit
//! that needs more cannot pass by being ignored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(rel: &str) -> Value {
    let path = root().join(rel);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// A schema document, for resolving `$ref`s into its `$defs`.
struct Schema {
    doc: Value,
}

/// Keywords that only annotate; they never make an instance fail.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "examples",
];

impl Schema {
    fn validate(&self, instance: &Value) -> Result<(), String> {
        self.check(&self.doc, instance, "$")
    }

    fn check(&self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let s = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(format!("{at}: no value is allowed here")),
            Value::Object(s) => s,
            other => panic!("schema at {at} is not an object or boolean: {other}"),
        };
        for (key, arg) in s {
            match key.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                // `then` is checked with its `if`.
                "then" => assert!(s.contains_key("if"), "`then` without `if` at {at}"),
                "$ref" => self.check(self.resolve(arg), v, at)?,
                "type" => {
                    let ok = match arg {
                        Value::String(t) => has_type(v, t),
                        Value::Array(ts) => ts.iter().any(|t| has_type(v, t.as_str().unwrap())),
                        _ => panic!("bad `type` at {at}"),
                    };
                    if !ok {
                        return Err(format!("{at}: {v} is not of type {arg}"));
                    }
                }
                "enum" => {
                    if !arg.as_array().unwrap().contains(v) {
                        return Err(format!("{at}: {v} is not one of {arg}"));
                    }
                }
                "const" => {
                    if arg != v {
                        return Err(format!("{at}: {v} is not {arg}"));
                    }
                }
                "required" => {
                    if let Value::Object(o) = v {
                        for name in arg.as_array().unwrap() {
                            if !o.contains_key(name.as_str().unwrap()) {
                                return Err(format!("{at}: missing required {name}"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Value::Object(o) = v {
                        for (name, sub) in arg.as_object().unwrap() {
                            if let Some(x) = o.get(name) {
                                self.check(sub, x, &format!("{at}.{name}"))?;
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Value::Object(o) = v {
                        let declared = s.get("properties").and_then(Value::as_object);
                        for (name, x) in o {
                            if declared.is_some_and(|d| d.contains_key(name)) {
                                continue;
                            }
                            self.check(arg, x, &format!("{at}.{name}"))
                                .map_err(|e| format!("{e} (additional property {name:?})"))?;
                        }
                    }
                }
                "maxProperties" => {
                    if let Value::Object(o) = v {
                        if o.len() as u64 > arg.as_u64().unwrap() {
                            return Err(format!("{at}: more than {arg} properties"));
                        }
                    }
                }
                "items" => {
                    if let Value::Array(a) = v {
                        for (i, x) in a.iter().enumerate() {
                            self.check(arg, x, &format!("{at}[{i}]"))?;
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let Some(n) = v.as_f64() {
                        let bound = arg.as_f64().unwrap();
                        if (key == "minimum" && n < bound) || (key == "maximum" && n > bound) {
                            return Err(format!("{at}: {v} is outside {key} {arg}"));
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let Value::String(t) = v {
                        let len = t.chars().count() as u64;
                        let bound = arg.as_u64().unwrap();
                        if (key == "minLength" && len < bound)
                            || (key == "maxLength" && len > bound)
                        {
                            return Err(format!("{at}: length {len} is outside {key} {arg}"));
                        }
                    }
                }
                "pattern" => {
                    if let Value::String(t) = v {
                        let re = Pattern::parse(arg.as_str().unwrap());
                        if !re.matches(t) {
                            return Err(format!("{at}: {v} does not match {arg}"));
                        }
                    }
                }
                "allOf" => {
                    for sub in arg.as_array().unwrap() {
                        self.check(sub, v, at)?;
                    }
                }
                "anyOf" => {
                    let subs = arg.as_array().unwrap();
                    if !subs.iter().any(|sub| self.check(sub, v, at).is_ok()) {
                        return Err(format!("{at}: {v} matches none of anyOf"));
                    }
                }
                "oneOf" => {
                    let subs = arg.as_array().unwrap();
                    let matching = subs.iter().filter(|sub| self.check(sub, v, at).is_ok());
                    let n = matching.count();
                    if n != 1 {
                        let errors: Vec<String> = subs
                            .iter()
                            .filter_map(|sub| self.check(sub, v, at).err())
                            .collect();
                        return Err(format!(
                            "{at}: {v} matches {n} of oneOf, not exactly one ({})",
                            errors.join("; ")
                        ));
                    }
                }
                "not" => {
                    if self.check(arg, v, at).is_ok() {
                        return Err(format!("{at}: {v} matches the `not` schema {arg}"));
                    }
                }
                "if" => {
                    if self.check(arg, v, at).is_ok() {
                        if let Some(then) = s.get("then") {
                            self.check(then, v, at)?;
                        }
                    }
                }
                other => {
                    panic!("the test's validator does not know the keyword `{other}` (at {at})")
                }
            }
        }
        Ok(())
    }

    fn resolve(&self, reference: &Value) -> &Value {
        let r = reference.as_str().unwrap();
        let name = r
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("only local `#/$defs/` references are supported: {r}"));
        self.doc
            .get("$defs")
            .and_then(|d| d.get(name))
            .unwrap_or_else(|| panic!("unresolved $ref {r}"))
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other}"),
    }
}

/// The regular expressions of `pattern`: anchored (`^...$`) sequences of
/// character classes (`[...]`, with ranges, `^` negation and `\uXXXX`
/// escapes) or literal characters, each optionally quantified by `*` or
/// `{m,n}`. Anything else panics, so a new pattern cannot pass untested.
struct Pattern {
    atoms: Vec<(Class, usize, usize)>,
}

struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

impl Pattern {
    fn parse(p: &str) -> Pattern {
        let body = p
            .strip_prefix('^')
            .and_then(|b| b.strip_suffix('$'))
            .unwrap_or_else(|| panic!("pattern {p:?} is not anchored with ^...$"));
        let mut chars = body.chars().peekable();
        let mut atoms = Vec::new();
        while let Some(c) = chars.next() {
            let class = match c {
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        let lo = match chars.next() {
                            Some(']') => break,
                            Some('\\') => escape(&mut chars, p),
                            Some(c) => c,
                            None => panic!("unclosed class in {p:?}"),
                        };
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            match chars.next() {
                                Some('\\') => escape(&mut chars, p),
                                Some(c) if c != ']' => c,
                                _ => panic!("bad range in {p:?}"),
                            }
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    Class { negated, ranges }
                }
                '\\' => {
                    let c = escape(&mut chars, p);
                    Class {
                        negated: false,
                        ranges: vec![(c, c)],
                    }
                }
                '.' | '(' | ')' | '|' | '+' | '?' | '*' | '{' => {
                    panic!("pattern {p:?}: `{c}` is not supported by the test's matcher")
                }
                c => Class {
                    negated: false,
                    ranges: vec![(c, c)],
                },
            };
            let (min, max) = if chars.next_if_eq(&'*').is_some() {
                (0, usize::MAX)
            } else if chars.next_if_eq(&'{').is_some() {
                let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let (m, n) = spec.split_once(',').unwrap_or((&spec, &spec));
                (m.parse().unwrap(), n.parse().unwrap())
            } else {
                (1, 1)
            };
            atoms.push((class, min, max));
        }
        Pattern { atoms }
    }

    /// Greedy, without backtracking: exact for the patterns in use, where an
    /// atom repeated is the last one (`^/[^\u0000]*$`) or the only one.
    fn matches(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        for (class, min, max) in &self.atoms {
            let mut n = 0;
            while n < *max && i < chars.len() && class.contains(chars[i]) {
                i += 1;
                n += 1;
            }
            if n < *min {
                return false;
            }
        }
        i == chars.len()
    }
}

fn escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, p: &str) -> char {
    match chars.next() {
        Some('u') => {
            let hex: String = chars.by_ref().take(4).collect();
            char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap()
        }
        Some(c) if !c.is_ascii_alphanumeric() => c,
        other => panic!("pattern {p:?}: escape {other:?} is not supported"),
    }
}

#[test]
fn the_pattern_matcher_matches_like_a_regex_engine() {
    let name = Pattern::parse("^[!-~]{1,256}$");
    assert!(name.matches("GITHUB_TOKEN"));
    assert!(!name.matches(""));
    assert!(!name.matches("two words"));
    assert!(!name.matches(&"x".repeat(257)));
    assert!(name.matches(&"x".repeat(256)));
    let path = Pattern::parse("^/[^\\u0000]*$");
    assert!(path.matches("/"));
    assert!(path.matches("/home/a b"));
    assert!(!path.matches("relative"));
    assert!(!path.matches("/a\0b"));
    let printable = Pattern::parse("^[^\\u0000-\\u001f\\u007f]*$");
    assert!(printable.matches("ghcr.io/x:v1 é"));
    assert!(!printable.matches("a\nb"));
    assert!(!printable.matches("\u{7f}"));
}

#[test]
fn the_validator_rejects_what_the_decision_schema_forbids() {
    let schema = Schema {
        doc: read_json("spec/decision.schema.json"),
    };
    for bad in [
        r#"{"decision":"allow","rule":"a"}"#,
        r#"{"decision":"maybe","rule":"a","reason":"rule"}"#,
        r#"{"decision":"allow","rule":"a","reason":"rule","extra":1}"#,
        r#"{"decision":"allow","rule":null,"reason":"rule"}"#,
        r#"{"decision":"deny","rule":null,"reason":"invalid"}"#,
        r#"{"decision":"allow","rule":null,"reason":"invalid","message":"m"}"#,
        r#"{"decision":"deny","rule":null,"reason":"default","lifetime":"session"}"#,
        r#"{"decision":"allow","rule":"a","reason":"rule","lifetime":-1}"#,
        r#"{"decision":"allow","rule":"a","reason":"rule","lifetime":"forever"}"#,
    ] {
        let v: Value = serde_json::from_str(bad).unwrap();
        assert!(schema.validate(&v).is_err(), "accepted {bad}");
    }
}

#[test]
fn the_validator_rejects_what_the_request_schema_forbids() {
    let schema = Schema {
        doc: read_json("spec/request.schema.json"),
    };
    let net = r#""surface":"network","host":"a.com","port":443"#;
    for good in [
        format!(r#"{{{net},"method":"GET","path":"/"}}"#),
        format!(r#"{{{net},"method":"TRACE","path":"/a%C3%A9/100%25/"}}"#),
        format!(r#"{{{net},"method":null,"path":null}}"#),
        format!(r#"{{{net},"path":null}}"#),
    ] {
        let v: Value = serde_json::from_str(&good).unwrap();
        assert_eq!(schema.validate(&v), Ok(()), "{good}");
    }
    for bad in [
        format!(r#"{{{net},"method":"GET"}}"#),
        format!(r#"{{{net},"path":"/x"}}"#),
        format!(r#"{{{net},"method":"GET","path":null}}"#),
        format!(r#"{{{net},"method":null,"path":"/x"}}"#),
        format!(r#"{{{net},"method":"get","path":"/x"}}"#),
        format!(r#"{{{net},"method":"PROPFIND","path":"/x"}}"#),
        format!(r#"{{{net},"method":"GET","path":"x"}}"#),
        format!(r#"{{{net},"method":"GET","path":"/a?x"}}"#),
        format!(r#"{{{net},"method":"GET","path":"/a b"}}"#),
        format!(r#"{{{net},"method":"GET","path":"/café"}}"#),
        format!(r#"{{{net},"method":"GET","path":"/{}"}}"#, "a".repeat(4096)),
        r#"{"surface":"filesystem","path":"/x","access":"read","method":"GET"}"#.to_owned(),
        r#"{"surface":"mcp","server":"s","method":"GET"}"#.to_owned(),
    ] {
        let v: Value = serde_json::from_str(&bad).unwrap();
        assert!(schema.validate(&v).is_err(), "accepted {bad}");
    }
}

#[test]
fn each_schema_accepts_its_own_examples() {
    for rel in [
        "spec/decision.schema.json",
        "spec/request.schema.json",
        "spec/list.schema.json",
    ] {
        let schema = Schema {
            doc: read_json(rel),
        };
        let examples = schema.doc["examples"].as_array().expect("examples");
        assert!(!examples.is_empty(), "{rel} has no examples");
        for ex in examples {
            if let Err(e) = schema.validate(ex) {
                panic!("{rel}: its example {ex} fails: {e}");
            }
        }
    }
}

/// Every `(policy, tests file)` pair of the conformance vectors, the bypass
/// corpus and the bundled examples.
fn cases() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["tests/conformance", "tests/bypass", "examples"] {
        let dir = root().join(dir);
        let mut policies: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "policy"))
            .collect();
        policies.sort();
        for p in policies {
            let tests = p.with_extension("tests.jsonl");
            assert!(tests.exists(), "{} has no tests file", p.display());
            out.push((p, tests));
        }
    }
    out
}

#[test]
fn real_decisions_and_accepted_requests_satisfy_the_schemas() {
    let decision_schema = Schema {
        doc: read_json("spec/decision.schema.json"),
    };
    let request_schema = Schema {
        doc: read_json("spec/request.schema.json"),
    };
    let (mut decisions, mut requests) = (0, 0);
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for (policy_path, tests_path) in cases() {
        let source = std::fs::read_to_string(&policy_path).unwrap();
        let built = policy_lang::build(&source);
        let policy = built
            .policy
            .unwrap_or_else(|| panic!("{} does not build", policy_path.display()));
        let tests = std::fs::read_to_string(&tests_path).unwrap();
        for (n, line) in tests.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let where_ = format!("{}:{}", tests_path.display(), n + 1);
            let case: Value = serde_json::from_str(line).unwrap();
            let input = match (&case["request"], &case["raw"]) {
                (Value::Null, Value::String(raw)) => raw.clone(),
                (req, Value::Null) => req.to_string(),
                _ => panic!("{where_}: a case has `request` or `raw`"),
            };
            let out = policy.decide_json(&input);
            let decision: Value = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{where_}: decision is not JSON ({e}): {out}"));
            decisions += 1;
            if let Err(e) = decision_schema.validate(&decision) {
                failures.push(format!("{where_}: decision {out} fails: {e}"));
            }
            let reason = decision["reason"].as_str().unwrap_or("?").to_owned();
            if decision.get("lifetime").is_some() {
                seen.insert("lifetime".to_owned());
            }
            seen.insert(reason.clone());
            if reason != "invalid" && !case["request"].is_null() {
                requests += 1;
                if let Err(e) = request_schema.validate(&case["request"]) {
                    failures.push(format!(
                        "{where_}: request {} is decided ({out}) but fails the schema: {e}",
                        case["request"]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpora exercise every kind of decision, so each branch of the
    // decision schema is checked against real output.
    for kind in ["rule", "default", "invalid", "lifetime"] {
        assert!(seen.contains(kind), "no decision with {kind}");
    }
    assert!(decisions > 500, "only {decisions} decisions checked");
    assert!(requests > 300, "only {requests} accepted requests checked");
}

/// Every listing request, listing and error object of the listing vectors
/// (`tests/listing/`) satisfies `spec/list.schema.json`: the requests the
/// runtime lists, and the answers it gives, built from source.
#[test]
fn listing_vectors_satisfy_the_list_schema() {
    let schema = Schema {
        doc: read_json("spec/list.schema.json"),
    };
    let src = std::fs::read_to_string(root().join("tests/listing/mcp.policy")).unwrap();
    let policy = policy_lang::build(&src).policy.unwrap();
    let text = std::fs::read_to_string(root().join("tests/listing/mcp.listing.jsonl")).unwrap();
    let file = policy_eval::cases::listing::ListingFile::parse("mcp.listing.jsonl", &text).unwrap();
    let (mut requests, mut answers) = (0, 0);
    for case in &file.cases {
        let out: Value = serde_json::from_str(&policy.list_tools_json(&case.request)).unwrap();
        schema
            .validate(&out)
            .unwrap_or_else(|e| panic!("{}: answer {out}: {e}", case.place));
        answers += 1;
        if out.get("tools").is_some() {
            let req: Value = serde_json::from_str(&case.request).unwrap();
            schema
                .validate(&req)
                .unwrap_or_else(|e| panic!("{}: request: {e}", case.place));
            requests += 1;
        }
    }
    assert!(requests >= 10 && answers >= 15, "{requests} {answers}");
    for bad in [
        r#"{"tools":[{"name":"","listed":true,"decision":"deny","rule":null,"reason":"invalid","message":"name is empty"}]}"#,
        r#"{"tools":[{"name":"a","listed":false,"decision":"allow","rule":"r","reason":"rule"}]}"#,
        r#"{"server":"a","tools":[1]}"#,
        r#"{"error":"truncated","message":"x"}"#,
    ] {
        let v: Value = serde_json::from_str(bad).unwrap();
        assert!(schema.validate(&v).is_err(), "accepted {bad}");
    }
}
