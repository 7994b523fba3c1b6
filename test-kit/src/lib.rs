//! Shared support for the workspace's cross-crate tests and benchmarks.
//!
//! [`fuzz`] holds the bodies of the cargo-fuzz targets (`fuzz/`), so that
//! stable tests (`tests/fuzz_corpus.rs`) replay their corpora and saved
//! crashes through the same code.

pub mod fuzz;
