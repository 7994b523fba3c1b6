//! Decision, compile and load benchmarks (see `benches/README.md`).
//!
//! Policies come from the sized builders of the one generator
//! (`test_kit::gen::sized`, a seeded xorshift generator), so every run
//! measures the same source text; each is built with `policy_lang::build`
//! and decided as loaded from its bytes. Each `decide/<surface>/<rules>` benchmark
//! cycles through a fixed set of [`REQUESTS`] requests (hits and misses), one
//! request per iteration, so no single request stays hot.
//!
//! `BENCH_QUICK=1` shortens warm-up and measurement to 200 ms each, for CI.

// Benchmark setup fails loudly: a generated policy that does not compile is a
// bug in this file, and a panic is the clearest report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use std::cell::OnceCell;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use policy_eval::{Access, Context, Layer, Policy, Request, Stack};
use test_kit::gen::sized::{
    block, fixture_source, generate, mixed_source, policy_source, Kind, Rng, REQUESTS,
};
use test_kit::gen::Req;

/// Rule counts of the `decide/*` benchmarks.
const SIZES: [usize; 3] = [10, 1_000, 10_000];
/// Rule counts of the `hazard/*` benchmarks (shapes the compiler cannot
/// index, measured to show their linear cost).
const HAZARD_SIZES: [usize; 2] = [10, 1_000];
/// Rules in the compile / load benchmarks (a mix of all four shapes).
const BIG: usize = 10_000;
/// Rules behind the JSON entry point benchmark.
const JSON_RULES: usize = 1_000;
/// Rule counts (ports) and destination counts of the `cond/*` benchmarks;
/// the largest only outside quick mode (it takes seconds to build).
const COND_SIZES: [usize; 3] = [10, 1_000, 100_000];
/// Root bindings used by every request.
const ROOTS: &[(&str, &str)] = &[("home", "/home/u"), ("workspace", "/home/u/w")];

fn quick() -> bool {
    common::quick_env()
}

/// Builds `src` ([`policy_lang::build()`]: loaded from its bytes); panics on
/// errors (warnings, such as W0109 on generated port lists, are fine).
fn built(src: &str) -> (Policy, Vec<u8>) {
    let b = policy_lang::build(src);
    let (Some(policy), Some(bytes)) = (b.policy, b.bytes) else {
        panic!("generated policy has errors: {:?}", b.diagnostics);
    };
    (policy, bytes)
}

/// A one-surface policy of `n` rules and its requests.
fn fixture(kind: Kind, n: usize) -> (Policy, Vec<Req>) {
    let (src, requests) = fixture_source(kind, n);
    (built(&src).0, requests)
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn bench_decide(c: &mut Criterion) {
    for kind in Kind::ALL {
        decide_group(c, "decide", kind, &SIZES);
    }
}

fn bench_hazards(c: &mut Criterion) {
    for kind in Kind::HAZARDS {
        // Path globs sharing one prefix: one DFA group.
        let sizes = match kind {
            Kind::PathGlobs => [10, 250],
            _ => HAZARD_SIZES,
        };
        decide_group(c, "hazard", kind, &sizes);
    }
}

/// Benchmarks `<prefix>/<kind>/<n>` for each size: one decision per
/// iteration, cycling through the fixture's requests.
fn decide_group(c: &mut Criterion, prefix: &str, kind: Kind, sizes: &[usize]) {
    let ctx = Context {
        roots: ROOTS,
        ..Default::default()
    };
    let name = format!("{prefix}/{}", kind.name());
    let mut group = c.benchmark_group(&name);
    for &n in sizes {
        // Built on first use, so a filtered run (`cargo bench -- path`) skips
        // the fixtures it does not measure.
        let mut fixture_cell: Option<(Policy, Vec<Req>)> = None;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let (policy, owned) = fixture_cell.get_or_insert_with(|| {
                let (policy, owned) = fixture(kind, n);
                let hits = owned
                    .iter()
                    .filter(|r| policy.decide(&r.as_request(), &ctx).rule.is_some())
                    .count();
                eprintln!(
                    "{name}/{n}: {hits} of {REQUESTS} requests decided by a rule, \
                     {} artifact bytes",
                    policy.artifact().to_bytes().len()
                );
                (policy, owned)
            });
            let reqs: Vec<Request<'_>> = owned.iter().map(Req::as_request).collect();
            let mut i = 0usize;
            b.iter(|| {
                let r = &reqs[i & (REQUESTS - 1)];
                i = i.wrapping_add(1);
                policy.decide(black_box(r), black_box(&ctx))
            });
        });
    }
    group.finish();
}

