//! Runtime for compiled agent policies: load a validated artifact, decide
//! requests (network, filesystem, credentials, MCP tools).
//!
//! ```text
//! bytes ──Policy::from_bytes──▶ Policy ──decide(&Request, &Context)──▶ Decision
//!                                  ├──decide_json(&str)──▶ decision JSON
//!                                  └──list_tools(server, source, &[tool])──▶ [Listed]
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
//! A policy is loaded once (`load.rs`) and decides many requests
//! (`decide.rs`). Each lookup shape is one module under `table/` that
//! validates and indexes its tables at load and probes them at decide;
//! `load` and `decide` depend on the tables, never the other way round.
//!
//! * [`artifact`]: the artifact's plain tables (contract with the compiler).
//! * [`wire`]: the byte format (`spec/artifact.md`): encoder, decoder, CRC-32.
//! * [`Policy`] (`load.rs`): [`Policy::from_bytes`], runs each table's
//!   validation and index building.
//! * `decide.rs`: [`Policy::decide`]: normalize, probe each table, finish
//!   (combine by precedence).
//! * `table/`: one module per lookup shape: `domain` (anchors, label globs),
//!   `ip` (address intervals, IPv4 buckets), `path` (roots, directory index,
//!   extensions, globs), `name` (secret, server and tool names), `rules`
//!   (rules, candidate lists and their conditions, the precedence scan).
//! * `list.rs`: [`Policy::list_tools`]: which tools of a server the agent
//!   may see (hidden only when every call is denied).
//! * [`normalize`]: request normalization shared with the compiler (`host`,
//!   `path`, `name` submodules, re-exported).
//! * [`addr`]: IPv4 addresses embedded in IPv6 ones; local addresses.
//! * [`glob`]: the glob matcher (globset semantics, no regex).
//! * [`json`]: the JSON request / decision layer shared by every runtime.
//! * [`event`]: structured decision events (JSON lines).
//! * [`Stack`] (`stack.rs`): layered policies from several authorities,
//!   decided as the strictest of their layers (`spec/layers.md`).
//! * [`pin`]: canonical JSON (RFC 8785) and digests of MCP tool definitions.
//! * `words.rs`: the one spelling of each effect, surface, access scope and
//!   lifetime ([`Effect::as_str`], [`Surface::from_word`], ...).
//! * `cases` (feature `cases`): the test-case runner of `spec/tests.md`.
#![forbid(unsafe_code)]

pub mod addr;
pub mod approval;
pub mod artifact;
// Compiled for the crate's own tests too, so they run the shared vectors.
#[cfg(any(test, feature = "cases"))]
pub mod cases;
pub mod cost;
mod decide;
mod decision;
mod error;
pub mod event;
pub mod glob;
mod hash;
pub mod json;
pub mod limits;
mod list;
mod load;
pub mod normalize;
pub mod pin;
mod stack;
mod table;
pub mod wire;
mod words;

pub use artifact::{Access, Artifact, Effect, Lifetime, Surface};
pub use decision::{Context, Decision, Http, Invalid, Reason, Request};
pub use error::LoadError;
pub use list::{ListError, Listed};
pub use load::Policy;
pub use stack::{abstains, strictness, valid_layer_name, Layer, Stack, StackDecision, StackError};
pub use table::args::pointer_tokens;

#[cfg(test)]
mod tests;
