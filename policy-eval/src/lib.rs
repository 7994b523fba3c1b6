//! Runtime for compiled agent policies: load a validated artifact, decide
//! requests (network, filesystem, credentials, MCP tools).
//!
//! ```text
//! bytes ──Policy::from_bytes──▶ Policy ──decide(&Request, &Context)──▶ Decision
//!                                  └──decide_json(&str)──▶ decision JSON
//! ```
//!
//! # Architecture invariants
//!
//! * **No dependency on the parser.** This crate knows nothing of the policy
//!   language; `policy-lang` builds an [`artifact::Artifact`] and encodes it
//!   with [`artifact::Artifact::to_bytes`]. The byte format is defined in
//!   `spec/artifact.md` (and [`wire`]), never by a serde derive.
//! * **Loading validates everything.** [`Policy::from_bytes`] and
//!   [`Policy::from_artifact`] check framing, checksum and every table and
//!   cross-reference, and never panic: a bad artifact is a [`LoadError`].
//! * **`decide` never panics** and answers every request; a request that
//!   cannot be normalized is denied with [`Reason::Invalid`].
//! * **No allocation for ASCII requests** in [`Policy::decide`]: scratch
//!   space is on the stack. Exceptions: IDNA processing of non-ASCII hosts
//!   and of labels starting with `xn--`. The JSON entry point and events
//!   allocate.
//! * **Fail closed.** Ambiguous input is invalid; deny beats ask beats allow
//!   whatever the rule order; an unbound path root makes the request invalid
//!   rather than skipping a deny.
//! * **One place for limits:** [`limits`] holds every size limit of the
//!   project, compiler limits included.
//!
//! # Code map
//!
//! * [`artifact`]: the artifact's logical tables (contract with the compiler).
//! * [`wire`]: artifact encoder and decoder, CRC-32.
//! * [`Policy`] (`load.rs`): validation and load-time indexes.
//! * `decide.rs`: [`Policy::decide`].
//! * [`normalize`]: request normalization shared with the compiler.
//! * [`addr`]: IPv4 addresses embedded in IPv6 ones; local addresses.
//! * [`glob`]: the glob matcher (globset semantics, no regex).
//! * [`json`]: the JSON request / decision layer shared by every runtime.
//! * [`event`]: structured decision events (JSON lines).
#![forbid(unsafe_code)]

pub mod addr;
pub mod artifact;
mod decide;
mod decision;
mod error;
pub mod event;
pub mod glob;
mod hash;
pub mod json;
pub mod limits;
mod load;
pub mod normalize;
pub mod wire;

pub use artifact::{Access, Artifact, Effect, Lifetime, Surface};
pub use decision::{effect_str, surface_str, Context, Decision, Invalid, Reason, Request};
pub use error::LoadError;
pub use load::Policy;

#[cfg(test)]
mod tests;
