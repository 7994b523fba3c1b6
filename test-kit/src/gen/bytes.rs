//! The [`arbitrary::Unstructured`] adapter: fuzz input (or any bytes) as a
//! [`Source`].

use arbitrary::{Arbitrary, Unstructured};

use super::Source;

/// Choices decoded from bytes. Running out of bytes gives the smallest
/// choices, never an error.
pub struct Bytes<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    raw: bool,
}

impl<'u, 'a> Bytes<'u, 'a> {
    /// A source that also gives raw text and numbers from the input (for
    /// fuzzing: generated policies may then fail to check).
    pub fn wild(u: &'u mut Unstructured<'a>) -> Self {
        Bytes { u, raw: true }
    }

    /// A source that only chooses from the vocabulary (every generated
    /// policy checks clean).
    pub fn tame(u: &'u mut Unstructured<'a>) -> Self {
        Bytes { u, raw: false }
    }

    /// The underlying input.
    pub fn unstructured(&mut self) -> &mut Unstructured<'a> {
        self.u
    }
}

impl Source for Bytes<'_, '_> {
    fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            _ => self.u.int_in_range(0..=n - 1).unwrap_or(0),
        }
    }

    fn ratio(&mut self, num: usize, den: usize) -> bool {
        num > 0 && num <= den && self.u.ratio(num, den).unwrap_or(false)
    }

    fn raw_text(&mut self) -> Option<String> {
        if !self.raw {
            return None;
        }
        <&str>::arbitrary(self.u).ok().map(str::to_owned)
    }

    fn raw_u32(&mut self) -> Option<u32> {
        if !self.raw {
            return None;
        }
        u32::arbitrary(self.u).ok()
    }
}
