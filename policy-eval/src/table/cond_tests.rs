//! Tests of the per-list condition indexes: each index on its own shapes,
//! and a property test comparing the indexed lookup ([`Scan::consider`])
//! with a plain scan of the list by [`applies`] (the former semantics).

use std::net::IpAddr;

use proptest::prelude::*;

use super::*;
use crate::artifact::{Artifact, CredentialCond, Lifetime};
use crate::table::domain::label_globs;
use crate::table::rules::{Best, RuleIndex};

const D: Effect = Effect::Deny;
const K: Effect = Effect::Ask;
const A: Effect = Effect::Allow;

fn surface_of(cond: &Condition) -> Surface {
    match cond {
        Condition::None | Condition::Ports(_) | Condition::Methods(_) => Surface::Network,
        Condition::Access(_) => Surface::Filesystem,
        Condition::Credential(_) => Surface::Credential,
        Condition::Arguments(_) => Surface::Mcp,
    }
}

/// A policy of `rules` with one candidate list (list 1) holding `members`
/// (rule indices), sorted by (effect, rule index).
fn policy(rules: Vec<(Effect, Condition)>, members: &[u32]) -> Artifact {
    let rules: Vec<Rule> = rules
        .into_iter()
        .enumerate()
        .map(|(i, (effect, cond))| Rule {
            id: format!("r{i}"),
            surface: surface_of(&cond),
            effect,
            line: 1,
            column: 1,
            cond,
            ask_reason: String::new(),
        })
        .collect();
    let mut list: Vec<u32> = members.to_vec();
    list.sort_by_key(|&ri| (rules[ri as usize].effect, ri));
    list.dedup();
    Artifact {
        rules,
        candidates: vec![vec![], list],
        ..Artifact::default()
    }
}

fn all(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

fn ports(ranges: &[(u16, u16)]) -> Condition {
    Condition::Ports(ranges.to_vec())
}

fn cred(dests: Option<Destinations>) -> Condition {
    Condition::Credential(CredentialCond {
        destinations: dests,
        lifetime: Lifetime::Session,
    })
}

/// A domain pattern: `a.com`, `*.a.com`, `**.a.com`, or label globs before
/// the anchor (`x*.a.com` as `(["x*"], false, "a.com")`).
fn dom(text: &str) -> DomainPattern {
    let (prefix, any_depth, anchor) = if let Some(a) = text.strip_prefix("**.") {
        (vec![], true, a)
    } else if text == "**" {
        (vec![], true, "")
    } else if text == "*" {
        (vec!["*".to_string()], false, "")
    } else if let Some(a) = text.strip_prefix("*.") {
        (vec!["*".to_string()], false, a)
    } else if let Some((label, a)) = text.split_once('.').filter(|(l, _)| l.contains('*')) {
        (vec![label.to_string()], false, a)
    } else {
        (vec![], false, text)
    };
    DomainPattern {
        prefix,
        any_depth,
        anchor: anchor.to_string(),
    }
}

fn to(domains: &[&str], v4s: &[(&str, &str)], v6s: &[(&str, &str)]) -> Option<Destinations> {
    Some(Destinations {
        domains: domains.iter().map(|d| dom(d)).collect(),
        v4: v4s.iter().map(|&(a, b)| (v4(a), v4(b))).collect(),
        v6: v6s.iter().map(|&(a, b)| (v6(a), v6(b))).collect(),
    })
}

/// The destination globs [`RuleIndex`] builds, for the plain scan.
fn dest_globs(art: &Artifact) -> Vec<Vec<Vec<Glob>>> {
    art.rules
        .iter()
        .map(|r| match &r.cond {
            Condition::Credential(CredentialCond {
                destinations: Some(d),
                ..
            }) => d
                .domains
                .iter()
                .map(|p| label_globs("rules", &p.prefix).unwrap())
                .collect(),
            _ => vec![],
        })
        .collect()
}

/// The indexed answer for list 1: `best` after [`Scan::consider`].
fn indexed(art: &Artifact, index: &RuleIndex, class: Class<'_>, mut best: Best) -> Best {
    index.scan(art, class).consider(&mut best, 1);
    best
}

/// The former answer: scan list 1 rule by rule.
fn plain(art: &Artifact, class: &Class<'_>, mut best: Best) -> Best {
    let globs = dest_globs(art);
    for &ri in &art.candidates[1] {
        let r = &art.rules[ri as usize];
        let key = (r.effect, ri);
        if r.effect > best.weakest || best.found.is_some_and(|b| key >= b) {
            break;
        }
        if applies(ri, r, class, &globs) {
            best.found = Some(key);
            break;
        }
    }
    best
}

/// The deciding rule of list 1 for `class` from an empty best.
fn first(art: &Artifact, class: Class<'_>) -> Option<u32> {
    let index = RuleIndex::build(art).unwrap();
    let got = indexed(art, &index, class, Best::default());
    assert_eq!(got.found, plain(art, &class, Best::default()).found);
    got.found.map(|(_, ri)| ri)
}

fn dest<'a>(domain: Option<&'a str>, ips: &[&str]) -> Dest<'a> {
    let mut a = ips.iter().map(|s| s.parse::<IpAddr>().unwrap());
    Dest::new(domain, [a.next(), a.next()])
}

