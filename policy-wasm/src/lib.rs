//! WebAssembly bindings for the policy console. Skeleton: the WASM issue
//! fills it in.

/// Version of this library, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
