//! Fuzz target bodies, one function per target, each taking the raw fuzz
//! input.
//!
//! The cargo-fuzz crate in `fuzz/` only forwards to these functions, and
//! `tests/fuzz_corpus.rs` replays the committed seed corpora and every saved
//! crash (`fuzz/regressions/<target>/`) through them on stable Rust, so a
//! crash found once stays a test. A panic is how a target reports a failure:
//! every check below is an invariant of `ARCHITECTURE.md` or `spec/`.
//!
//! | target | input | checks |
//! | --- | --- | --- |
//! | [`parse_check`] | any bytes | the front end never panics; spans lie inside the source |
//! | [`compile`] | policy text, or bytes decoded into a generated policy | a clean policy compiles, loads, round-trips and decides like the reference |
//! | [`artifact_load`] | an artifact, or a mutation program over fixed artifacts | loading never panics; whatever loads decides consistently |
//! | [`json_request`] | a JSON request | `decide_json` never panics, its output is well formed and agrees with the reference interpreter |
//! | [`differential`](differential::differential) | bytes decoded into a policy and requests | compiled tables (direct and after a round trip) decide like the reference |
//!
//! Policies and requests come from the one generator ([`crate::gen`]),
//! decoded from the input by [`Bytes::wild`]; the differential property test
//! (`tests/differential.rs`) runs the same generator through proptest and
//! the same comparison ([`differential::compare`]). Every policy built from
//! source goes through [`policy_lang::build()`] and is decided as loaded from
//! its bytes, as production loads it.

// A failed check must stop the fuzzer with a message: panicking is the point
// of these functions (the workspace lints deny it elsewhere).
#![allow(clippy::panic)]

use policy_eval::{Decision, Policy, Reason};
use policy_lang::diag::Code;
use policy_lang::Build;

#[cfg(doc)]
use crate::gen::bytes::Bytes;
use crate::gen::Generated;

pub mod artifact;
pub mod differential;
pub mod front;
pub mod json;
pub mod probe;

pub use artifact::artifact_load;
pub use differential::differential;
pub use front::{compile, parse_check};
pub use json::json_request;

/// A fuzz target body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse_check", parse_check),
    ("compile", compile),
    ("artifact_load", artifact_load),
    ("json_request", json_request),
    ("differential", differential),
];

/// Decisions compare on everything but the exact invalid-request variant,
/// which depends on the order fields are validated in.
pub fn same(a: &Decision, b: &Decision) -> bool {
    let kind = |r: &Reason| std::mem::discriminant(r);
    a.effect == b.effect
        && a.rule == b.rule
        && kind(&a.reason) == kind(&b.reason)
        && a.lifetime == b.lifetime
}

/// The policy a build of a clean policy loaded from its bytes; `None` when
/// its tables exceed the budget (E0006), an accepted outcome. Any other
/// failure after a clean check is a bug.
pub fn loaded<'b>(b: &'b Build, source: &str) -> Option<&'b Policy> {
    if let Some(policy) = &b.policy {
        return Some(policy);
    }
    if b.diagnostics.iter().any(|d| d.code == Code::TableBudget) {
        return None;
    }
    panic!(
        "a clean policy did not build: {:?}\n{source}",
        b.diagnostics
    )
}

/// The policy of `b`, loaded a second way: directly from the compiled
/// artifact, without the bytes (for comparing both loads).
pub fn direct(b: &Build, source: &str) -> Policy {
    let Some(artifact) = b.artifact.clone() else {
        panic!("a loaded build has no artifact\n{source}");
    };
    match Policy::from_artifact(artifact) {
        Ok(p) => p,
        Err(e) => panic!("compiled artifact refused: {e}\n{source}"),
    }
}

/// A generated policy that failed to check must have taken raw input.
fn assert_wild(g: &Generated, b: &Build) {
    assert!(
        g.wild,
        "a policy built from the vocabulary must check clean:\n{}\n{:?}",
        g.source, b.diagnostics
    );
}
