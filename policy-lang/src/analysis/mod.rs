//! Exact analysis of policies: which requests two policies decide
//! differently (`polc diff`, `spec/analysis.md`).
//!
//! The request space of each surface is cut into cells on which every
//! pattern of either policy matches all or none of the requests
//! ([`strings`] for names and paths, [`space`] for ports and addresses);
//! one witness request per cell, decided by both compiled policies, shows
//! whether the cell changed. Only the cells a changed rule matches can
//! change, so the work follows the size of the change, not of the policy.
//! Parts that a budget or the model does not cover are reported as
//! unknown, never guessed.

pub mod cover;
pub mod diff;
pub mod layers;
pub mod request;
pub mod space;
pub mod strings;

pub use diff::{
    diff, CellChange, Change, ChangeClass, Diff, DiffError, Options, Outcome, Scope, Side, Unknown,
};
pub use request::witness_json;
