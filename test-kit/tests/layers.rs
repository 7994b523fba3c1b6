//! Layered policies (`spec/layers.md`): the runtime's [`Stack`] against the
//! reference composition (`policy_lang::reference::decide_stack`) on random
//! stacks of two and three layers, with peers and audit layers; the stack
//! never looser than a layer above; and the inactive-rule check
//! (`policy_lang::analysis::layers`) sound and complete against random
//! requests.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::{Decision, Effect, Layer, Policy, Stack};
use policy_lang::analysis::{layers, Options, Side};
use policy_lang::model::CheckedPolicy;
use policy_lang::{build, reference};
use test_kit::gen::random;
use test_kit::gen::sized::Rng;
use test_kit::gen::Source;

/// Strictness as the stack orders decisions.
fn rank(d: &Decision) -> (Effect, u64) {
    policy_eval::strictness(d.effect, d.lifetime)
}

/// A random policy that builds, with its source.
fn policy(rng: &mut Rng) -> (String, CheckedPolicy, Policy) {
    loop {
        let src = random::policy(rng).source;
        let b = build(&src);
        if let (Some(c), Some(p)) = (b.checked, b.policy) {
            return (src, c, p);
        }
    }
}

#[test]
fn random_stacks_decide_as_the_reference_and_never_looser_than_a_higher_layer() {
    let mut rng = Rng::new(20261204);
    let (mut stacks, mut requests, mut narrowed, mut would, mut delegated) = (0, 0, 0, 0, 0);
    for _ in 0..120 {
        let n = 2 + rng.below(2);
        let mut built = Vec::new();
        let mut level = 0u8;
        for i in 0..n {
            // The second layer is a peer of the first one time in four.
            if i > 0 && !(i == 1 && rng.ratio(1, 4)) {
                level += 1;
            }
            let audit = i > 0 && rng.ratio(1, 5);
            built.push((policy(&mut rng), level, audit));
        }
        let stack = Stack::new(
            built
                .iter()
                .enumerate()
                .map(|(i, ((_, _, p), level, audit))| Layer {
                    name: format!("l{i}"),
                    level: *level,
                    audit: *audit,
                    policy: p.clone(),
                })
                .collect(),
        )
        .unwrap();
        stacks += 1;
        let refs: Vec<(&CheckedPolicy, bool)> =
            built.iter().map(|((_, c, _), _, a)| (c, *a)).collect();
        for _ in 0..200 {
            let case = random::case(&mut rng);
            let (r, ctx) = (case.req.as_request(), case.context());
            let got = stack.decide(&r, &ctx);
            let (want, layer, want_would) = reference::decide_stack(&refs, &r, &ctx);
            assert_eq!(
                (rank(&got.decision), got.layer),
                (rank(&want), layer),
                "{:?}\n{:#?}",
                case.req,
                built.iter().map(|b| &b.0 .0).collect::<Vec<_>>()
            );
            assert_eq!(got.decision.rule, want.rule, "{:?}", case.req);
            assert_eq!(
                got.would.map(|(d, l)| (rank(&d), d.rule, l)),
                want_would.map(|(d, l)| (rank(&d), d.rule, l)),
                "{:?}",
                case.req
            );
            would += usize::from(got.would.is_some());
            // Never looser than any enforcing layer alone, above or beside,
            // outside the regions it delegates (its `pass` default).
            for (i, ((_, _, p), _, audit)) in built.iter().enumerate() {
                let alone = p.decide(&r, &ctx);
                delegated += usize::from(policy_eval::abstains(p, &r, &ctx, &alone));
                if !audit && !policy_eval::abstains(p, &r, &ctx, &alone) {
                    assert!(
                        rank(&got.decision) <= rank(&alone),
                        "layer {i}: {:?}",
                        case.req
                    );
                    narrowed += usize::from(i == 0 && rank(&got.decision) < rank(&alone));
                }
            }
            requests += 1;
        }
    }
    println!(
        "stacks {stacks}, requests {requests}, narrowed below the top {narrowed}, would {would}, delegated {delegated}"
    );
    // Not vacuous: lower layers narrow the top one, audit layers report,
    // layers delegate.
    assert!(delegated > 1000, "{delegated}");
    assert!(narrowed > 1000, "{narrowed}");
    assert!(would > 50, "{would}");
}

