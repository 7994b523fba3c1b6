//! C ABI over [`policy_eval`]. Skeleton: the FFI issue fills it in.
//!
//! Architecture invariant: this crate depends on `policy-eval` only, never on
//! the compiler.

/// Version of this library, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
