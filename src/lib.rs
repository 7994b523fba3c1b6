//! Shared support for the workspace's cross-crate tests and benchmarks.
