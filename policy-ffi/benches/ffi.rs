//! The cost of the C ABI: one typed network decision through the exported
//! `apol_decide_network` (called from Rust, exactly as C calls it) against the
//! same decision through `Policy::decide`, in the same run. The difference is
//! the ABI overhead: argument checks, UTF-8 validation, the panic boundary and
//! filling `apol_decision`.
//!
//! `BENCH_QUICK=1` shortens warm-up and measurement to 300 ms each, for CI.

// The benchmark calls the exported `unsafe extern "C"` functions directly.
#![allow(unsafe_code)]
// Benchmark setup fails loudly: a fixture that does not load is a bug here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ptr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use policy_eval::{Context, Policy, Request};
use policy_ffi::*;

/// The request of both benchmarks (and of the Go `BenchmarkDecideNetwork`):
/// an allow by an exact domain rule limited to port 443.
const HOST: &str = "api.github.com";

fn bench(c: &mut Criterion) {
    let bytes = common::artifact();
    let rust = Policy::from_bytes(&bytes).unwrap();
    let mut handle = ptr::null_mut();
    // SAFETY: valid pointers; NULL err is allowed.
    let r = unsafe { apol_policy_load(bytes.as_ptr(), bytes.len(), &mut handle, ptr::null_mut()) };
    assert_eq!(r, APOL_OK);
    let ctx = Context::default();

    let mut g = c.benchmark_group("network");
    if std::env::var_os("BENCH_QUICK").is_some() {
        g.warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(300));
    }
    g.bench_function("rust_decide", |b| {
        b.iter(|| {
            let host = black_box(HOST);
            let req = Request::Network {
                host: Some(host),
                ip: None,
                port: Some(443),
                http: None,
            };
            black_box(rust.decide(&req, &ctx))
        })
    });
    g.bench_function("c_abi_decide", |b| {
        let mut err = MaybeUninit::<apol_error>::uninit();
        b.iter(|| {
            let host = black_box(HOST);
            let mut out = MaybeUninit::<apol_decision>::uninit();
            // SAFETY: `handle` is live; strings and out pointers are valid.
            let r = unsafe {
                apol_decide_network(
                    handle,
                    host.as_ptr().cast(),
                    host.len(),
                    ptr::null(),
                    0,
                    443,
                    ptr::null(),
                    out.as_mut_ptr(),
                    err.as_mut_ptr(),
                )
            };
            debug_assert_eq!(r, APOL_OK);
            // SAFETY: written because the call returned APOL_OK.
            black_box(unsafe { out.assume_init() })
        })
    });
    g.finish();
    // SAFETY: live handle, freed once.
    unsafe { apol_policy_free(handle) };
}

criterion_group!(benches, bench);
criterion_main!(benches);
