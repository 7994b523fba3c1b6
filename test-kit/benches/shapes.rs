//! Decision time of the hard pattern shapes of issue 13 (see
//! `benches/README.md`), next to an ordinary 10-rule policy of the same
//! surface, so one run gives the ratios.
//!
//! * `shape/<case>/<rules>`: [`Kind::SHAPES`] at 10, 1,000 and 100,000
//!   rules (`long-glob` at 1 and 256 globs).
//! * `shape/baseline/<surface>/<case>`: the 10-rule policy of
//!   [`Kind::baseline`], decided with the case's requests.
//!
//! Policies come from the sized builders of the one generator
//! (`test_kit::gen::sized`) and are built with `policy_lang::build`, so they
//! are decided as loaded from their bytes. Each benchmark cycles through
//! the case's [`SHAPE_REQUESTS`] requests, one decision per iteration. A
//! policy the compiler refuses (a shape over a compile budget) is reported
//! once on stderr as `refused: <code> <message>` and its benchmark is not
//! registered.
//!
//! `BENCH_QUICK=1` (and criterion's test mode, `cargo test --benches`)
//! skips the 100,000-rule sizes and shortens warm-up and measurement.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use policy_eval::{Context, Policy, Request};
use policy_lang::diag::Severity;
use test_kit::gen::sized::{block, fixture_source, Kind, SHAPE_REQUESTS};
use test_kit::gen::Req;

/// Rule counts of the shapes (`long-glob` has its own, [`LONG_SIZES`]).
const SIZES: [usize; 3] = [10, 1_000, 100_000];
/// Globs of the `long-glob` cases.
const LONG_SIZES: [usize; 2] = [1, 256];
/// Sizes skipped in quick and test mode.
const FULL_ONLY: usize = 100_000;
/// Rules of the baseline policies.
const BASELINE: usize = 10;
/// Root bindings used by every request.
const ROOTS: &[(&str, &str)] = &[("home", "/home/u"), ("workspace", "/home/u/w")];

/// `BENCH_QUICK=1`, or criterion's test mode (run without `--bench`).
fn quick() -> bool {
    common::quick_env() || !std::env::args().any(|a| a == "--bench")
}

fn ctx() -> Context<'static> {
    Context {
        roots: ROOTS,
        ..Default::default()
    }
}

/// Builds `src` with `policy_lang::build`; `None` (after printing
/// `refused: <code> <message>` once) when the compiler refused it.
fn build(id: &str, src: &str) -> Option<Policy> {
    let b = policy_lang::build(src);
    // Warnings by code, with their counts (W0107 is expected for some shapes).
    let mut warnings: Vec<(&str, usize)> = Vec::new();
    for d in b
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Warning)
    {
        match warnings.iter_mut().find(|(c, _)| *c == d.code.as_str()) {
            Some((_, k)) => *k += 1,
            None => warnings.push((d.code.as_str(), 1)),
        }
    }
    match b.policy {
        Some(policy) => {
            if !warnings.is_empty() {
                let list: Vec<String> = warnings.iter().map(|(c, k)| format!("{c} x{k}")).collect();
                eprintln!("{id}: warnings {}", list.join(", "));
            }
            Some(policy)
        }
        None => {
            match b
                .diagnostics
                .iter()
                .find(|d| d.severity() == Severity::Error)
            {
                Some(d) => eprintln!("{id}: refused: {} {}", d.code, d.message),
                None => eprintln!("{id}: refused: no policy and no error diagnostic"),
            }
            None
        }
    }
}

/// Prints how many of the requests a rule decided, and the artifact size.
fn describe(id: &str, policy: &Policy, reqs: &[Req]) {
    let ctx = ctx();
    let hits = reqs
        .iter()
        .filter(|r| policy.decide(&r.as_request(), &ctx).rule.is_some())
        .count();
    eprintln!(
        "{id}: {hits} of {} requests decided by a rule, {} artifact bytes",
        reqs.len(),
        policy.artifact().to_bytes().len()
    );
}