#[test]
fn port_map_overlapping_ranges_take_the_first_rule_in_list_order() {
    let art = policy(
        vec![
            (A, ports(&[(1, 100)])),
            (A, ports(&[(50, 60), (200, 300)])),
            (K, ports(&[(55, 250)])),
            (D, ports(&[(58, 58), (65535, 65535)])),
        ],
        &all(4),
    );
    let at = |p| first(&art, Class::Port(Some(p)));
    assert_eq!(at(1), Some(0));
    assert_eq!(at(49), Some(0));
    assert_eq!(at(50), Some(0));
    assert_eq!(at(55), Some(2));
    assert_eq!(at(58), Some(3));
    assert_eq!(at(59), Some(2));
    assert_eq!(at(101), Some(2));
    assert_eq!(at(251), Some(1));
    assert_eq!(at(300), Some(1));
    assert_eq!(at(301), None);
    assert_eq!(at(65534), None);
    assert_eq!(at(65535), Some(3));
}

#[test]
fn no_port_requests_get_deny_or_ask_never_a_port_limited_allow() {
    let allow_only = policy(vec![(A, ports(&[(443, 443)]))], &[0]);
    assert_eq!(first(&allow_only, Class::Port(None)), None);
    let art = policy(
        vec![
            (A, ports(&[(443, 443)])),
            (K, ports(&[(80, 80)])),
            (D, ports(&[(22, 22)])),
        ],
        &[0, 1],
    );
    assert_eq!(first(&art, Class::Port(None)), Some(1));
    let art = policy(
        vec![
            (A, ports(&[(443, 443)])),
            (K, ports(&[(80, 80)])),
            (D, ports(&[(22, 22)])),
        ],
        &all(3),
    );
    assert_eq!(first(&art, Class::Port(None)), Some(2));
    // An unconditional allow grants a request without a port.
    let art = policy(
        vec![(A, ports(&[(443, 443)])), (A, Condition::None)],
        &all(2),
    );
    assert_eq!(first(&art, Class::Port(None)), Some(1));
}

#[test]
fn a_rule_without_ports_applies_to_every_port() {
    let art = policy(
        vec![
            (D, ports(&[(22, 22)])),
            (K, Condition::None),
            (A, ports(&[(1, 65535)])),
        ],
        &all(3),
    );
    assert_eq!(first(&art, Class::Port(Some(22))), Some(0));
    assert_eq!(first(&art, Class::Port(Some(23))), Some(1));
    assert_eq!(first(&art, Class::Port(Some(65535))), Some(1));
    // First rule unconditional: one rule for every request.
    let art = policy(vec![(D, Condition::None), (D, ports(&[(1, 2)]))], &all(2));
    let index = RuleIndex::build(&art).unwrap();
    assert!(matches!(
        ListIndex::build(&art.candidates[1], &art.rules, &mut 100),
        ListIndex::First(0)
    ));
    let got = indexed(&art, &index, Class::Port(Some(2)), Best::default());
    assert_eq!(got.found, Some((D, 0)));
}

