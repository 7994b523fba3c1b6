//! `polc replay EVENTS.jsonl --policy CANDIDATE`: re-decide the requests
//! recorded in decision events (`spec/events.md`) with a candidate policy
//! and report, per recorded rule and in total, what would change
//! (`spec/analysis.md`, "Replay").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use policy_eval::{Decision, Effect, Policy, Reason, Stack};
use serde_json::{json, Map, Value};

use crate::cmd::stack::load_stack_file;
use crate::input::load_any;
use crate::{Format, EXIT_OK, EXIT_USAGE};

/// The event schema this replay reads.
const SCHEMA: u64 = 1;

/// Changed events listed in full (the rest are counted).
const LISTED: usize = 100;

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    Unchanged,
    Allowed,
    Denied,
    Asked,
}

/// Counts per fate.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    events: u64,
    unchanged: u64,
    allowed: u64,
    denied: u64,
    asked: u64,
}

impl Counts {
    fn add(&mut self, f: Fate) {
        self.events += 1;
        match f {
            Fate::Unchanged => self.unchanged += 1,
            Fate::Allowed => self.allowed += 1,
            Fate::Denied => self.denied += 1,
            Fate::Asked => self.asked += 1,
        }
    }
    fn json(&self) -> Value {
        json!({
            "events": self.events,
            "unchanged": self.unchanged,
            "newly_allowed": self.allowed,
            "newly_denied": self.denied,
            "newly_asked": self.asked,
        })
    }
}

