//! A loaded policy deciding JSON requests: the decision object of
//! `spec/requests.md`, the deciding rule, and an explanation.
//!
//! The decision itself always comes from the compiled tables
//! ([`Policy::decide_json_detailed`]), so every build decides exactly like the
//! native runtime. With the source at hand (full build, `front::from_source`)
//! the explanation also lists every other matching rule and why it lost:
//! `policy_lang::explain`, the data `polc explain` renders as text.

use policy_eval::{Decision, Invalid, LoadError, Policy};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cases::{self, TestReport};

/// A rule as shown to the user: id, surface, effect and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Rule index in source order.
    pub index: u32,
    /// Stable rule id, as in decisions.
    pub id: String,
    /// `network`, `filesystem`, `credential` or `mcp`.
    pub surface: &'static str,
    /// `allow`, `ask` or `deny`.
    pub effect: &'static str,
    /// 1-based line of the rule.
    pub line: u32,
    /// 1-based column (in characters) of the rule.
    pub column: u32,
    /// The rule's full extent in the source, when the source is known.
    pub range: Option<Range>,
}

/// A range of the policy source, in the units an editor needs: the
/// front end's [`policy_lang::diag::SourceRange`] (the positions of
/// diagnostics too).
#[cfg(feature = "compiler")]
pub use policy_lang::diag::SourceRange as Range;

/// A range of the policy source. The eval-only build has no source, so no
/// range: the type has no values and `RuleInfo::range` is always `None`.
#[cfg(not(feature = "compiler"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Range {}

/// Why a decision was made, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// One line: the deciding rule, the surface default, or why the request
    /// is invalid (the same sentences as `polc explain`).
    pub summary: String,
    /// Every other rule whose pattern matched, in source order, and why it
    /// did not decide; `None` when the source is not known (a policy loaded
    /// from artifact bytes).
    pub matches: Option<Vec<RuleMatch>>,
    /// Whether the reference interpreter reaches the same decision as the
    /// compiled tables (always, unless there is a bug); `None` without the
    /// source.
    pub reference_agrees: Option<bool>,
}

/// A rule that matched the request but did not decide it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// The rule.
    pub rule: RuleInfo,
    /// `not_applied` (a pattern matched, a condition did not), `lost` (a
    /// stronger effect or an earlier rule won) or `matched` (no rule decided).
    pub outcome: &'static str,
    /// The reason in words, as `polc explain` prints it.
    pub why: String,
}

/// What the engine knows about its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    /// `policy NAME`.
    pub name: String,
    /// `version`, empty when absent.
    pub version: String,
    /// `description`, empty when absent.
    pub description: String,
    /// `owner`, empty when absent.
    pub owner: String,
    /// Number of rules.
    pub rules: usize,
    /// Root names a filesystem request's context must bind.
    pub required_roots: Vec<String>,
    /// Whether the engine was built from source (explanations list matches).
    pub has_source: bool,
}

/// The source a policy was compiled from, kept for explanations.
#[cfg(feature = "compiler")]
pub(crate) struct Source {
    pub(crate) text: String,
    pub(crate) checked: policy_lang::model::CheckedPolicy,
    pub(crate) lines: policy_lang::diag::LineIndex,
}

/// A loaded policy.
pub struct Engine {
    policy: Policy,
    #[cfg(feature = "compiler")]
    source: Option<Source>,
}

