//! Test support of the workspace (unpublished): the one generator of
//! policies and requests ([`gen`]), the bodies of the cargo-fuzz targets
//! ([`fuzz`]), and the fixed policies they decide with ([`fixed`]).
//!
//! The crate's own `tests/` are the cross-crate suites (differential,
//! combined requests, fuzz corpus replay, golden artifacts, soak), its
//! `benches/decide.rs` and `benches/shapes.rs` the criterion benchmarks
//! (`cargo bench --bench decide` from the workspace root) and
//! `examples/scale.rs` the compile and load scale run. The data they read (vectors, fixtures,
//! golden artifacts) stays in the repository's `tests/`. `fuzz/` forwards
//! each target to [`fuzz`], and `tests/fuzz_corpus.rs` replays the corpora
//! through the same functions on stable.

pub mod fixed;
pub mod fuzz;
pub mod gen;
