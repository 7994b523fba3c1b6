//! Hashing for the load-time indexes. Keys come from the (trusted) policy;
//! request strings are only looked up, so hash flooding by requests cannot
//! degrade the tables.
//!
//! String maps use `foldhash` (fixed seed, so loading is deterministic). Its
//! predecessor here, a hand-written FxHash, ended on a multiplication, so the
//! low bits that pick a bucket depended on few input bits: 65,536 keys like
//! `d123/ab` fell into 256 distinct low-16-bit values, and loading 512k such
//! keys took 5.5 s against 1.6 s for 256k (issue 13).
//!
//! The one hand-written piece is the [`Roll`] hash, which no crate offers:
//! it hashes every prefix of a string in one pass. Its maps key on the full
//! 64-bit value; the test below checks that its low bits spread too.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with `foldhash`'s fast hasher and a fixed seed.
pub(crate) type FxMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

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
        r.value()
    }

    /// Hash of `s` read backwards (for suffix probes).
    pub(crate) fn backward(s: &str) -> u64 {
        let mut r = Roll::new();
        s.bytes().rev().for_each(|b| r.push(b));
        r.value()
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
/// hit. Collisions chain through `next`. Keys live in one string arena, so
/// building a map of `n` keys allocates a few growing buffers, not `n` boxes.
#[derive(Debug, Clone)]
pub(crate) struct RollMap<V> {
    heads: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    /// Per entry: key start and end in `keys`, value, next entry with the
    /// same hash.
    entries: Vec<(u32, u32, V, Option<u32>)>,
    keys: String,
}

impl<V> Default for RollMap<V> {
    fn default() -> Self {
        RollMap {
            heads: HashMap::default(),
            entries: Vec::new(),
            keys: String::new(),
        }
    }
}

impl<V> RollMap<V> {
    /// Inserts `key` (whose hash is `hash`); `false` if it was present (or
    /// the arena would pass 4 GiB).
    pub(crate) fn insert(&mut self, key: &str, hash: u64, value: V) -> bool {
        if self.get(hash, key).is_some() {
            return false;
        }
        let next = self.heads.get(&hash).copied();
        let (Ok(at), Ok(start), Ok(end)) = (
            u32::try_from(self.entries.len()),
            u32::try_from(self.keys.len()),
            u32::try_from(self.keys.len() + key.len()),
        ) else {
            return false;
        };
        self.keys.push_str(key);
        self.entries.push((start, end, value, next));
        self.heads.insert(hash, at);
        true
    }

    /// The value of `key`, given its hash.
    #[inline]
    pub(crate) fn get(&self, hash: u64, key: &str) -> Option<&V> {
        let mut at = self.heads.get(&hash).copied();
        while let Some(i) = at {
            let (start, end, v, next) = self.entries.get(i as usize)?;
            if self.keys.as_bytes().get(*start as usize..*end as usize) == Some(key.as_bytes()) {
                return Some(v);
            }
            at = *next;
        }
        None
    }

    /// The keys, in insertion order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .map(|(start, end, _, _)| self.keys.get(*start as usize..*end as usize).unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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

    /// Low bits pick a bucket: over 65,536 short structured keys they must
    /// look random (about 41,400 distinct 16-bit values expected) for both
    /// hashes. The FxHash that `FxMap` used before gave 256.
    #[test]
    fn low_bits_spread_structured_keys() {
        use std::hash::BuildHasher;
        let letters = b"abcdefghijklmnop";
        let map = foldhash::fast::FixedState::default();
        let (mut rolled, mut mapped) = (HashSet::new(), HashSet::new());
        for d in 0..256 {
            for a in letters {
                for b in letters {
                    let key = format!("d{d}/{}{}", *a as char, *b as char);
                    rolled.insert(Roll::forward(&key) & 0xffff);
                    mapped.insert(map.hash_one(key.as_str()) & 0xffff);
                }
            }
        }
        for (name, seen) in [("Roll", rolled), ("FxMap", mapped)] {
            assert!(
                seen.len() > 39_000,
                "{name}: {} distinct low 16-bit values",
                seen.len()
            );
        }
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
