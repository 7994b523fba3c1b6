//! [`crate::Stack`]: composition rules of `spec/layers.md` on hand-built
//! artifacts (the random stacks against the reference composition are in
//! `test-kit/tests/layers.rs`).

use super::decide::{cred_policy, B};
use crate::artifact::Effect;
use crate::{Context, Layer, Lifetime, Policy, Request, Stack, StackError};

fn layer(name: &str, level: u8, audit: bool, policy: Policy) -> Layer {
    Layer {
        name: name.to_string(),
        level,
        audit,
        policy,
    }
}

/// A policy whose every surface defaults to `effect` and has no rules.
fn only_default(effect: Effect) -> Policy {
    let mut b = B::new();
    b.art.defaults = [effect; 4];
    b.policy()
}

fn net(host: &str) -> Request<'_> {
    Request::Network {
        host: Some(host),
        ip: None,
        port: Some(443),
        http: None,
    }
}

#[test]
fn levels_names_and_audit_layers_are_checked() {
    let p = || only_default(Effect::Allow);
    let err = |layers| Stack::new(layers).err();
    assert_eq!(
        err(vec![layer("a", 1, false, p())]),
        Some(StackError::Level {
            name: "a".into(),
            level: 1
        })
    );
    assert_eq!(
        err(vec![layer("a", 0, false, p()), layer("b", 2, false, p())]),
        Some(StackError::Level {
            name: "b".into(),
            level: 2
        })
    );
    assert_eq!(
        err(vec![layer("a", 0, false, p()), layer("a", 1, false, p())]),
        Some(StackError::DuplicateName("a".into()))
    );
    assert_eq!(
        err(vec![layer("a b", 0, false, p())]),
        Some(StackError::Name("a b".into()))
    );
    assert_eq!(err(vec![]), Some(StackError::NoEnforcingLayer));
    assert_eq!(
        err(vec![layer("a", 0, true, p())]),
        Some(StackError::NoEnforcingLayer)
    );
    // Peers, then a level below them.
    assert!(Stack::new(vec![
        layer("a", 0, false, p()),
        layer("b", 0, false, p()),
        layer("c", 1, false, p()),
    ])
    .is_ok());
}

#[test]
fn the_strictest_layer_decides_and_the_first_on_a_tie() {
    let s = Stack::new(vec![
        layer("org", 0, false, only_default(Effect::Allow)),
        layer("team", 1, false, only_default(Effect::Ask)),
        layer("local", 2, false, only_default(Effect::Ask)),
    ])
    .unwrap();
    let d = s.decide(&net("example.com"), &Context::default());
    assert_eq!(
        (d.decision.effect, d.layer, d.would),
        (Effect::Ask, 1, None)
    );

    // A deny anywhere applies, and ends the walk.
    let s = Stack::new(vec![
        layer("org", 0, false, only_default(Effect::Allow)),
        layer("team", 1, false, only_default(Effect::Deny)),
        layer("local", 2, false, only_default(Effect::Allow)),
    ])
    .unwrap();
    let d = s.decide(&net("example.com"), &Context::default());
    assert_eq!((d.decision.effect, d.layer), (Effect::Deny, 1));

    // An invalid request is denied by the first layer.
    let d = s.decide(&net("a..b"), &Context::default());
    assert_eq!((d.decision.effect, d.layer), (Effect::Deny, 0));
}

#[test]
fn an_audit_layer_changes_nothing_and_reports_what_it_would_decide() {
    let s = Stack::new(vec![
        layer("org", 0, false, only_default(Effect::Allow)),
        layer("trial", 0, true, only_default(Effect::Deny)),
        layer("team", 1, false, only_default(Effect::Ask)),
    ])
    .unwrap();
    let d = s.decide(&net("example.com"), &Context::default());
    assert_eq!((d.decision.effect, d.layer), (Effect::Ask, 2));
    let (would, at) = d.would.expect("the audit layer is stricter");
    assert_eq!((would.effect, at), (Effect::Deny, 1));
    // No `would` when the audit layer is not stricter.
    let s = Stack::new(vec![
        layer("org", 0, false, only_default(Effect::Deny)),
        layer("trial", 1, true, only_default(Effect::Allow)),
    ])
    .unwrap();
    assert_eq!(
        s.decide(&net("example.com"), &Context::default()).would,
        None
    );
}

#[test]
fn the_shorter_lifetime_of_a_grant_applies() {
    // The credential fixture grants with lifetimes; a default allow states
    // none and so never shortens one.
    let fixture = cred_policy().policy();
    let req = Request::Credential {
        name: "GITHUB_TOKEN",
        host: None,
        ip: None,
    };
    let alone = fixture.decide(&req, &Context::default());
    assert_eq!(alone.effect, Effect::Allow);
    let granted = alone.lifetime.expect("a rule's grant");
    let s = Stack::new(vec![
        layer("org", 0, false, only_default(Effect::Allow)),
        layer("team", 1, false, cred_policy().policy()),
    ])
    .unwrap();
    let d = s.decide(&req, &Context::default());
    assert_eq!((d.decision.lifetime, d.layer), (Some(granted), 1));
    assert!(
        crate::strictness(Effect::Allow, Some(Lifetime::Seconds(60)))
            < crate::strictness(Effect::Allow, Some(Lifetime::Session))
    );
    assert!(
        crate::strictness(Effect::Allow, Some(Lifetime::Session))
            < crate::strictness(Effect::Allow, None)
    );
    assert!(
        crate::strictness(Effect::Ask, None)
            < crate::strictness(Effect::Allow, Some(Lifetime::Seconds(1)))
    );
}
