//! This engine side by side with a hand-written floor, a naive matcher,
//! Cedar and Rego (regorus), on rule sets built by `benches/gen_data.py`
//! (see `benches/README.md`, "Peer engines").
//!
//! One run does, in order:
//! 1. builds every engine for every workload and size, timing this engine's
//!    compile and load and recording its artifact size;
//! 2. checks equivalence: on a sample of requests every engine must give the
//!    decision this engine gives (the count ends in `bench: N passed, M failed`);
//! 3. a latency histogram: N single decisions timed with `Instant`, sorted,
//!    for the median and p99 (written to `$PEERS_OUT/latency.json`);
//! 4. criterion: `<workload>/<engine>-<hot|cold>/<rules>`.
//!
//! `BENCH_QUICK=1` (or `--quick`): sizes 10 and 100, short criterion runs.
//!
//! The engines live beside this file, one module each, in `peers/`: `ours`
//! (this engine: Rust API, C ABI, JSON), `floor`, `naive` (and `globset`),
//! `cedar`, `rego`; `engine` is the interface and the list of engines,
//! `data` the workloads and their files, `latency` the histogram, `profile`
//! the `PEERS_PROFILE` mode.

#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "peers/cedar.rs"]
mod cedar;
#[path = "peers/data.rs"]
mod data;
#[path = "peers/engine.rs"]
mod engine;
#[path = "peers/floor.rs"]
mod floor;
#[path = "peers/latency.rs"]
mod latency;
#[path = "peers/naive.rs"]
mod naive;
#[path = "peers/ours.rs"]
mod ours;
#[path = "peers/profile.rs"]
mod profile;
#[path = "peers/rego.rs"]
mod rego;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};

use data::{data_dir, read_lines, Workload};
use engine::{engines, slow};
use latency::{histogram, instant_overhead};
use ours::build_ours;

const ALL_SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];
const QUICK_SIZES: [usize; 2] = [10, 100];
/// Requests checked for equivalence per engine, workload and size.
const EQUIV_SAMPLE: usize = 256;
/// Fewer for the slow engines at large sizes.
const EQUIV_SAMPLE_SLOW: usize = 32;

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1") || std::env::args().any(|a| a == "--quick")
}

fn main() {
    if let Ok(spec) = std::env::var("PEERS_PROFILE") {
        profile::profile(&spec);
        return;
    }
    let quick = quick();
    let sizes: &[usize] = if quick { &QUICK_SIZES } else { &ALL_SIZES };
    // `cargo bench -- <filter>` passes the filter to criterion.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut c = Criterion::default().with_output_color(false);
    c = if quick {
        c.warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(100))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(1200))
            .sample_size(20)
    };
    if let Some(f) = &filter {
        c = c.with_filter(f.clone());
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut json = String::from("{\n");
    let _ = writeln!(
        json,
        "  \"quick\": {quick},\n  \"instant_overhead_ns\": {},",
        instant_overhead()
    );
    json.push_str("  \"latency\": [\n");
    let mut builds = String::new();
    let mut first = true;
    for w in Workload::ALL {
        for &n in sizes {
            let rules = read_lines(w, "rules", n);
            let reqs = read_lines(w, "requests", n);
            let (bytes, b) = build_ours(w, &rules);
            let _ = writeln!(
                builds,
                "    {{\"workload\": \"{}\", \"rules\": {n}, \"compile_ns\": {}, \"load_ns\": {}, \"bytes\": {}, \"warnings\": {}}},",
                w.name(), b.compile.as_nanos(), b.load.as_nanos(), b.bytes, b.warnings
            );
            let mut es = engines(w, n, &rules, &reqs, &bytes);
            // Equivalence: every engine agrees with this engine.
            let mut hits = 0;
            let expected: Vec<bool> = {
                let ours = &mut es[0].1;
                (0..reqs.len().min(EQUIV_SAMPLE))
                    .map(|i| ours.decide(i))
                    .collect()
            };
            hits += expected.iter().filter(|&&x| x).count();
            for (name, e) in es.iter_mut() {
                let k = if slow(name, n) {
                    EQUIV_SAMPLE_SLOW
                } else {
                    EQUIV_SAMPLE
                }
                .min(expected.len());
                let bad: Vec<usize> = (0..k).filter(|&i| e.decide(i) != expected[i]).collect();
                if bad.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                    let i = bad[0];
                    eprintln!(
                        "EQUIV FAIL {}/{n} {name}: {} of {k} differ, e.g. {:?}: ours {} {name} {}",
                        w.name(),
                        bad.len(),
                        reqs[i],
                        expected[i],
                        !expected[i]
                    );
                }
            }
            eprintln!(
                "{}/{n}: {} engines, {hits} of {} sampled requests allowed, {} bytes, compile {:?}, load {:?}, {} warnings",
                w.name(), es.len(), expected.len(), b.bytes, b.compile, b.load, b.warnings
            );
            // Latency histogram (outside criterion).
            let budget = Duration::from_millis(if quick { 20 } else { 300 });
            for (name, e) in es.iter_mut() {
                for hot in [true, false] {
                    let (p50, p99, count) = histogram(e.as_mut(), reqs.len(), hot, budget);
                    if !first {
                        json.push_str(",\n");
                    }
                    first = false;
                    let _ = write!(
                        json,
                        "    {{\"workload\": \"{}\", \"engine\": \"{name}\", \"rules\": {n}, \"mode\": \"{}\", \"p50_ns\": {p50}, \"p99_ns\": {p99}, \"count\": {count}}}",
                        w.name(), if hot { "hot" } else { "cold" }
                    );
                }
            }
            // Criterion.
            let mut g = c.benchmark_group(w.name());
            for (name, e) in es.iter_mut() {
                if slow(name, n) {
                    g.sampling_mode(SamplingMode::Flat).sample_size(10);
                } else {
                    g.sampling_mode(SamplingMode::Auto)
                        .sample_size(if quick { 10 } else { 20 });
                }
                let len = reqs.len();
                g.bench_function(BenchmarkId::new(format!("{name}-hot"), n), |bn| {
                    bn.iter(|| e.decide(black_box(0)))
                });
                g.bench_function(BenchmarkId::new(format!("{name}-cold"), n), |bn| {
                    let mut i = 0usize;
                    bn.iter(|| {
                        let r = e.decide(black_box(i));
                        i += 1;
                        if i == len {
                            i = 0;
                        }
                        r
                    })
                });
            }
            g.finish();
        }
    }
    json.push_str("\n  ],\n  \"build\": [\n");
    json.push_str(builds.trim_end().trim_end_matches(','));
    json.push_str("\n  ]\n}\n");
    let out = std::env::var_os("PEERS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(data_dir);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("latency.json"), json).unwrap();
    c.final_summary();
    println!("bench: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
