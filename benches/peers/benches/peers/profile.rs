//! Profile mode (`PEERS_PROFILE`): cold decisions in one function a
//! profiler can count, instead of benchmarking.

use std::hint::black_box;

use crate::data::{read_lines, Workload};
use crate::engine::Engine;
use crate::floor::Floor;
use crate::ours::{build_ours, CAbi, Ours};

/// `PEERS_PROFILE=<workload>/<rules>/<engine>` (`ours`, `c_abi` or `floor`):
/// instead of benchmarking, make `PEERS_PROFILE_N` (default 100,000) cold
/// decisions in `profile_loop`, for a profiler that can count one function
/// (`valgrind --tool=callgrind --cache-sim=yes --toggle-collect=*profile_loop*`;
/// see `benches/README.md`, "Profiling the cold growth").
pub fn profile(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [w, n, engine] = parts[..] else {
        panic!("PEERS_PROFILE={spec}: want <workload>/<rules>/<engine>")
    };
    let w = *Workload::ALL
        .iter()
        .find(|x| x.name() == w)
        .unwrap_or_else(|| panic!("unknown workload {w}"));
    let n: usize = n.parse().expect("rule count");
    let count: usize = std::env::var("PEERS_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rules = read_lines(w, "rules", n);
    let reqs = read_lines(w, "requests", n);
    let (bytes, _) = build_ours(w, &rules);
    let mut e: Box<dyn Engine> = match engine {
        "ours" => Box::new(Ours::new(w, &bytes, reqs.clone())),
        "c_abi" => Box::new(CAbi::new(w, &bytes, reqs.clone())),
        "floor" => Box::new(
            Floor::new(w, &rules, reqs.clone())
                .unwrap_or_else(|| panic!("no floor for {}", w.name())),
        ),
        _ => panic!("PEERS_PROFILE engine {engine}: want ours, c_abi or floor"),
    };
    let allowed = profile_loop(e.as_mut(), reqs.len(), count);
    println!(
        "profile {spec}: {count} cold decisions over {} requests, {allowed} allowed",
        reqs.len()
    );
}

#[inline(never)]
fn profile_loop(e: &mut dyn Engine, len: usize, count: usize) -> usize {
    (0..count).filter(|&i| e.decide(black_box(i % len))).count()
}
