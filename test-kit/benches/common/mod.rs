//! Criterion settings shared by the benchmark files (`decide`, `shapes`).

use std::time::Duration;

use criterion::Criterion;

/// `BENCH_QUICK=1`: short warm-up and measurement, for CI.
pub fn quick_env() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// Full mode: 1 s warm-up, 3 s measurement, 50 samples; `quick`: 200 ms,
/// 200 ms, 10.
pub fn config(quick: bool) -> Criterion {
    let c = Criterion::default();
    if quick {
        c.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(200))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
    }
}
