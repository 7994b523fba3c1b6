//! WebAssembly bindings: check and compile policies, and decide requests, in
//! the browser and in Node. The JS/TS API is documented in `spec/wasm.md`.
//!
//! Two builds come from this crate:
//!
//! * **full** (default feature `compiler`): everything below, for the policy
//!   console. It carries `policy-lang`, so decisions can be explained with the
//!   reference interpreter (every matching rule and why it lost).
//! * **eval-only** (`--no-default-features`): load artifact bytes and decide
//!   JSON requests with `policy-eval` alone, for embedding in other pages.
//!
//! # Code map
//!
//! * [`engine`]: a loaded policy deciding JSON requests, with an explanation.
//! * [`cases`]: policy test files (`spec/tests.md`), parsed exactly as
//!   `polc test` parses them.
//! * [`front`] (full build): `check` and `compile` through
//!   `policy_lang::build`, diagnostics as `policy_lang::diag::DiagnosticJson`
//!   (the objects `polc check --format json` prints).
//! * [`stack`]: layered policies (`spec/layers.md`): `StackBuilder` and
//!   `Stack` in JS.
//! * [`pin`]: `toolDigest`, the pin of an MCP tool definition
//!   (`spec/pins.md`).
//! * [`request`]: the JSON text of a request from a JavaScript value,
//!   refusing what JSON cannot carry as it is (lone surrogates, NaN,
//!   `toJSON`).
//! * `js` (wasm32 only): the `#[wasm_bindgen]` layer and the TypeScript types.
//!
//! # Invariants
//!
//! * **User errors are values.** A broken policy, bad artifact bytes or a
//!   malformed request give a result object (`ok: false`, diagnostics, an
//!   invalid decision), never a thrown exception.
//! * **No panics.** A panic in `wasm32-unknown-unknown` aborts the instance,
//!   so nothing here unwraps or indexes; the front end and the runtime are
//!   panic-free by their own invariants.
//! * Everything except the `js` module is plain Rust and tested natively.

pub mod cases;
pub mod engine;
#[cfg(feature = "compiler")]
pub mod front;
#[cfg(target_arch = "wasm32")]
mod js;
pub mod pin;
pub mod request;
pub mod stack;

/// Version of this library, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `"full"` when built with the compiler, `"eval"` for the eval-only build.
pub const BUILD: &str = if cfg!(feature = "compiler") {
    "full"
} else {
    "eval"
};