impl Engine {
    /// Loads artifact bytes; every problem with them is a [`LoadError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Engine, LoadError> {
        Ok(Engine {
            policy: Policy::from_bytes(bytes)?,
            #[cfg(feature = "compiler")]
            source: None,
        })
    }

    /// An engine over a copy of this one's policy, without its source (a
    /// stack layer).
    pub fn copy_policy(&self) -> Engine {
        Engine {
            policy: self.policy.clone(),
            #[cfg(feature = "compiler")]
            source: None,
        }
    }

    /// An engine over a compiled policy and the source it came from.
    #[cfg(feature = "compiler")]
    pub(crate) fn with_source(policy: Policy, source: Source) -> Engine {
        Engine {
            policy,
            source: Some(source),
        }
    }

    /// The loaded policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The tool listing for one JSON listing request (`spec/requests.md`,
    /// "Listing tools"), exactly as every runtime writes it.
    pub fn list_tools_json(&self, text: &str) -> String {
        self.policy.list_tools_json(text)
    }

    /// The error object for a listing request refused before parsing (a
    /// JS value without faithful JSON text, or too large or deep to write).
    pub fn list_tools_refused(why: Invalid) -> String {
        use policy_eval::json::ListJsonError;
        match why {
            Invalid::JsonTooLarge => ListJsonError::TooLarge.to_json(),
            why => ListJsonError::Invalid(why).to_json(),
        }
    }

    /// The decision JSON for one JSON request, exactly as
    /// [`Policy::decide_json`] (and every runtime) gives it.
    pub fn decide_json(&self, input: &str) -> String {
        self.policy.decide_json(input)
    }

    /// The decision JSON for a request refused before it had JSON text
    /// (a JavaScript value that JSON cannot carry, [`crate::request`]).
    pub fn decide_json_refused(&self, why: Invalid) -> String {
        self.policy.decision_json(&Decision::invalid(why))
    }

    /// Benchmark aid: parses one JSON request, decides it `times` times with
    /// the typed [`Policy::decide`] and returns the last decision's JSON. One
    /// call crosses the JS/WASM boundary once, so timing it measures the
    /// decision itself; `console/test/bench.mjs` compares it with the same
    /// function run natively (`examples/native_bench.rs`).
    pub fn decide_repeated(&self, input: &str, times: u32) -> String {
        let Some(req) = self.policy.decide_json_detailed(input).request else {
            return self.policy.decide_json(input);
        };
        let d = req.with(|r, c| {
            let mut d = self.policy.decide(r, c);
            for _ in 1..times {
                d = std::hint::black_box(self.policy.decide(std::hint::black_box(r), c));
            }
            d
        });
        self.policy.decision_json(&d)
    }

    /// The decision JSON's fields plus `json` (that JSON as text),
    /// `deciding` (the deciding rule, or null) and `explanation`.
    pub fn decide(&self, input: &str) -> Value {
        let outcome = self.policy.decide_json_detailed(input);
        let json = self.policy.outcome_json(&outcome);
        self.decision_value(&outcome.decision, json, Some(input))
    }

    /// [`Engine::decide`] for a request refused before it had JSON text, as
    /// [`Engine::decide_json_refused`].
    pub fn decide_refused(&self, why: Invalid) -> Value {
        let d = Decision::invalid(why);
        self.decision_value(&d, self.policy.decision_json(&d), None)
    }

    fn decision_value(&self, decision: &Decision, json: String, input: Option<&str>) -> Value {
        let mut obj: Map<String, Value> = serde_json::from_str(&json).unwrap_or_default();
        let deciding = decision.rule.and_then(|i| self.rule_info(i));
        let explanation = self.explain(input, decision);
        obj.insert("json".into(), Value::String(json));
        obj.insert("deciding".into(), to_value(&deciding));
        obj.insert("explanation".into(), to_value(&explanation));
        Value::Object(obj)
    }

    /// Runs a policy tests file (`spec/tests.md`) like `polc test` does.
    pub fn run_tests(&self, jsonl: &str) -> TestReport {
        cases::run(jsonl, &self.policy, |i| self.rule_info(i))
    }

    /// Metadata of the loaded policy.
    pub fn info(&self) -> PolicyInfo {
        let meta = &self.policy.artifact().meta;
        PolicyInfo {
            name: meta.name.clone(),
            version: meta.version.clone(),
            description: meta.description.clone(),
            owner: meta.owner.clone(),
            rules: self.policy.artifact().rules.len(),
            required_roots: self.policy.required_roots().map(str::to_string).collect(),
            has_source: self.has_source(),
        }
    }

    fn has_source(&self) -> bool {
        #[cfg(feature = "compiler")]
        return self.source.is_some();
        #[cfg(not(feature = "compiler"))]
        false
    }

    /// The rule with index `i`, with its source range when known.
    pub fn rule_info(&self, i: u32) -> Option<RuleInfo> {
        let mut info = rule_info(&self.policy, i)?;
        info.range = self.rule_range(i);
        Some(info)
    }

    #[cfg(feature = "compiler")]
    fn rule_range(&self, i: u32) -> Option<Range> {
        let s = self.source.as_ref()?;
        let r = s.checked.rules.get(i as usize)?;
        Some(Range::new(&s.text, &s.lines, r.span))
    }

    #[cfg(not(feature = "compiler"))]
    fn rule_range(&self, _i: u32) -> Option<Range> {
        None
    }

    fn explain(&self, input: Option<&str>, decision: &Decision) -> Explanation {
        #[cfg(feature = "compiler")]
        if let Some(s) = &self.source {
            return self.explain_source(s, input, decision);
        }
        let _ = input;
        Explanation {
            summary: self.policy.decision_summary(decision),
            matches: None,
            reference_agrees: None,
        }
    }

    /// The explanation of [`policy_lang::explain`]: every other matching
    /// rule and why it lost, as `polc explain` lists them, and whether the
    /// reference interpreter agrees with `decision`.
    #[cfg(feature = "compiler")]
    fn explain_source(&self, s: &Source, input: Option<&str>, decision: &Decision) -> Explanation {
        use policy_lang::explain;
        let ex = match input.map(policy_eval::json::parse_request) {
            Some(Ok(parsed)) => {
                parsed.with(|r, c| explain::explain(&s.checked, &self.policy, r, c, *decision))
            }
            // Refused before parsing: invalid, nothing matched.
            _ => explain::Explanation {
                summary: self.policy.decision_summary(decision),
                decision: *decision,
                deciding: None,
                matches: Vec::new(),
                reference: None,
            },
        };
        let matches = ex
            .matches
            .iter()
            .filter_map(|m| {
                let rule = u32::try_from(m.rule).ok().and_then(|i| self.rule_info(i))?;
                Some(RuleMatch {
                    rule,
                    outcome: m.outcome.kind(),
                    why: m.why.clone(),
                })
            })
            .collect();
        Explanation {
            reference_agrees: Some(ex.reference_agrees()),
            summary: ex.summary,
            matches: Some(matches),
        }
    }
}

/// Serializes a value that cannot fail to serialize (plain data).
/// The rule of `policy` with index `i`, without a source range.
pub fn rule_info(policy: &Policy, i: u32) -> Option<RuleInfo> {
    let r = policy.rule(i)?;
    Some(RuleInfo {
        index: i,
        id: r.id.clone(),
        surface: r.surface.as_str(),
        effect: r.effect.as_str(),
        line: r.line,
        column: r.column,
        range: None,
    })
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_are_a_load_error_not_a_panic() {
        assert!(Engine::from_bytes(b"").is_err());
        assert!(Engine::from_bytes(b"policy x\n").is_err());
    }
}
