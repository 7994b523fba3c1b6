//! Property test of the shadowed and redundant rule lints (W0111, W0112,
//! `policy_lang::analysis::cover`): on random policies, every rule they
//! report can be removed without changing any decision. For each finding
//! the policy is rebuilt without the rule, and then `polc diff` between
//! the two finds no change class, random requests (with their own root
//! bindings) get the same effect and lifetime from both, and a shadowed
//! rule decides none of them.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::Context;
use policy_lang::analysis::{self, cover, Options, Side};
use policy_lang::build;
use test_kit::gen::random;
use test_kit::gen::sized::Rng;

#[test]
fn every_reported_rule_can_be_removed_without_changing_a_decision() {
    let mut rng = Rng::new(20261205);
    let (mut policies, mut shadowed, mut redundant, mut requests) =
        (0usize, 0usize, 0usize, 0usize);
    for _ in 0..250 {
        let src = random::policy(&mut rng).source;
        let b = build(&src);
        let (Some(checked), Some(policy)) = (&b.checked, &b.policy) else {
            continue;
        };
        policies += 1;
        let cases: Vec<_> = (0..64).map(|_| random::case(&mut rng)).collect();
        // One shadowed and one redundant finding per policy, at random
        // (each costs a build and a diff).
        let all = cover::findings(checked, policy);
        let mut picked = Vec::new();
        for kind in [true, false] {
            let of: Vec<_> = all.iter().filter(|f| f.shadowed == kind).collect();
            if !of.is_empty() {
                picked.push(of[rng.below(of.len())].clone());
            }
        }
        for f in picked {
            let rule = &checked.rules[f.rule];
            let without = format!("{}{}", &src[..rule.span.start], &src[rule.span.end..]);
            let bw = build(&without);
            let (Some(cw), Some(pw)) = (&bw.checked, &bw.policy) else {
                panic!("removing `{}` breaks the policy\n{src}", rule.id);
            };
            if f.shadowed {
                shadowed += 1;
            } else {
                redundant += 1;
            }
            let mut opts = Options::for_policies(checked, cw);
            for (name, _) in opts.roots.clone() {
                opts.bind(&name, &format!("/polc-lint-root/{name}"));
            }
            let old = Side { checked, policy };
            let new = Side {
                checked: cw,
                policy: pw,
            };
            let d = analysis::diff(old, new, &opts).unwrap_or_else(|e| panic!("{e}\n{src}"));
            assert!(
                d.classes.is_empty(),
                "`{}` reported {f:?}, but removing it changes {:#?}\n{src}",
                rule.id,
                d.classes
            );
            for case in &cases {
                let r = case.req.as_request();
                let ctx: Context<'_> = case.context();
                let (x, y) = (policy.decide(&r, &ctx), pw.decide(&r, &ctx));
                assert_eq!(
                    (x.effect, x.lifetime),
                    (y.effect, y.lifetime),
                    "`{}` reported {f:?}, but removing it changes {:?}\n{src}",
                    rule.id,
                    case.req
                );
                if f.shadowed {
                    assert_ne!(
                        x.rule.map(|w| w as usize),
                        Some(f.rule),
                        "`{}` reported shadowed, but decides {:?}\n{src}",
                        rule.id,
                        case.req
                    );
                }
                requests += 1;
            }
        }
    }
    println!(
        "policies {policies}, shadowed {shadowed}, redundant {redundant}, requests {requests}"
    );
    // Not vacuous: both lints fire on generated policies.
    assert!(policies > 180, "{policies} policies");
    assert!(shadowed > 60, "{shadowed} shadowed rules");
    assert!(redundant > 60, "{redundant} redundant rules");
}
