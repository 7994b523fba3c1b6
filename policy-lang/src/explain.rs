//! Explanations of decisions, as data: the deciding rule, every other rule
//! whose pattern matched and why it did not decide, and whether the
//! reference interpreter agrees with the compiled tables.
//!
//! The one explanation both front ends show: `polc explain` renders it as
//! text, the WASM console serializes it to JavaScript. The decision always
//! comes from the loaded [`Policy`] (the compiled tables); the list of
//! matches comes from the reference interpreter ([`reference::matches`]) on
//! the [`CheckedPolicy`] the tables were compiled from.

use policy_eval::json::parse_request;
use policy_eval::{Context, Decision, Invalid, Policy, Request};

use crate::model::CheckedPolicy;
use crate::reference;

/// Why a decision was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The decision of the compiled tables.
    pub decision: Decision,
    /// One sentence: the deciding rule, the surface default, or why the
    /// request is invalid ([`Policy::decision_summary`]).
    pub summary: String,
    /// Index of the deciding rule, when a rule decided.
    pub deciding: Option<usize>,
    /// Every other rule whose pattern matched, in source order, and why it
    /// did not decide (empty for an invalid request).
    pub matches: Vec<RuleMatch>,
    /// The reference interpreter's decision, `None` when the request was
    /// refused before it was parsed.
    pub reference: Option<Decision>,
}

impl Explanation {
    /// Whether the reference interpreter reaches the compiled decision
    /// (same effect and rule); always, unless there is a bug. A request
    /// refused before parsing agrees when the decision is invalid.
    pub fn reference_agrees(&self) -> bool {
        match &self.reference {
            Some(r) => (r.effect, r.rule) == (self.decision.effect, self.decision.rule),
            None => matches!(self.decision.reason, policy_eval::Reason::Invalid(_)),
        }
    }
}

/// A rule that matched the request but did not decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// Rule index in source order.
    pub rule: usize,
    /// Why it did not decide.
    pub outcome: Outcome,
    /// The reason in words ([`Outcome::describe`]).
    pub why: String,
}

/// Explains the decision on one JSON request (`spec/requests.md`), decided
/// as [`Policy::decide_json`] decides it.
pub fn explain_json(checked: &CheckedPolicy, policy: &Policy, input: &str) -> Explanation {
    match parse_request(input) {
        Ok(parsed) => parsed.with(|r, c| {
            let decision = policy.decide(r, c);
            explain(checked, policy, r, c, decision)
        }),
        Err(why) => refused(policy, why),
    }
}

/// The explanation of a request refused before it could be parsed (the
/// decision is invalid; nothing matched).
pub fn refused(policy: &Policy, why: Invalid) -> Explanation {
    let decision = Decision::invalid(why);
    Explanation {
        summary: policy.decision_summary(&decision),
        decision,
        deciding: None,
        matches: Vec::new(),
        reference: None,
    }
}

/// Explains `decision`, the compiled policy's answer to a parsed request.
pub fn explain(
    checked: &CheckedPolicy,
    policy: &Policy,
    req: &Request<'_>,
    ctx: &Context<'_>,
    decision: Decision,
) -> Explanation {
    let matches = losers(checked, req, ctx, &decision)
        .into_iter()
        .map(|(rule, outcome)| RuleMatch {
            rule,
            outcome,
            why: outcome.describe(checked, rule),
        })
        .collect();
    Explanation {
        summary: policy.decision_summary(&decision),
        deciding: match decision.reason {
            policy_eval::Reason::Rule => decision.rule.map(|i| i as usize),
            _ => None,
        },
        matches,
        reference: Some(reference::decide(checked, req, ctx)),
        decision,
    }
}

/// Why a matching rule did not decide a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A pattern matched but a condition (port, access, destination) did not.
    NotApplied(&'static str),
    /// A rule with a stronger effect decided.
    LostToEffect {
        /// The deciding rule.
        winner: usize,
    },
    /// A rule with the same effect, earlier in the source, decided.
    LostToOrder {
        /// The deciding rule.
        winner: usize,
    },
    /// It applies, but no rule decided (the decision came from elsewhere).
    Matched,
}