/// One benchmark: one decision per iteration, cycling through `reqs`.
fn bench_one(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    policy: &Policy,
    reqs: &[Req],
) {
    assert_eq!(reqs.len(), SHAPE_REQUESTS, "shape fixtures have 4 requests");
    let ctx = ctx();
    let reqs: Vec<Request<'_>> = reqs.iter().map(Req::as_request).collect();
    group.bench_function(id, |b| {
        let mut i = 0usize;
        b.iter(|| {
            let r = &reqs[i & (SHAPE_REQUESTS - 1)];
            i = i.wrapping_add(1);
            policy.decide(black_box(r), black_box(&ctx))
        });
    });
}

/// The sizes of `kind` in this mode.
fn sizes(kind: Kind) -> Vec<usize> {
    let all: &[usize] = match kind {
        Kind::LongGlobs => &LONG_SIZES,
        _ => &SIZES,
    };
    all.iter()
        .copied()
        .filter(|&n| !(quick() && n >= FULL_ONLY))
        .collect()
}

fn bench_shapes(c: &mut Criterion) {
    for kind in Kind::SHAPES {
        let name = format!("shape/{}", kind.name());
        let mut group = c.benchmark_group(&name);
        for n in sizes(kind) {
            let id = format!("{name}/{n}");
            let (src, reqs) = fixture_source(kind, n);
            let Some(policy) = build(&id, &src) else {
                continue;
            };
            describe(&id, &policy, &reqs);
            bench_one(&mut group, BenchmarkId::from_parameter(n), &policy, &reqs);
        }
        group.finish();
    }
}

/// `shape/baseline/<surface>/<case>`: the ordinary 10-rule policy of the
/// case's surface with the case's requests (those of its 10-rule fixture).
fn bench_baselines(c: &mut Criterion) {
    for kind in Kind::SHAPES {
        let base = kind.baseline();
        let surface = block(kind);
        let name = format!("shape/baseline/{surface}");
        let id = format!("{name}/{}", kind.name());
        let (src, _) = fixture_source(base, BASELINE);
        let Some(policy) = build(&id, &src) else {
            continue;
        };
        let reqs = fixture_source(kind, sizes(kind)[0]).1;
        describe(&id, &policy, &reqs);
        let mut group = c.benchmark_group(&name);
        bench_one(
            &mut group,
            BenchmarkId::from_parameter(kind.name()),
            &policy,
            &reqs,
        );
        group.finish();
    }
}

/// `shape/arguments-4kb/<case>`: in one small policy, a plain tool call
/// (`plain`) beside a call whose 4 KB `arguments` object two constraints
/// read (`4kb`), typed (the host parsed the call) and through the JSON entry
/// point (`plain-json`, `4kb-json`: parsing included).
fn bench_arguments_4kb(c: &mut Criterion) {
    let src = "policy args-4kb\nmcp {\n  default deny\n  server s {\n    allow get_me\n    \
               allow search where /q matches \"repo:acme/*\" and /limit in 1..100\n  }\n}\n";
    let Some(policy) = build("shape/arguments-4kb", src) else {
        return;
    };
    let args = test_kit::gen::sized::arguments_4kb("repo:acme/x", 5);
    let plain = Request::Mcp {
        server: "s",
        tool: Some("get_me"),
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    let big = Request::Mcp {
        server: "s",
        tool: Some("search"),
        source: None,
        arguments: Some(&args),
        definition: None,
        resource: None,
        prompt: None,
    };
    let ctx = ctx();
    assert_eq!(policy.decide(&big, &ctx).effect, policy_eval::Effect::Allow);
    let plain_json = r#"{"surface":"mcp","server":"s","tool":"get_me"}"#.to_string();
    let big_json =
        format!(r#"{{"surface":"mcp","server":"s","tool":"search","arguments":{args}}}"#);
    eprintln!(
        "shape/arguments-4kb: arguments {} bytes",
        args.to_string().len()
    );
    let mut group = c.benchmark_group("shape/arguments-4kb");
    for (id, req) in [("plain", plain), ("4kb", big)] {
        group.bench_function(id, |b| {
            b.iter(|| policy.decide(black_box(&req), black_box(&ctx)))
        });
    }
    for (id, text) in [("plain-json", &plain_json), ("4kb-json", &big_json)] {
        group.bench_function(id, |b| b.iter(|| policy.decide_json(black_box(text))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config(quick());
    targets = bench_baselines, bench_shapes, bench_arguments_4kb
}
criterion_main!(benches);