#[test]
fn inactive_classes_are_exactly_where_a_lower_layer_is_looser() {
    let mut rng = Rng::new(20261206);
    let (mut pairs, mut classes, mut looser) = (0usize, 0usize, 0usize);
    for _ in 0..80 {
        let (hs, hc, hp) = policy(&mut rng);
        let (ls, lc, lp) = policy(&mut rng);
        let mut opts = Options::for_policies(&hc, &lc);
        for (name, _) in opts.roots.clone() {
            opts.bind(&name, &format!("/stack-root/{name}"));
        }
        let higher = Side {
            checked: &hc,
            policy: &hp,
        };
        let lower = Side {
            checked: &lc,
            policy: &lp,
        };
        let report = layers::inactive(higher, lower, &opts)
            .unwrap_or_else(|e| panic!("{e}\n{hs}\n---\n{ls}"));
        pairs += 1;
        classes += report.inactive.len();
        // Sound: every witness is decided looser by the lower layer, by the
        // rule named, and the stack of the two keeps the higher decision.
        for i in &report.inactive {
            let parsed = policy_eval::json::parse_request(&i.witness).unwrap();
            parsed.with(|r, c| {
                let (h, l) = (hp.decide(r, c), lp.decide(r, c));
                assert!(rank(&l) > rank(&h), "{i:?}\n{hs}\n---\n{ls}");
                assert_eq!(l.rule.map(|x| x as usize), Some(i.rule), "{i:?}");
                assert_eq!(h.effect, i.higher.effect, "{i:?}");
                assert_eq!(l.effect, i.lower.effect, "{i:?}");
            });
        }
        // Complete: a random request the lower layer decides looser falls in
        // a reported class (same lower rule and both outcomes), unless a
        // part reported unknown covers it.
        let bound: Vec<(&str, &str)> = opts
            .roots
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_str()))
            .collect();
        for _ in 0..300 {
            let case = random::case(&mut rng);
            // The analysis is exact for its root bindings.
            let ctx = policy_eval::Context {
                roots: &bound,
                ..case.context()
            };
            if report.unknown.iter().any(|u| u.covers(&case.req)) {
                continue;
            }
            let r = case.req.as_request();
            let (h, l) = (hp.decide(&r, &ctx), lp.decide(&r, &ctx));
            // Only rules are reported, not a lower default, and not where a
            // higher deny rule decides (a guard rail) or the higher layer's
            // pass default does (a delegation).
            let guard = h.effect == Effect::Deny && h.rule.is_some();
            let delegated = policy_eval::abstains(&hp, &r, &ctx, &h);
            if rank(&l) <= rank(&h) || l.rule.is_none() || guard || delegated {
                continue;
            }
            looser += 1;
            let id =
                |p: &Policy, d: &Decision| d.rule.and_then(|x| p.rule(x)).map(|r| r.id.clone());
            assert!(
                report.inactive.iter().any(|i| i.lower.effect == l.effect
                    && i.higher.effect == h.effect
                    && lc.rules.get(i.rule).map(|r| r.id.clone()) == id(&lp, &l)
                    && i.higher.rule == id(&hp, &h)),
                "{:?} is looser in the lower layer ({l:?} vs {h:?}) but no class says so\n{hs}\n---\n{ls}",
                case.req
            );
        }
    }
    println!("pairs {pairs}, inactive classes {classes}, looser requests {looser}");
    assert!(classes > 200, "{classes}");
    assert!(looser > 300, "{looser}");
}
