//! The proptest adapter: strategies of generated policies and requests.
//!
//! Proptest generates (and shrinks) bytes; [`Bytes::tame`] decodes them
//! with the same generator the fuzz targets use, without raw input, so
//! every generated policy checks clean.

use arbitrary::Unstructured;
use proptest::prelude::*;

use super::bytes::Bytes;
use super::{random, Case, Generated};

/// A random policy ([`random::policy`]) that checks clean.
pub fn policy() -> impl Strategy<Value = Generated> {
    prop::collection::vec(any::<u8>(), 0..512).prop_map(|data| {
        let mut u = Unstructured::new(&data);
        random::policy(&mut Bytes::tame(&mut u))
    })
}

/// `1..=max` random requests ([`random::case`]).
pub fn cases(max: usize) -> impl Strategy<Value = Vec<Case>> {
    (1..=max.max(1), prop::collection::vec(any::<u8>(), 0..2048)).prop_map(|(n, data)| {
        let mut u = Unstructured::new(&data);
        let mut s = Bytes::tame(&mut u);
        (0..n).map(|_| random::case(&mut s)).collect()
    })
}
