//! Property test of `polc diff` (`policy_lang::analysis::diff`): on random
//! pairs of policies (a generated policy and a mutation of it, or two
//! unrelated ones), every reported witness is decided as its class says by
//! both compiled policies, and every generated request the two compiled
//! policies decide differently falls in a reported change class (same
//! surface, same old and new outcome) or in a part reported unknown.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::json::OwnedRequest;
use policy_eval::{Context, Policy, Reason, Surface};
use policy_lang::analysis::{self, Diff, Options, Outcome, Side};
use policy_lang::build;
use test_kit::gen::sized::Rng;
use test_kit::gen::{random, Source};

/// `source` with one random edit: a rule removed, an effect or default
/// changed, a rule repeated with another effect, or another policy.
fn mutate(source: &str, rng: &mut Rng) -> String {
    if rng.ratio(1, 10) {
        return random::policy(rng).source;
    }
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    let rules: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let t = lines[i].trim_start();
            ["allow ", "deny ", "ask ", "default "]
                .iter()
                .any(|w| t.starts_with(w))
        })
        .collect();
    if rules.is_empty() {
        return source.to_string();
    }
    let edits = 1 + rng.below(3);
    for _ in 0..edits {
        let i = rules[rng.below(rules.len())];
        let line = lines[i].clone();
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let (word, rest) = t.split_once(' ').unwrap_or((t, ""));
        let other = ["allow", "deny", "ask"][rng.below(3)];
        lines[i] = match rng.below(4) {
            0 if word != "default" => String::new(),
            1 if word != "default" => format!("{line}\n{indent}{other} {rest}"),
            _ => format!("{indent}{other} {rest}"),
        };
    }
    lines.join("\n") + "\n"
}

fn outcome(
    p: &Policy,
    effect: policy_eval::Effect,
    rule: Option<u32>,
    lifetime: Option<policy_eval::Lifetime>,
) -> Outcome {
    Outcome {
        effect,
        rule: rule.and_then(|i| p.rule(i)).map(|r| r.id.clone()),
        lifetime,
    }
}

/// Whether a part reported unknown covers `req`.
fn unknown_covers(d: &Diff, req: &OwnedRequest) -> bool {
    d.unknown.iter().any(|u| u.covers(req))
}

#[test]
fn every_change_falls_in_a_reported_class_and_every_witness_changes() {
    let mut rng = Rng::new(20261204);
    let (mut pairs, mut changed, mut checked, mut witnesses) = (0usize, 0usize, 0usize, 0usize);
    let mut by_surface = [0usize; 4];
    for _ in 0..250 {
        let a = random::policy(&mut rng).source;
        let b = mutate(&a, &mut rng);
        let (ba, bb) = (build(&a), build(&b));
        let (Some(ca), Some(pa), Some(cb), Some(pb)) =
            (&ba.checked, &ba.policy, &bb.checked, &bb.policy)
        else {
            continue;
        };
        pairs += 1;
        let mut opts = Options::for_policies(ca, cb);
        opts.bind("home", "/home/u");
        opts.bind("workspace", "/home/u/w");
        let old = Side {
            checked: ca,
            policy: pa,
        };
        let new = Side {
            checked: cb,
            policy: pb,
        };
        let d = analysis::diff(old, new, &opts)
            .unwrap_or_else(|e| panic!("{e}\n--- old\n{a}\n--- new\n{b}"));
        let roots: Vec<(&str, &str)> = opts
            .roots
            .iter()
            .map(|(x, y)| (x.as_str(), y.as_str()))
            .collect();
        let ctx = Context {
            roots: &roots,
            ..Context::default()
        };
        for class in &d.classes {
            for cell in &class.cells {
                let r = cell.witness.as_request();
                let (x, y) = (pa.decide(&r, &ctx), pb.decide(&r, &ctx));
                assert_eq!(
                    (
                        outcome(pa, x.effect, x.rule, x.lifetime),
                        outcome(pb, y.effect, y.rule, y.lifetime)
                    ),
                    (class.old.clone(), class.new.clone()),
                    "witness of `{}`\n--- old\n{a}\n--- new\n{b}",
                    cell.what
                );
                assert_ne!((x.effect, x.lifetime), (y.effect, y.lifetime));
                witnesses += 1;
            }
        }
        for _ in 0..64 {
            let case = random::case(&mut rng);
            let r = case.req.as_request();
            let (x, y) = (pa.decide(&r, &ctx), pb.decide(&r, &ctx));
            if matches!(x.reason, Reason::Invalid(_))
                || (x.effect, x.lifetime) == (y.effect, y.lifetime)
            {
                continue;
            }
            changed += 1;
            if unknown_covers(&d, &case.req) {
                continue;
            }
            let (ox, oy) = (
                outcome(pa, x.effect, x.rule, x.lifetime),
                outcome(pb, y.effect, y.rule, y.lifetime),
            );
            let surface = r.surface();
            assert!(
                d.classes
                    .iter()
                    .any(|c| c.surface == surface && c.old == ox && c.new == oy),
                "request {:?} changes {ox:?} -> {oy:?}, in no reported class\n{:#?}\n--- old\n{a}\n--- new\n{b}",
                case.req,
                d.classes.iter().map(|c| (&c.old, &c.new)).collect::<Vec<_>>()
            );
            checked += 1;
            by_surface[match surface {
                Surface::Network => 0,
                Surface::Filesystem => 1,
                Surface::Credential => 2,
                Surface::Mcp => 3,
            }] += 1;
        }
    }
    println!("pairs {pairs}, witnesses {witnesses}, changed {changed}, checked {checked}, by surface {by_surface:?}");
    // The run is not vacuous: pairs built, changes found and checked on
    // every surface, witnesses confirmed.
    assert!(pairs > 150, "{pairs} pairs");
    assert!(witnesses > 3000, "{witnesses} witnesses");
    assert!(
        checked > 300,
        "{checked} of {changed} changed requests checked"
    );
    assert!(by_surface.iter().all(|&n| n > 10), "{by_surface:?}");
}
