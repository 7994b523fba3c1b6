//! Unit tests of the runtime, named after the rule each one checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod decide;
mod json;
mod limits;
mod normalize;
mod wire;