fn bench_compile_load(c: &mut Criterion) {
    // Built on first use, so a filtered run skips it.
    let mixed: OnceCell<(String, Vec<u8>)> = OnceCell::new();
    let mixed = || {
        mixed.get_or_init(|| {
            let src = mixed_source(BIG);
            let bytes = built(&src).1;
            eprintln!(
                "artifact/mixed/{BIG}: {} bytes ({} source bytes)",
                bytes.len(),
                src.len()
            );
            (src, bytes)
        })
    };
    let mut group = c.benchmark_group("compile");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("check+compile", BIG), |b| {
        let src = &mixed().0;
        b.iter(|| {
            let checked = policy_lang::check::check_source(black_box(src));
            let policy = checked.policy.expect("checks");
            policy_lang::compile::compile(&policy, src).expect("compiles")
        });
    });
    group.finish();

    let mut group = c.benchmark_group("load");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("from_bytes", BIG), |b| {
        let bytes = &mixed().1;
        b.iter(|| Policy::from_bytes(black_box(bytes)).expect("loads"));
    });
    group.finish();
}

/// The JSON fixture: a 1,000-rule domain policy and one request it decides
/// by a rule, as JSON text and as the owned request.
fn json_fixture() -> (Policy, String, Req) {
    let (policy, reqs) = fixture(Kind::Domain, JSON_RULES);
    let ctx = Context::default();
    let req = reqs
        .into_iter()
        .find(|r| policy.decide(&r.as_request(), &ctx).rule.is_some())
        .expect("a hit");
    let Req::Network {
        host: Some(host),
        port,
        ..
    } = &req
    else {
        panic!("domain requests are network requests");
    };
    let port = port.map_or(String::new(), |p| format!(",\"port\":{p}"));
    let json = format!("{{\"surface\":\"network\",\"host\":\"{host}\"{port}}}");
    eprintln!("json/{JSON_RULES}: {json} -> {}", policy.decide_json(&json));
    (policy, json, req)
}

fn bench_json(c: &mut Criterion) {
    let fix: OnceCell<(Policy, String, Req)> = OnceCell::new();
    let fix = || fix.get_or_init(json_fixture);
    let ctx = Context::default();
    let mut group = c.benchmark_group("json");
    group.bench_function(BenchmarkId::new("decide_json", JSON_RULES), |b| {
        let (policy, json, _) = fix();
        b.iter(|| policy.decide_json(black_box(json)));
    });
    group.bench_function(BenchmarkId::new("decide_same_request", JSON_RULES), |b| {
        let (policy, _, req) = fix();
        let req = req.as_request();
        b.iter(|| policy.decide(black_box(&req), black_box(&ctx)));
    });
    group.finish();
}

