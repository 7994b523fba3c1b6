//! One module per command; each exports the function `lib.rs` dispatches to.

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod digest;
pub(crate) mod eval;
pub(crate) mod explain;
pub(crate) mod list;
pub(crate) mod replay;
pub(crate) mod stack;
pub(crate) mod test;
