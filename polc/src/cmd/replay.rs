//! `polc replay EVENTS.jsonl --policy CANDIDATE`: re-decide the requests
//! recorded in decision events (`spec/events.md`) with a candidate policy
//! and report, per recorded rule and in total, what would change
//! (`spec/analysis.md`, "Replay").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use policy_eval::{Effect, Policy, Reason};
use serde_json::{json, Map, Value};

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
    policy: &Policy,
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
            if let Some(missing) = policy.required_roots().find(|r| !roots.contains_key(*r)) {
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
            let constrained = policy
                .artifact()
                .mcp
                .servers
                .iter()
                .any(|s| s.name.eq_ignore_ascii_case(server) && !s.constrained.is_empty());
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
    let policy = match load_any(candidate, err) {
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
        let d = policy.decide_json_detailed(&request).decision;
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
                let new_rule = d.rule.and_then(|i| policy.rule(i)).map(|r| r.id.clone());
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