impl Outcome {
    /// `not_applied`, `lost` or `matched`.
    pub fn kind(self) -> &'static str {
        match self {
            Outcome::NotApplied(_) => "not_applied",
            Outcome::LostToEffect { .. } | Outcome::LostToOrder { .. } => "lost",
            Outcome::Matched => "matched",
        }
    }

    /// One line for people about `loser`, as `polc explain` prints it.
    pub fn describe(self, policy: &CheckedPolicy, loser: usize) -> String {
        let rule = |i: usize| policy.rules.get(i);
        let word = policy_eval::Effect::as_str;
        match self {
            Outcome::NotApplied(reason) => format!("matched but does not apply: {reason}"),
            Outcome::LostToEffect { winner } => match (rule(winner), rule(loser)) {
                (Some(w), Some(l)) => {
                    format!("lost: `{}` beats `{}`", word(w.effect), word(l.effect))
                }
                _ => "lost".to_string(),
            },
            Outcome::LostToOrder { winner } => match rule(winner) {
                Some(w) => format!("lost: same effect, `{}` comes first in the source", w.id),
                None => "lost".to_string(),
            },
            Outcome::Matched => "matched".to_string(),
        }
    }
}

/// Every rule that matched the request but did not decide it, in source
/// order, with the reason, next to `decision` (which comes from the
/// compiled policy).
pub fn losers(
    policy: &CheckedPolicy,
    req: &Request<'_>,
    ctx: &Context<'_>,
    decision: &Decision,
) -> Vec<(usize, Outcome)> {
    let winner = decision.rule.map(|i| i as usize);
    let won = winner.and_then(|w| policy.rules.get(w).map(|r| (w, r.effect)));
    reference::matches(policy, req, ctx)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| Some(m.rule) != winner)
        .filter_map(|m| {
            let effect = policy.rules.get(m.rule)?.effect;
            let outcome = match (m.not_applied, won) {
                (Some(reason), _) => Outcome::NotApplied(reason),
                (None, Some((w, e))) if e != effect => Outcome::LostToEffect { winner: w },
                (None, Some((w, _))) => Outcome::LostToOrder { winner: w },
                (None, None) => Outcome::Matched,
            };
            Some((m.rule, outcome))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const SOURCE: &str = "policy t\nnetwork {\n  gh: allow github.com port 443\n  deny **.github.com\n  web: allow github.com port 80\n}\n";

    fn built() -> (CheckedPolicy, Policy) {
        let b = crate::build(SOURCE);
        (b.checked.unwrap(), b.policy.unwrap())
    }

    #[test]
    fn the_deciding_rule_and_every_loser_with_its_reason() {
        let (checked, policy) = built();
        let ex = explain_json(
            &checked,
            &policy,
            r#"{"surface":"network","host":"github.com","port":443}"#,
        );
        assert_eq!(ex.deciding, Some(1));
        assert_eq!(
            ex.summary,
            "deciding rule `network.deny.**.github.com` (deny)"
        );
        let found: Vec<(usize, &str, &str)> = ex
            .matches
            .iter()
            .map(|m| (m.rule, m.outcome.kind(), m.why.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (0, "lost", "lost: `deny` beats `allow`"),
                (
                    2,
                    "not_applied",
                    "matched but does not apply: port not in the rule's port list"
                ),
            ]
        );
        assert!(ex.reference_agrees());
    }

    #[test]
    fn the_default_names_no_rule() {
        let (checked, policy) = built();
        let ex = explain_json(&checked, &policy, r#"{"surface":"network","host":"x.org"}"#);
        assert_eq!(ex.deciding, None);
        assert_eq!(ex.summary, "no rule applies; the surface default is `deny`");
        assert!(ex.matches.is_empty() && ex.reference_agrees());
    }

    #[test]
    fn a_malformed_request_is_refused_and_agrees() {
        let (checked, policy) = built();
        let ex = explain_json(&checked, &policy, "{nope");
        assert_eq!(ex.decision, Decision::invalid(Invalid::JsonSyntax));
        assert_eq!(
            ex.summary,
            "the request is invalid: request is not well-formed JSON"
        );
        assert!(ex.reference.is_none() && ex.matches.is_empty() && ex.reference_agrees());
        assert_eq!(ex, refused(&policy, Invalid::JsonSyntax));
    }
}