/// The request JSON `polc eval` takes, rebuilt from an event, or why the
/// event cannot be replayed.
fn request_of(
    event: &Value,
    candidate: &Candidate,
    roots: &Map<String, Value>,
) -> Result<String, String> {
    let schema = event.get("schema").and_then(Value::as_u64);
    if schema != Some(SCHEMA) {
        return Err(match event.get("schema") {
            Some(s) => format!("schema {s} (this polc reads schema {SCHEMA})"),
            None => "not a decision event (no `schema`)".to_string(),
        });
    }
    let Some(surface) = event.get("surface").and_then(Value::as_str) else {
        return Err("the recorded input was not a request".to_string());
    };
    let Some(Value::Object(fields)) = event.get("request") else {
        return Err("no recorded request".to_string());
    };
    let mut req = fields.clone();
    req.insert("surface".to_string(), json!(surface));
    match surface {
        "filesystem" => {
            if req.get("access").and_then(Value::as_str) == Some("read_write") {
                req.insert("access".to_string(), json!("read write"));
            }
            let missing = candidate
                .policies()
                .flat_map(Policy::required_roots)
                .find(|r| !roots.contains_key(*r));
            if let Some(missing) = missing {
                return Err(format!(
                    "root bindings are not recorded: pass --root {missing}=PATH"
                ));
            }
            req.insert("context".to_string(), json!({ "roots": roots }));
        }
        "mcp" if req.remove("arguments_digest").is_some() => {
            let server = req
                .get("server")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let constrained = candidate.policies().any(|p| {
                p.artifact()
                    .mcp
                    .servers
                    .iter()
                    .any(|s| s.name.eq_ignore_ascii_case(server) && !s.constrained.is_empty())
            });
            if constrained {
                return Err(
                    "arguments are recorded only as a digest, and the candidate has argument constraints for the server"
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    Ok(Value::Object(req).to_string())
}

/// What the events are replayed with: a policy, or a stack (a `.stack`
/// file, `spec/layers.md`).
enum Candidate {
    Policy(Box<Policy>),
    Stack(Stack),
}

/// A replayed decision: the decision, its rule's id (with the deciding
/// layer's name for a stack), and what audit layers would decide
/// (`layer:rule` and the decision).
struct Replayed {
    decision: Decision,
    rule: Option<String>,
    would: Option<(String, Decision)>,
}

impl Candidate {
    fn policies(&self) -> Box<dyn Iterator<Item = &Policy> + '_> {
        match self {
            Candidate::Policy(p) => Box::new(std::iter::once(&**p)),
            Candidate::Stack(s) => Box::new(s.layers().iter().map(|l| &l.policy)),
        }
    }

    fn decide(&self, request: &str) -> Replayed {
        let id = |p: &Policy, d: &Decision| d.rule.and_then(|i| p.rule(i)).map(|r| r.id.clone());
        match self {
            Candidate::Policy(p) => {
                let decision = p.decide_json_detailed(request).decision;
                Replayed {
                    rule: id(p, &decision),
                    decision,
                    would: None,
                }
            }
            Candidate::Stack(s) => {
                let (sd, _) = s.decide_json_detailed(request);
                let layers = s.layers();
                let named = |i: usize, d: &Decision| {
                    layers.get(i).map(|l| {
                        let rule =
                            id(&l.policy, d).unwrap_or_else(|| format!("({})", d.reason.as_str()));
                        format!("{}:{rule}", l.name)
                    })
                };
                Replayed {
                    decision: sd.decision,
                    rule: named(sd.layer, &sd.decision),
                    would: sd.would.and_then(|(d, i)| Some((named(i, &d)?, d))),
                }
            }
        }
    }
}

/// `polc replay`.
pub(crate) fn replay(
    events: &Path,
    candidate: &Path,
    roots: &[String],
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let mut bound = Map::new();
    for r in roots {
        let Some((name, path)) = r.split_once('=') else {
            let _ = writeln!(err, "error: --root takes NAME=PATH, got `{r}`");
            return EXIT_USAGE;
        };
        bound.insert(name.to_string(), json!(path));
    }
    let loaded = if candidate.extension().is_some_and(|e| e == "stack") {
        load_stack_file(candidate, err).map(Candidate::Stack)
    } else {
        load_any(candidate, err).map(|p| Candidate::Policy(Box::new(p)))
    };
    let policy = match loaded {
        Ok(p) => p,
        Err(code) => return code,
    };
    let file = match std::fs::File::open(events) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: {}: {e}", events.display());
            return EXIT_USAGE;
        }
    };
    let mut total = Counts::default();
    let mut by_rule: BTreeMap<String, Counts> = BTreeMap::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut changes: Vec<Value> = Vec::new();
    let mut changed = 0u64;
    // Audit layers' would-be decisions, by `layer:rule`: events and
    // the would-be effects.
    let mut audit: BTreeMap<String, Counts> = BTreeMap::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(err, "error: {}: {e}", events.display());
                return EXIT_USAGE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let event: Value = match serde_json::from_str(&line) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                *skipped.entry("not a JSON object".to_string()).or_default() += 1;
                continue;
            }
        };
        let Some(old) = event
            .get("decision")
            .and_then(Value::as_str)
            .and_then(Effect::from_word)
        else {
            *skipped
                .entry("no recorded decision".to_string())
                .or_default() += 1;
            continue;
        };
        let request = match request_of(&event, &policy, &bound) {
            Ok(r) => r,
            Err(why) => {
                *skipped.entry(why).or_default() += 1;
                continue;
            }
        };
        let replayed = policy.decide(&request);
        let d = replayed.decision;
        if let Some((key, w)) = &replayed.would {
            let fate = match w.effect {
                _ if w.effect == d.effect => Fate::Unchanged,
                Effect::Allow => Fate::Allowed,
                Effect::Deny => Fate::Denied,
                Effect::Ask => Fate::Asked,
            };
            audit.entry(key.clone()).or_default().add(fate);
        }
        let fate = match (old, d.effect) {
            (a, b) if a == b => Fate::Unchanged,
            (_, Effect::Allow) => Fate::Allowed,
            (_, Effect::Deny) => Fate::Denied,
            (_, Effect::Ask) => Fate::Asked,
        };
        let old_rule = event
            .get("rule")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let key = old_rule.clone().unwrap_or_else(|| {
            format!(
                "({})",
                event
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
            )
        });
        total.add(fate);
        by_rule.entry(key).or_default().add(fate);
        if fate != Fate::Unchanged {
            changed += 1;
            if changes.len() < LISTED {
                let new_rule = replayed.rule.clone();
                let reason = match d.reason {
                    Reason::Invalid(why) => why.message(),
                    other => other.as_str(),
                };
                changes.push(json!({
                    "line": n + 1,
                    "request": serde_json::from_str::<Value>(&request).unwrap_or(Value::Null),
                    "old": { "decision": old.as_str(), "rule": old_rule },
                    "new": { "decision": d.effect.as_str(), "rule": new_rule, "reason": reason },
                }));
            }
        }
    }
    let not_replayable: u64 = skipped.values().sum();
    match format {
        Format::Json => {
            let rules: Vec<Value> = by_rule
                .iter()
                .map(|(k, c)| {
                    let mut v = c.json();
                    v["rule"] = json!(k);
                    v
                })
                .collect();
            let mut v = total.json();
            v["not_replayable"] = json!({ "events": not_replayable, "reasons": skipped });
            v["rules"] = json!(rules);
            v["changes"] = json!(changes);
            if let Candidate::Stack(_) = policy {
                let would: Vec<Value> = audit
                    .iter()
                    .map(|(k, c)| {
                        json!({"rule": k, "events": c.events, "would_deny": c.denied,
                               "would_ask": c.asked, "shorter_grant": c.unchanged})
                    })
                    .collect();
                v["audit"] = json!(would);
            }
            let _ = writeln!(out, "{v}");
        }
        Format::Human => {
            let _ = writeln!(
                out,
                "replay {} with {}: {} events replayed, {not_replayable} not replayable",
                events.display(),
                candidate.display(),
                total.events
            );
            let _ = writeln!(
                out,
                "  unchanged {}, newly allowed {}, newly denied {}, newly asked {}",
                total.unchanged, total.allowed, total.denied, total.asked
            );
            let width = by_rule.keys().map(String::len).max().unwrap_or(4).max(4);
            let _ = writeln!(
                out,
                "  {:<width$}  events  unchanged  allowed  denied  asked",
                "rule"
            );
            for (k, c) in &by_rule {
                let _ = writeln!(
                    out,
                    "  {k:<width$}  {:>6}  {:>9}  {:>7}  {:>6}  {:>5}",
                    c.events, c.unchanged, c.allowed, c.denied, c.asked
                );
            }
            for (k, c) in &audit {
                let _ = writeln!(
                    out,
                    "  audit {k}: would change {} events (deny {}, ask {}, shorter grant {})",
                    c.events, c.denied, c.asked, c.unchanged
                );
            }
            for (why, n) in &skipped {
                let _ = writeln!(out, "  not replayable ({n}): {why}");
            }
            for c in &changes {
                let _ = writeln!(
                    out,
                    "  line {}: {} -> {} {}",
                    c["line"],
                    c["old"]["decision"].as_str().unwrap_or_default(),
                    c["new"]["decision"].as_str().unwrap_or_default(),
                    c["request"]
                );
            }
            if changed > changes.len() as u64 {
                let _ = writeln!(
                    out,
                    "  ... {} more changed events",
                    changed - changes.len() as u64
                );
            }
        }
    }
    EXIT_OK
}
