//! The latency histogram, outside criterion: single decisions timed with
//! `Instant`, for the median and p99 (`$PEERS_OUT/latency.json`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::engine::Engine;

/// `count` single decisions timed with `Instant` (cold: walking the stream;
/// hot: request 0 each time), sorted; returns (median, p99) in ns.
pub fn histogram(e: &mut dyn Engine, len: usize, hot: bool, budget: Duration) -> (f64, f64, usize) {
    let start = Instant::now();
    let mut t = Vec::with_capacity(4096);
    let mut i = 0;
    while t.len() < 20_000 && (t.len() < 101 || start.elapsed() < budget) {
        let k = if hot { 0 } else { i % len };
        let s = Instant::now();
        black_box(e.decide(black_box(k)));
        t.push(s.elapsed().as_nanos() as f64);
        i += 1;
    }
    t.sort_by(f64::total_cmp);
    let q = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
    (q(0.5), q(0.99), t.len())
}

/// The median cost of timing nothing, in ns.
pub fn instant_overhead() -> f64 {
    let mut t: Vec<f64> = (0..10_000)
        .map(|_| {
            let s = Instant::now();
            s.elapsed().as_nanos() as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}
