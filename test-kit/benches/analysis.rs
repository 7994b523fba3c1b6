//! Time of `polc diff` (`policy_lang::analysis::diff`) between two versions
//! of the 10,000-rule benchmark policies of each surface, one percent of
//! their rules changed (every 100th rule takes another effect).
//!
//! * `diff/<kind>/<rules>`: the analysis alone; both policies are built
//!   before timing, as `polc diff` builds them before it compares.
//! * `lint/<kind>/<rules>`: the shadowed and redundant rule lints
//!   (`policy_lang::analysis::cover`) on the first version, which
//!   `polc check` adds to building it.
//!
//! `ANALYSIS_DUMP=DIR` also writes each pair of policies to `DIR`
//! (`KIND-N.policy`, `KIND-N-next.policy`), to time `polc diff` on them.
//!
//! `BENCH_QUICK=1` (and criterion's test mode, `cargo test --benches`)
//! runs 1,000 rules instead of 10,000, with short timings.

// A benchmark fails loudly on a broken fixture.
#![allow(clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use policy_lang::analysis::{cover, diff, Options, Side};
use policy_lang::Build;
use test_kit::gen::sized::{fixture_source, Kind};

/// The surfaces' plain shapes, as in `benches/RESULTS.md`'s compile table.
const KINDS: [Kind; 5] = [
    Kind::Domain,
    Kind::Cidr,
    Kind::Path,
    Kind::Mcp,
    Kind::Secret,
];

fn quick() -> bool {
    common::quick_env() || !std::env::args().any(|a| a == "--bench")
}

/// `source` with every 100th rule line given another effect.
pub fn one_percent_changed(source: &str) -> String {
    let mut n = 0usize;
    let mut out = String::with_capacity(source.len() + 64);
    for line in source.lines() {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let effect = ["allow ", "deny ", "ask "]
            .iter()
            .find(|w| t.starts_with(**w));
        match effect {
            Some(w) => {
                n += 1;
                if n.is_multiple_of(100) {
                    let other = if *w == "deny " { "allow " } else { "deny " };
                    out.push_str(indent);
                    out.push_str(other);
                    out.push_str(&t[w.len()..]);
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn built(src: &str) -> Build {
    let b = policy_lang::build(src);
    assert!(
        !b.has_errors(),
        "benchmark policy must build: {:?}",
        b.diagnostics
    );
    b
}

fn bench(c: &mut Criterion) {
    let n = if quick() { 1_000 } else { 10_000 };
    let mut lints = Vec::new();
    let mut g = c.benchmark_group("diff");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    for kind in KINDS {
        let (old_src, _) = fixture_source(kind, n);
        let new_src = one_percent_changed(&old_src);
        if let Ok(dir) = std::env::var("ANALYSIS_DUMP") {
            let name = kind.name();
            std::fs::write(format!("{dir}/{name}-{n}.policy"), &old_src).expect("write");
            std::fs::write(format!("{dir}/{name}-{n}-next.policy"), &new_src).expect("write");
        }
        let (a, b) = (built(&old_src), built(&new_src));
        let (Some(ca), Some(pa), Some(cb), Some(pb)) =
            (&a.checked, &a.policy, &b.checked, &b.policy)
        else {
            continue;
        };
        let opts = Options::for_policies(ca, cb);
        let (old, new) = (
            Side {
                checked: ca,
                policy: pa,
            },
            Side {
                checked: cb,
                policy: pb,
            },
        );
        let d = diff(old, new, &opts).expect("the witnesses check");
        eprintln!(
            "diff/{}/{n}: {} change classes, {} unknown parts, {} witnesses decided",
            kind.name(),
            d.classes.len(),
            d.unknown.len(),
            d.probes
        );
        for u in &d.unknown {
            eprintln!("  unknown: {}", u.what);
        }
        // A changed rule changes some decision, unless the part is unknown.
        assert!(!d.classes.is_empty() || !d.unknown.is_empty());
        g.bench_with_input(BenchmarkId::new(kind.name(), n), &(), |bch, _| {
            bch.iter(|| black_box(diff(old, new, &opts)))
        });
        lints.push((kind, a));
    }
    g.finish();
    let mut g = c.benchmark_group("lint");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    for (kind, a) in &lints {
        let (Some(ca), Some(pa)) = (&a.checked, &a.policy) else {
            continue;
        };
        let found = cover::findings(ca, pa);
        let shadowed = found.iter().filter(|f| f.shadowed).count();
        eprintln!(
            "lint/{}/{n}: {shadowed} shadowed, {} redundant rules",
            kind.name(),
            found.len() - shadowed
        );
        g.bench_with_input(BenchmarkId::new(kind.name(), n), &(), |bch, _| {
            bch.iter(|| black_box(cover::findings(ca, pa)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(quick());
    targets = bench
}
criterion_main!(benches);
