//! The engine interface and the registry: every engine for one workload and
//! size, in the order they are checked, histogrammed and benchmarked.

use crate::cedar::Cedar;
use crate::data::Workload;
use crate::floor::Floor;
use crate::naive;
use crate::ours::{CAbi, Json, Ours};
use crate::rego::Rego;

/// Largest rule count given to Cedar and regorus (linear engines: about
/// 20 ms per Cedar decision at 10k rules; 100k would take the run past 30 min).
const PEER_CAP: usize = 10_000;

/// One engine on one workload: decides request `i` of the stream.
pub trait Engine {
    fn decide(&mut self, i: usize) -> bool;
}

/// Every engine for one workload and size, by name.
pub fn engines(
    w: Workload,
    n: usize,
    rules: &[String],
    reqs: &[String],
    bytes: &[u8],
) -> Vec<(&'static str, Box<dyn Engine>)> {
    let mut v: Vec<(&'static str, Box<dyn Engine>)> = vec![
        ("ours", Box::new(Ours::new(w, bytes, reqs.to_vec()))),
        ("c_abi", Box::new(CAbi::new(w, bytes, reqs.to_vec()))),
        ("json", Box::new(Json::new(w, bytes, reqs))),
    ];
    if let Some(f) = Floor::new(w, rules, reqs.to_vec()) {
        v.push(("floor", Box::new(f)));
    }
    v.extend(naive::engines(w, n, rules, reqs));
    if n <= PEER_CAP {
        v.push(("cedar", Box::new(Cedar::new(w, rules, reqs))));
        v.push(("rego", Box::new(Rego::new(w, rules, reqs))));
    }
    v
}

/// The engines that get the smaller equivalence sample and flat sampling.
pub fn slow(engine: &str, n: usize) -> bool {
    matches!(engine, "cedar" | "rego" | "naive" | "globset") && n >= 1_000
}
