//! Front end and compiler of the agent policy language.
//!
//! Pipeline: [`syntax`] (pest grammar, every syntax error) → [`ast`] →
//! [`check`] (validation, every semantic error, typed [`model`]; one
//! parser per pattern kind in [`pattern`]) →
//! `compile` (lookup tables in `policy_eval::artifact`). [`build::build`] runs
//! the whole pipeline and loads the bytes; every caller uses it.
//!
//! Architecture invariants: the front end does no I/O and never panics on
//! any input; diagnostics are data ([`diag`]), rendering belongs to the CLI.

pub mod analysis;
pub mod ast;
pub mod automaton;
pub mod build;
pub mod check;
pub mod compile;
pub mod diag;
pub mod explain;
pub mod lint;
pub mod model;
pub mod pattern;
pub mod reference;
pub mod sets;
pub mod syntax;

pub use build::{add_rule_lints, build, build_bytes, build_checked, Build};