#[test]
fn read_and_write_have_their_own_first_rule() {
    let art = policy(
        vec![
            (A, Condition::Access(Access::READ)),
            (K, Condition::Access(Access::WRITE)),
            (D, Condition::Access(Access::READ)),
            (A, Condition::Access(Access::READ_WRITE)),
        ],
        &all(4),
    );
    assert_eq!(first(&art, Class::Read), Some(2));
    assert_eq!(first(&art, Class::Write), Some(1));
    let art = policy(vec![(A, Condition::Access(Access::READ))], &[0]);
    assert_eq!(first(&art, Class::Write), None);
}

#[test]
fn see_skips_deny_to_rules_and_send_counts_deny_without_to() {
    let art = policy(
        vec![
            (D, cred(to(&["evil.com"], &[], &[]))),
            (A, cred(None)),
            (A, cred(to(&["good.com"], &[], &[]))),
        ],
        &all(3),
    );
    assert_eq!(first(&art, Class::See), Some(1));
    let d = dest(Some("good.com"), &[]);
    assert_eq!(first(&art, Class::Send(&d)), Some(2));
    let d = dest(Some("evil.com"), &[]);
    assert_eq!(first(&art, Class::Send(&d)), Some(0));
    let d = dest(Some("other.com"), &[]);
    assert_eq!(first(&art, Class::Send(&d)), None);
    // A deny without `to` applies to every send; later to-rules never win.
    let art = policy(
        vec![(A, cred(to(&["good.com"], &[], &[]))), (D, cred(None))],
        &all(2),
    );
    assert_eq!(first(&art, Class::See), Some(1));
    let d = dest(Some("good.com"), &[]);
    assert_eq!(first(&art, Class::Send(&d)), Some(1));
}

#[test]
fn send_domain_shapes_exact_one_label_any_depth_and_globs() {
    let art = policy(
        vec![
            (A, cred(to(&["a.com"], &[], &[]))),
            (A, cred(to(&["*.a.com"], &[], &[]))),
            (A, cred(to(&["**.b.a.com"], &[], &[]))),
            (A, cred(to(&["x*.a.com"], &[], &[]))),
            (A, cred(to(&["*"], &[], &[]))),
        ],
        &all(5),
    );
    let send = |h: &str| {
        let d = dest(Some(h), &[]);
        first(&art, Class::Send(&d))
    };
    assert_eq!(send("a.com"), Some(0));
    assert_eq!(send("z.a.com"), Some(1));
    assert_eq!(send("b.a.com"), Some(1));
    assert_eq!(send("c.b.a.com"), Some(2));
    assert_eq!(send("d.c.b.a.com"), Some(2));
    assert_eq!(send("q.z.a.com"), None);
    assert_eq!(send("com"), Some(4));
    assert_eq!(send("xyz.a.com"), Some(1));
    let art = policy(vec![(A, cred(to(&["x*.a.com", "**"], &[], &[])))], &[0]);
    assert_eq!(first(&art, Class::Send(&dest(Some("q.q.q"), &[]))), Some(0));
}

