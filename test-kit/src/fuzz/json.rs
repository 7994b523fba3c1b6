//! The `json_request` target: the JSON entry point against the fixed
//! policies.

use std::time::UNIX_EPOCH;

use policy_eval::event::Event;
use policy_eval::json::parse_request;
use policy_eval::{Decision, Policy, Reason};
use policy_lang::reference;

use super::artifact::check_decision;
use super::same;
use crate::fixed::fixed;
#[cfg(doc)]
use crate::fixed::FIXED_POLICIES;

/// [`Policy::decide_json`] on the input (lossily decoded when not UTF-8)
/// against each of [`FIXED_POLICIES`]. The output is one well-formed
/// decision object; it matches the typed decision of the parsed request,
/// which matches the reference interpreter.
pub fn json_request(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let parsed = parse_request(&input);
    for f in fixed() {
        let out = f.policy.decide_json(&input);
        let detailed = f.policy.decide_json_detailed(&input);
        assert_eq!(out, f.policy.outcome_json(&detailed));
        check_decision_json(&f.policy, &out, &detailed.decision);
        // An ask carries its approval; nothing else does.
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(
            v.get("approval").is_some(),
            detailed.decision.effect == policy_eval::Effect::Ask && detailed.request.is_some(),
            "{out}"
        );
        match &parsed {
            Ok(req) => req.with(|r, c| {
                let got = f.policy.decide(r, c);
                assert_eq!(got, detailed.decision, "{input}");
                check_decision(&f.policy, r, &got);
                check_event(&Event::at(&f.policy, r, c, &got, UNIX_EPOCH));
                let want = reference::decide(&f.checked, r, c);
                assert!(
                    same(&want, &got),
                    "compiled {got:?} != reference {want:?}\nrequest {input}\npolicy {}",
                    f.name
                );
            }),
            Err(why) => {
                assert_eq!(detailed.decision, Decision::invalid(*why), "{input}");
                check_event(&Event::unparsed(&f.policy, &detailed.decision, UNIX_EPOCH));
            }
        }
    }
}

/// A decision event is one line of JSON.
pub(crate) fn check_event(e: &Event) {
    let line = e.to_json_line();
    let body = line.strip_suffix('\n').unwrap_or_default();
    assert!(!body.contains('\n'), "event spans lines: {line}");
    if let Err(err) = serde_json::from_str::<serde_json::Value>(body) {
        panic!("event is not JSON ({err}): {line}");
    }
}

fn check_decision_json(policy: &Policy, out: &str, d: &Decision) {
    let v: serde_json::Value = match serde_json::from_str(out) {
        Ok(v) => v,
        Err(e) => panic!("decision is not JSON ({e}): {out}"),
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str());
    assert_eq!(field("decision"), Some(d.effect.as_str()), "{out}");
    assert_eq!(field("reason"), Some(d.reason.as_str()), "{out}");
    let rule = d.rule.and_then(|i| policy.rule(i)).map(|r| r.id.as_str());
    assert_eq!(field("rule"), rule, "{out}");
    if matches!(d.reason, Reason::Invalid(_)) {
        assert!(field("message").is_some_and(|m| !m.is_empty()), "{out}");
    }
}
