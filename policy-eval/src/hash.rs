//! A small FxHash-style hasher for the load-time indexes. Keys come from the
//! (trusted) policy; request strings are only looked up, so hash flooding by
//! requests cannot degrade the tables.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Rotate-xor-multiply hasher (as in rustc's FxHasher), 8 bytes at a time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` using [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A rolling hash: feeding a string byte by byte gives the hash of every
/// prefix along the way, so probing all prefixes of a path (or, fed
/// backwards, all suffixes of a host) costs one pass over it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Roll(u64);

impl Roll {
    /// The hash of the empty string.
    pub(crate) const fn new() -> Roll {
        Roll(0x2545_f491_4f6c_dd1d)
    }

    /// Extends the hashed string by one byte.
    #[inline]
    pub(crate) fn push(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
    }

    /// The hash so far.
    pub(crate) fn value(self) -> u64 {
        self.0
    }

    /// Hash of `s` read forwards.
    pub(crate) fn forward(s: &str) -> u64 {
        let mut r = Roll::new();
        s.bytes().for_each(|b| r.push(b));
        r.0
    }

    /// Hash of `s` read backwards (for suffix probes).
    pub(crate) fn backward(s: &str) -> u64 {
        let mut r = Roll::new();
        s.bytes().rev().for_each(|b| r.push(b));
        r.0
    }
}

/// Passes a `u64` that already is a hash through unchanged.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A string-keyed map looked up by a precomputed [`Roll`] hash (forward or
/// backward, fixed per map) plus the key, which is compared only on a hash
/// hit. Collisions chain through `next`.
#[derive(Debug, Clone)]
pub(crate) struct RollMap<V> {
    heads: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    entries: Vec<(Box<str>, V, Option<u32>)>,
}

impl<V> Default for RollMap<V> {
    fn default() -> Self {
        RollMap {
            heads: HashMap::default(),
            entries: Vec::new(),
        }
    }
}

impl<V> RollMap<V> {
    /// Inserts `key` (whose hash is `hash`); `false` if it was present.
    pub(crate) fn insert(&mut self, key: &str, hash: u64, value: V) -> bool {
        if self.get(hash, key).is_some() {
            return false;
        }
        let next = self.heads.get(&hash).copied();
        let Ok(at) = u32::try_from(self.entries.len()) else {
            return false;
        };
        self.entries.push((key.into(), value, next));
        self.heads.insert(hash, at);
        true
    }

    /// The value of `key`, given its hash.
    #[inline]
    pub(crate) fn get(&self, hash: u64, key: &str) -> Option<&V> {
        let mut at = self.heads.get(&hash).copied();
        while let Some(i) = at {
            let (k, v, next) = self.entries.get(i as usize)?;
            if &**k == key {
                return Some(v);
            }
            at = *next;
        }
        None
    }

    /// The keys, in insertion order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _, _)| &**k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_map_chains_colliding_hashes() {
        let mut m = RollMap::default();
        assert!(m.insert("a", 7, 1));
        assert!(m.insert("b", 7, 2));
        assert!(!m.insert("a", 7, 3), "duplicate key");
        assert_eq!(m.get(7, "a"), Some(&1));
        assert_eq!(m.get(7, "b"), Some(&2));
        assert_eq!(m.get(7, "c"), None);
        assert_eq!(m.get(8, "a"), None);
    }

    #[test]
    fn rolling_prefix_hash_equals_whole_hash() {
        let mut r = Roll::new();
        for (i, b) in "srv/d5/x".bytes().enumerate() {
            if b == b'/' {
                assert_eq!(r.value(), Roll::forward(&"srv/d5/x"[..i]));
            }
            r.push(b);
        }
        assert_eq!(r.value(), Roll::forward("srv/d5/x"));
        assert_eq!(Roll::backward("ab"), Roll::forward("ba"));
    }
}