/// The `cost` fixture: a few domain rules and extension rules (one of them
/// multi-dot), and the requests of the `cost` group by name.
fn cost_fixture() -> (Policy, Vec<(&'static str, Req)>) {
    let src = policy_source(
        "bench-cost",
        &[
            (
                "network",
                "  allow api.github.com port 443\n  allow **.example.com\n  deny evil.com\n"
                    .to_string(),
            ),
            (
                "filesystem",
                "  allow read /srv/**\n  allow read /srv/**/*.rs\n  deny read /srv/**/*.pem\n  \
                 deny read /srv/**/*.tar.gz\n  ask read /**/*.env\n"
                    .to_string(),
            ),
        ],
    );
    let policy = built(&src).0;
    let net = |host: String| Req::Network {
        host: Some(host),
        ip: None,
        port: Some(443),
        http: None,
    };
    // 340 distinct ideographs (3 bytes each) in one label: 1,024 bytes, the
    // longest host examined at all, and the worst case for Punycode, whose
    // encoder loops over the label once per distinct character.
    let ideographs: String = (0x4E00..0x4E00 + 340).filter_map(char::from_u32).collect();
    // Other 1 KB shapes, refused by the same count: 17 short labels of 19
    // ideographs (1,017 bytes), a label of 340 Ethiopic syllables (1,020
    // bytes); and 1 KB of ASCII labels, which never reaches IDNA.
    let labels = vec![&ideographs[..19 * 3]; 17].join("\u{3002}");
    let unlisted: String = (0..340)
        .filter_map(|i| char::from_u32(0x1200 + i % 0x48))
        .collect();
    let requests = vec![
        ("host_normal", net("api.github.com".into())),
        ("host_unicode_short", net("bücher.example.com".into())),
        ("host_unicode_1kb", net(format!("{ideographs}.com"))),
        ("host_unicode_1kb_labels", net(labels)),
        ("host_unicode_1kb_ethiopic", net(unlisted)),
        ("host_ascii_1kb", net(vec!["a".repeat(63); 16].join("."))),
        (
            "path_normal",
            Req::Filesystem {
                path: "/srv/app/src/main.rs".into(),
                access: Access::READ,
            },
        ),
        (
            "path_254_dots",
            Req::Filesystem {
                path: format!("/srv/app/{}", ".".repeat(254)),
                access: Access::READ,
            },
        ),
    ];
    (policy, requests)
}

/// Hostile requests against a normal decision, in one group so the ratios
/// can be read from one run: a 1 KiB non-ASCII host (refused before IDNA)
/// and a last path segment of 254 dots (the extension probe), next to a
/// typical host and path, and a short legitimate Unicode host for scale.
fn bench_cost(c: &mut Criterion) {
    let fix: OnceCell<(Policy, Vec<(&'static str, Req)>)> = OnceCell::new();
    let fix = || {
        fix.get_or_init(|| {
            let (policy, requests) = cost_fixture();
            let ctx = Context::default();
            for (name, r) in &requests {
                eprintln!("cost/{name}: {:?}", policy.decide(&r.as_request(), &ctx));
            }
            (policy, requests)
        })
    };
    let ctx = Context::default();
    let mut group = c.benchmark_group("cost");
    for name in [
        "host_normal",
        "host_unicode_short",
        "host_unicode_1kb",
        "host_unicode_1kb_labels",
        "host_unicode_1kb_ethiopic",
        "host_ascii_1kb",
        "path_normal",
        "path_254_dots",
    ] {
        group.bench_function(name, |b| {
            let (policy, requests) = fix();
            let req = requests
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, r)| r.as_request())
                .expect("a cost request");
            b.iter(|| policy.decide(black_box(&req), black_box(&ctx)));
        });
    }
    group.finish();
}

/// `n` x `allow example.com port N` (one anchor, so one candidate list of
/// `n` port-conditional rules; ports from 3 up, cycling below 65536) and
/// requests: port 2 (no rule), the last rule's port, port 443, no port.
fn cond_ports_fixture(n: usize) -> (Policy, Vec<Req>) {
    let port = |i: usize| 3 + i % 65_533;
    let body: String = (0..n)
        .map(|i| format!("  allow example.com port {}\n", port(i)))
        .collect();
    let src = policy_source(&format!("bench-cond-ports-{n}"), &[("network", body)]);
    let net = |port| Req::Network {
        host: Some("example.com".into()),
        ip: None,
        port,
        http: None,
    };
    let last = u32::try_from(port(n - 1)).expect("a port");
    let requests = vec![net(Some(2)), net(Some(last)), net(Some(443)), net(None)];
    (built(&src).0, requests)
}

/// One credential rule with `n` destinations (hosts `hI.example.net`, every
/// tenth an IPv4 /24) and sends: to `evil.com` (no destination), to
/// `evil.com` dialled at an unlisted address, to the last listed host, and
/// to a listed address.
fn cond_destinations_fixture(n: usize) -> (Policy, Vec<Req>) {
    let dest = |i: usize| {
        if i % 10 == 9 {
            format!("10.{}.{}.0/24", (i / 256) % 256, i % 256)
        } else {
            format!("h{i}.example.net")
        }
    };
    let dests: Vec<String> = (0..n).map(dest).collect();
    let body = format!("  allow TOKEN to {}\n", dests.join(",\n    "));
    let src = policy_source(
        &format!("bench-cond-destinations-{n}"),
        &[("credentials", body)],
    );
    let send = |host: &str, ip: Option<&str>| Req::Credential {
        name: "TOKEN".into(),
        host: Some(host.into()),
        ip: ip.map(Into::into),
    };
    let last_host = (0..n)
        .rev()
        .find(|i| i % 10 != 9)
        .map_or("h0.example.net".to_string(), |i| {
            format!("h{i}.example.net")
        });
    let requests = vec![
        send("evil.com", None),
        send("evil.com", Some("93.184.215.14")),
        send(&last_host, None),
        send("evil.com", Some("10.0.9.7")),
    ];
    (built(&src).0, requests)
}

/// Conditions on one candidate list: `cond/ports/<n>` (port-conditional
/// rules on one anchor) and `cond/destinations/<n>` (one credential rule
/// with `n` destinations). Each case is one request, named by its shape.
fn bench_cond(c: &mut Criterion) {
    type Fixture = fn(usize) -> (Policy, Vec<Req>);
    let groups: [(&str, Fixture, [&str; 4]); 2] = [
        (
            "ports",
            cond_ports_fixture,
            ["port_2", "port_last", "port_443", "no_port"],
        ),
        (
            "destinations",
            cond_destinations_fixture,
            ["evil", "evil_ip", "listed_host", "listed_ip"],
        ),
    ];
    let ctx = Context::default();
    for (name, fixture, cases) in groups {
        let mut group = c.benchmark_group(format!("cond/{name}"));
        for &n in &COND_SIZES {
            if quick() && n > 1_000 {
                continue;
            }
            let fix: OnceCell<(Policy, Vec<Req>)> = OnceCell::new();
            let fix = || {
                fix.get_or_init(|| {
                    let (policy, reqs) = fixture(n);
                    for (case, r) in cases.iter().zip(&reqs) {
                        let d = policy.decide(&r.as_request(), &ctx);
                        eprintln!("cond/{name}/{n}/{case}: {:?} {:?}", d.effect, d.rule);
                    }
                    (policy, reqs)
                })
            };
            for (k, case) in cases.iter().enumerate() {
                group.bench_function(BenchmarkId::new(*case, n), |b| {
                    let (policy, reqs) = fix();
                    let req = reqs[k].as_request();
                    b.iter(|| policy.decide(black_box(&req), black_box(&ctx)));
                });
            }
        }
        group.finish();
    }
}

/// Rules in each layer of the `stack/*` benchmarks (1,000 in quick mode).
const STACK_RULES: usize = 10_000;

/// Layer `layer` of a stack of `kind` with `n` rules and surface default
/// `default`; layer 0 has the rules of the `decide/<kind>/<n>` fixture, the
/// others rules of their own (another seed).
fn layer_source(kind: Kind, n: usize, layer: u64, default: &str) -> String {
    let mut rng = Rng::new(kind.seed() * 1_000_003 + n as u64 + layer * 7_919);
    let g = generate(kind, n, &mut rng);
    policy_source(&format!("layer{layer}"), &[(block(kind), g.body)])
        .replace("default deny", default)
}

/// `stack/<kind>/single/<n>` beside `stack/<kind>/three-layers/<n>`
/// (`spec/layers.md`): the same requests decided by the fixture policy
/// alone and by a stack of three `n`-rule layers whose upper two default
/// to allow, so no request is settled by an upper default: every request
/// not denied by a rule is decided by all three layers (the stack's worst
/// case; a deny ends the walk). `stack/<kind>/no-rules/<n>`: the same
/// requests against a policy without rules, the part of a decision that
/// does not depend on the policy (normalization, dispatch).
fn bench_stack(c: &mut Criterion) {
    let n = if quick() { 1_000 } else { STACK_RULES };
    let ctx = Context {
        roots: ROOTS,
        ..Default::default()
    };
    for kind in Kind::ALL {
        let mut group = c.benchmark_group(format!("stack/{}", kind.name()));
        let cell: OnceCell<(Policy, Stack, Vec<Req>)> = OnceCell::new();
        let stacked = || {
            cell.get_or_init(|| {
                let (single, requests) = fixture(kind, n);
                let layers = (0..3u64)
                    .map(|i| Layer {
                        name: format!("layer{i}"),
                        level: i as u8,
                        audit: false,
                        policy: built(&layer_source(
                            kind,
                            n,
                            i,
                            if i < 2 {
                                "default allow"
                            } else {
                                "default deny"
                            },
                        ))
                        .0,
                    })
                    .collect();
                let stack = Stack::new(layers).expect("three layers");
                let all = requests
                    .iter()
                    .filter(|r| {
                        let r = r.as_request();
                        stack.decide(&r, &ctx).layer == 2
                    })
                    .count();
                eprintln!(
                    "stack/{}/{n}: {all} of {REQUESTS} requests reach the third layer",
                    kind.name()
                );
                (single, stack, requests)
            })
        };
        group.bench_function(BenchmarkId::new("single", n), |b| {
            let (single, _, owned) = stacked();
            let reqs: Vec<Request<'_>> = owned.iter().map(Req::as_request).collect();
            let mut i = 0usize;
            b.iter(|| {
                let r = &reqs[i & (REQUESTS - 1)];
                i = i.wrapping_add(1);
                single.decide(black_box(r), black_box(&ctx))
            });
        });
        group.bench_function(BenchmarkId::new("no-rules", n), |b| {
            let (_, _, owned) = stacked();
            let empty = built(&layer_source(kind, 0, 0, "default allow")).0;
            let reqs: Vec<Request<'_>> = owned.iter().map(Req::as_request).collect();
            let mut i = 0usize;
            b.iter(|| {
                let r = &reqs[i & (REQUESTS - 1)];
                i = i.wrapping_add(1);
                empty.decide(black_box(r), black_box(&ctx))
            });
        });
        group.bench_function(BenchmarkId::new("three-layers", n), |b| {
            let (_, stack, owned) = stacked();
            let reqs: Vec<Request<'_>> = owned.iter().map(Req::as_request).collect();
            let mut i = 0usize;
            b.iter(|| {
                let r = &reqs[i & (REQUESTS - 1)];
                i = i.wrapping_add(1);
                stack.decide(black_box(r), black_box(&ctx))
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config(quick());
    targets = bench_decide, bench_compile_load, bench_json, bench_hazards, bench_cost, bench_cond,
        bench_stack
}
criterion_main!(benches);