#[test]
fn send_to_a_local_address_is_granted_only_by_the_address() {
    let art = policy(
        vec![
            (A, cred(to(&["svc.local"], &[], &[]))),
            (K, cred(to(&[], &[("127.0.0.1", "127.0.0.1")], &[]))),
        ],
        &all(2),
    );
    // The domain matches but the address is local: only the address rule.
    let d = dest(Some("svc.local"), &["127.0.0.1"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(1));
    let d = dest(Some("svc.local"), &["169.254.169.254"]);
    assert_eq!(first(&art, Class::Send(&d)), None);
    let d = dest(Some("svc.local"), &["10.0.0.1"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(0));
    // Label globs too match by name only.
    let art = policy(vec![(A, cred(to(&["x*.a.com"], &[], &[])))], &[0]);
    let d = dest(Some("xy.a.com"), &["10.0.0.1", "64:ff9b::a9fe:a9fe"]);
    assert_eq!(first(&art, Class::Send(&d)), None);
    let d = dest(Some("xy.a.com"), &["10.0.0.1"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(0));
    // A deny by domain applies whatever the address.
    let art = policy(vec![(D, cred(to(&["svc.local"], &[], &[])))], &[0]);
    let d = dest(Some("svc.local"), &["127.0.0.1"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(0));
}

#[test]
fn embedded_ipv4_counts_only_for_deny_to_rules() {
    let art = policy(
        vec![
            (A, cred(to(&[], &[("10.0.0.0", "10.0.0.255")], &[]))),
            (D, cred(to(&[], &[("192.168.0.0", "192.168.255.255")], &[]))),
        ],
        &all(2),
    );
    // 64:ff9b::a00:5 embeds 10.0.0.5: the allow does not grant it.
    let d = dest(None, &["64:ff9b::a00:5"]);
    assert_eq!(first(&art, Class::Send(&d)), None);
    // 2002:c0a8:101:: embeds 192.168.1.1: the deny applies.
    let d = dest(None, &["2002:c0a8:101::"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(1));
    let d = dest(None, &["10.0.0.5"]);
    assert_eq!(first(&art, Class::Send(&d)), Some(0));
}

#[test]
fn ipv6_destination_ranges() {
    let art = policy(
        vec![
            (A, cred(to(&[], &[], &[("2001:db8::", "2001:db8::ffff")]))),
            (K, cred(to(&[], &[], &[("2001:db8::100", "2001:db8::1ff")]))),
            (D, cred(to(&[], &[], &[("::1", "::1")]))),
        ],
        &all(3),
    );
    let send = |ip: &str| {
        let d = dest(None, &[ip]);
        first(&art, Class::Send(&d))
    };
    assert_eq!(send("2001:db8::1"), Some(0));
    assert_eq!(send("2001:db8::150"), Some(1));
    assert_eq!(send("2001:db8::1:0"), None);
    assert_eq!(send("::1"), Some(2));
    assert_eq!(send("ffff::"), None);
}

#[test]
fn many_destinations_are_merged_into_one_index() {
    let hosts: Vec<String> = (0..10_000).map(|i| format!("h{i}.example.net")).collect();
    let d = Destinations {
        domains: hosts.iter().map(|h| dom(h)).collect(),
        v4: (0..10_000u32).map(|i| (i << 8, (i << 8) | 0xff)).collect(),
        v6: vec![],
    };
    let art = policy(
        vec![
            (D, cred(to(&["h77.example.net"], &[], &[]))),
            (A, cred(Some(d))),
        ],
        &all(2),
    );
    let index = RuleIndex::build(&art).unwrap();
    let send = |h: &str, ips: &[&str]| {
        let d = dest(Some(h), ips);
        indexed(&art, &index, Class::Send(&d), Best::default())
            .found
            .map(|(_, ri)| ri)
    };
    assert_eq!(send("h9999.example.net", &[]), Some(1));
    assert_eq!(send("h77.example.net", &[]), Some(0));
    assert_eq!(send("evil.com", &[]), None);
    assert_eq!(send("evil.com", &["0.39.15.1"]), Some(1));
    assert_eq!(send("evil.com", &["0.39.16.1"]), None);
    let ListIndex::Credential(c) = ListIndex::build(&art.candidates[1], &art.rules, &mut (1 << 20))
    else {
        panic!("a credential list");
    };
    let ix = c.dests.as_ref().unwrap();
    assert_eq!(ix.anchors.len(), 10_000);
    // Adjacent /24s of one rule merge into one interval.
    assert_eq!(ix.v4.len(), 2);
}

#[test]
fn lists_over_the_budget_keep_the_plain_scan() {
    let art = policy(
        vec![(A, ports(&[(1, 10), (20, 30)])), (D, ports(&[(5, 25)]))],
        &all(2),
    );
    let mut budget = 2;
    let ix = ListIndex::build(&art.candidates[1], &art.rules, &mut budget);
    assert!(matches!(ix, ListIndex::Plain));
    assert_eq!(budget, 2);
    let mut budget = 3;
    assert!(matches!(
        ListIndex::build(&art.candidates[1], &art.rules, &mut budget),
        ListIndex::Ports(_)
    ));
    assert_eq!(budget, 0);
    assert_eq!(ListIndex::single(&ListIndex::Plain, &Class::Read), None);
}

#[test]
fn consider_rule_honours_the_best_so_far_and_the_weakest_effect() {
    let art = policy(vec![(A, Condition::None), (K, Condition::None)], &all(2));
    let index = RuleIndex::build(&art).unwrap();
    let scan = index.scan(&art, Class::Tool);
    let mut best = Best {
        found: None,
        weakest: Effect::Ask,
    };
    scan.consider_rule(&mut best, 0);
    assert_eq!(best.found, None);
    scan.consider_rule(&mut best, 1);
    assert_eq!(best.found, Some((K, 1)));
    scan.consider_rule(&mut best, NONE);
    scan.consider_rule(&mut best, 7);
    assert_eq!(best.found, Some((K, 1)));
}

#[test]
fn elementary_intervals_hold_the_least_position() {
    let iv = elementary(vec![
        (5u16, 10, 3, false),
        (8, 20, 1, true),
        (0, u16::MAX, 9, true),
    ]);
    let at = |x: u16| *interval(&iv, x).unwrap();
    assert_eq!(at(0), [9, 9]);
    assert_eq!(at(5), [3, 9]);
    assert_eq!(at(8), [1, 1]);
    assert_eq!(at(20), [1, 1]);
    assert_eq!(at(21), [9, 9]);
    assert_eq!(at(u16::MAX), [9, 9]);
    assert!(elementary::<u32>(vec![]).is_empty());
}

// ---------------------------------------------------------------------------
// Property: the indexed lookup equals the plain scan on random lists.
// ---------------------------------------------------------------------------

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![Just(D), Just(K), Just(A)]
}

/// Sorted disjoint inclusive ranges over small and edge values.
fn ranges<T: Point + std::fmt::Debug + 'static>(
    points: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Vec<(T, T)>> {
    prop::collection::vec(points, 0..6).prop_map(|mut v| {
        v.sort();
        v.dedup();
        // Pair consecutive points; a gap between pairs keeps them disjoint.
        v.chunks(2)
            .map(|c| (c[0], *c.get(1).unwrap_or(&c[0])))
            .collect()
    })
}

fn port_point() -> impl Strategy<Value = u16> + Clone {
    prop_oneof![1u16..40, Just(65535u16), Just(65534u16)]
}

const V4: &[&str] = &[
    "0.0.0.0",
    "10.0.0.0",
    "10.0.0.5",
    "10.0.0.9",
    "127.0.0.1",
    "169.254.169.254",
    "192.168.1.1",
    "255.255.255.255",
];
const V6: &[&str] = &[
    "::",
    "::1",
    "2001:db8::",
    "2001:db8::5",
    "2001:db8::9",
    "fe80::1",
];
const PATTERNS: &[&str] = &[
    "a.com",
    "*.a.com",
    "**.a.com",
    "x*.a.com",
    "b.a.com",
    "**.b.a.com",
    "**",
    "*",
    "c",
    "*.c",
    "q*.c",
];
const HOSTS: &[&str] = &[
    "a.com",
    "b.a.com",
    "x.b.a.com",
    "xy.a.com",
    "c",
    "q.c",
    "qq.c",
    "x.q.c",
    "evil.com",
];
const IPS: &[&str] = &[
    "10.0.0.5",
    "10.0.0.7",
    "127.0.0.1",
    "169.254.169.254",
    "192.168.1.1",
    "64:ff9b::a00:5",
    "64:ff9b::a9fe:a9fe",
    "2002:c0a8:101::",
    "2001:db8::5",
    "2001:db8::7",
    "::1",
    "fe80::1",
];

fn v4(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

fn v6(s: &str) -> u128 {
    u128::from(s.parse::<std::net::Ipv6Addr>().unwrap())
}

fn destinations() -> impl Strategy<Value = Option<Destinations>> {
    let v4p = prop::sample::select(V4).prop_map(v4);
    let v6p = prop::sample::select(V6).prop_map(v6);
    prop::option::weighted(
        0.8,
        (
            prop::collection::vec(prop::sample::select(PATTERNS), 0..4),
            ranges(v4p),
            ranges(v6p),
        )
            .prop_map(|(d, v4, v6)| Destinations {
                domains: d.iter().map(|p| dom(p)).collect(),
                v4,
                v6,
            }),
    )
}

fn condition(surface: u8) -> BoxedStrategy<Condition> {
    match surface {
        0 => prop_oneof![
            1 => Just(Condition::None),
            4 => ranges(port_point()).prop_filter("a port list", |r| !r.is_empty()).prop_map(Condition::Ports),
        ]
        .boxed(),
        1 => (1u8..=3).prop_map(|a| Condition::Access(Access(a))).boxed(),
        _ => destinations().prop_map(cred).boxed(),
    }
}

/// A list of up to 12 rules of one surface (0 network, 1 filesystem, 2
/// credentials), and which of them the list holds.
fn random_list() -> impl Strategy<Value = Artifact> {
    (0u8..3).prop_flat_map(|s| {
        (
            prop::collection::vec((effect(), condition(s)), 1..12),
            prop::collection::vec(any::<bool>(), 12),
        )
            .prop_map(|(rules, keep)| {
                let members: Vec<u32> = (0..rules.len() as u32)
                    .filter(|&i| keep[i as usize])
                    .collect();
                policy(rules, &members)
            })
    })
}

/// A best to start from: none, or some (effect, rule), weakest allow or ask.
fn start() -> impl Strategy<Value = (Option<(Effect, u32)>, bool)> {
    (prop::option::of((effect(), 0u32..12)), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2048),
        ..ProptestConfig::default()
    })]

    #[test]
    fn indexed_lists_decide_like_a_plain_scan(
        art in random_list(),
        (found, ask) in start(),
        port in prop::option::of(prop_oneof![1u16..42, Just(65535u16)]),
        host in prop::option::of(prop::sample::select(HOSTS)),
        ips in prop::collection::vec(prop::sample::select(IPS), 0..3),
    ) {
        let index = RuleIndex::build(&art).unwrap();
        let d = dest(host, &ips);
        let classes = [
            Class::Port(port),
            Class::Read,
            Class::Write,
            Class::See,
            Class::Send(&d),
            Class::Tool,
        ];
        let best = || Best {
            found,
            weakest: if ask { Effect::Ask } else { Effect::Allow },
        };
        for class in classes {
            let surface = art.candidates[1]
                .first()
                .map(|&ri| art.rules[ri as usize].surface);
            let fits = matches!(
                (surface, &class),
                (None, _)
                    | (Some(Surface::Network), Class::Port(_))
                    | (Some(Surface::Filesystem), Class::Read | Class::Write)
                    | (Some(Surface::Credential), Class::See | Class::Send(_))
            );
            if !fits {
                continue;
            }
            prop_assert_eq!(
                indexed(&art, &index, class, best()).found,
                plain(&art, &class, best()).found,
                "list {:?}", art.candidates[1]
            );
        }
    }

    #[test]
    fn elementary_intervals_equal_a_plain_minimum(
        rs in prop::collection::vec((0u16..50, 0u16..50, 0u32..20, any::<bool>()), 0..20),
        probes in prop::collection::vec(0u16..60, 1..30),
    ) {
        let ranges: Vec<_> = rs.iter().map(|&(a, b, p, d)| (a.min(b), a.max(b), p, d)).collect();
        let iv = elementary(ranges.clone());
        for x in probes {
            let min = |deny_only: bool| {
                ranges
                    .iter()
                    .filter(|r| r.0 <= x && x <= r.1 && (r.3 || !deny_only))
                    .map(|r| r.2)
                    .min()
                    .unwrap_or(NONE)
            };
            let got = interval(&iv, x).copied().unwrap_or([NONE; 2]);
            prop_assert_eq!(got, [min(false), min(true)], "x = {}", x);
        }
    }
}
