//! The lookup tables, one module per shape. Each holds its shape's load-time
//! validation and index building and its decide-time probe, so a shape's
//! structure can change in one place:
//!
//! * [`automaton`]: pattern groups as dense DFAs (label, path and name
//!   globs), searched over a condition prefix and the subject.
//! * [`domain`]: domain anchors and label globs (network rules and
//!   credential destinations).
//! * [`ip`]: IPv4 and IPv6 elementary intervals, the IPv4 bucket index.
//! * [`path`]: filesystem roots: exact paths, the directory index (prefixes,
//!   extensions, glob groups).
//! * [`http`]: the `http` blocks of the network surface, found by host
//!   suffix, each a path table over method byte and path.
//! * [`name`]: secret names, MCP servers and their tool names.
//! * [`args`]: tool rules with argument constraints (a short list per
//!   server) and the constraints' evaluation on a call's `arguments`.
//! * [`rules`]: the rule table, candidate lists and conditions, and the
//!   precedence step every probe reports to.
//! * [`cond`]: each candidate list's conditions indexed by request class
//!   (port intervals, access, see, merged send destinations).
//!
//! The tables depend on the artifact types and on each other's helpers,
//! never on [`crate::Policy`]: `load` builds them, `decide` probes them.

use std::collections::HashSet;

use foldhash::fast::FixedState;

use crate::error::LoadError;
use crate::hash::FxMap;

pub(crate) mod args;
pub(crate) mod automaton;
pub(crate) mod cond;
pub(crate) mod domain;
pub(crate) mod http;
pub(crate) mod ip;
pub(crate) mod name;
pub(crate) mod path;
pub(crate) mod rules;

/// Sets bit `i`.
pub(crate) fn set_bit(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

/// Whether bit `i` is set.
pub(crate) fn has_bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// Fails on the first key seen twice.
pub(crate) fn unique<'a>(
    table: &'static str,
    what: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), LoadError> {
    let mut seen = HashSet::with_hasher(FixedState::default());
    for k in keys {
        if !seen.insert(k) {
            return Err(LoadError::table(table, format!("duplicate {what} `{k}`")));
        }
    }
    Ok(())
}

/// A map of `entries`, failing on a duplicate key.
pub(crate) fn map_of(
    table: &'static str,
    what: &str,
    entries: &[(String, u32)],
) -> Result<FxMap<Box<str>, u32>, LoadError> {
    let mut map = FxMap::default();
    for (k, c) in entries {
        if map.insert(k.as_str().into(), *c).is_some() {
            return Err(LoadError::table(table, format!("duplicate {what} `{k}`")));
        }
    }
    Ok(map)
}
