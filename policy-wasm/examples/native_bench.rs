//! Native side of the Node-vs-native comparison run by `.ci/wasm.sh`
//! (`console/test/bench.mjs`): times `Policy::decide_json` on one request,
//! the call the WASM `decideJson` makes, and `Engine::decide_repeated` (the
//! typed decision alone, what the WASM `decideRepeated` runs).
//!
//! `cargo run --release -p policy-wasm --no-default-features --example native_bench -- ARTIFACT REQUEST N`
//! prints `ns_per_decision=<float> ns_per_typed_decision=<float>
//! typed_decision=<json> decision=<json>`.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [artifact, request, n] = args.as_slice() else {
        eprintln!("usage: native_bench ARTIFACT REQUEST_JSON N");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<u32>() else {
        eprintln!("error: N must be a positive integer");
        return ExitCode::from(2);
    };
    let loaded = std::fs::read(artifact)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            let policy = policy_eval::Policy::from_bytes(&b).map_err(|e| e.to_string())?;
            let engine = policy_wasm::engine::Engine::from_bytes(&b).map_err(|e| e.to_string())?;
            Ok((policy, engine))
        });
    let (policy, engine) = match loaded {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {artifact}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut last = String::new();
    for _ in 0..n.min(10_000) {
        last = std::hint::black_box(policy.decide_json(std::hint::black_box(request)));
    }
    let start = Instant::now();
    for _ in 0..n {
        last = std::hint::black_box(policy.decide_json(std::hint::black_box(request)));
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(n.max(1));
    // The decision itself: the same function the WASM `decideRepeated` runs.
    let start = Instant::now();
    let typed = engine.decide_repeated(request, n);
    let typed_ns = start.elapsed().as_nanos() as f64 / f64::from(n.max(1));
    println!("ns_per_decision={ns:.1} ns_per_typed_decision={typed_ns:.1} typed_decision={typed} decision={last}");
    ExitCode::SUCCESS
}
