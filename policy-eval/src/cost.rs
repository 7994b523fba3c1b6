//! The worst-case work of one decision, read off the tables of an artifact
//! (`spec/artifact.md`, "Worst-case cost"). Every lookup shape has a bound
//! that does not depend on the number of rules: a hash probe or a binary
//! search per table consulted, and one automaton transition per byte fed to
//! a DFA. What a policy can still grow is how many DFAs one request meets:
//! [`SurfaceCost::automaton_steps`] counts the bytes they are fed, at the longest
//! request the limits allow, and the compiler refuses a policy above
//! [`MAX_DECISION_STEPS`] (E0009).

use std::collections::BTreeMap;

use crate::artifact::{Artifact, Automata, Condition, FsRoot, NameTables, Surface};
use crate::limits::{
    MAX_DECISION_STEPS, MAX_HOST_LEN, MAX_HTTP_BLOCKS_PER_HOST, MAX_HTTP_PATH_LEN, MAX_NAME_LEN,
    MAX_PATH_LEN, MAX_RESOURCE_URI_LEN,
};

/// Worst-case work of one decision on one surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SurfaceCost {
    /// Hash probes and binary searches.
    pub lookups: u64,
    /// Automaton transitions (bytes fed to DFAs, prefixes included).
    pub automaton_steps: u64,
    /// Globs matched one by one (credential rules with `to` and a glob
    /// name, for sends; at most `limits::MAX_SEND_GLOBS`).
    pub glob_matches: u64,
}

/// Worst-case work of one decision, per surface (indexed by `Surface as usize`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cost {
    /// Per surface, in the order of [`Surface::ALL`].
    pub surfaces: [SurfaceCost; 4],
    /// Per surface, the rules of the automata that cost the most steps
    /// (the first rule of each DFA, largest contributors first), for
    /// naming them when a policy is over the bound.
    pub heaviest: [Vec<u32>; 4],
}

impl Cost {
    /// The worst case of a decision on `art`.
    pub fn of(art: &Artifact) -> Cost {
        let mut c = Cost::default();
        network(art, &mut c);
        filesystem(art, &mut c);
        credentials(art, &mut c);
        mcp(art, &mut c);
        http(art, &mut c);
        c
    }

    /// Whether every surface stays within [`MAX_DECISION_STEPS`].
    pub fn within_bound(&self) -> bool {
        self.worst().1 <= MAX_DECISION_STEPS
    }

    /// The surface whose worst case takes the most automaton steps, and
    /// that number.
    pub fn worst(&self) -> (Surface, u64) {
        Surface::ALL
            .iter()
            .map(|&s| (s, self.surfaces[s as usize].automaton_steps))
            .max_by_key(|&(_, n)| n)
            .unwrap_or((Surface::Network, 0))
    }
}

/// Adds `dfas` DFAs fed `bytes` bytes each to surface `s`, remembering the
/// first rule of each.
fn add_automata(c: &mut Cost, s: Surface, a: &Automata, bytes: u64, times: u64) {
    let steps = (a.dfas.len() as u64)
        .saturating_mul(bytes)
        .saturating_mul(times);
    let sc = &mut c.surfaces[s as usize];
    sc.automaton_steps = sc.automaton_steps.saturating_add(steps);
    c.heaviest[s as usize].extend(a.dfas.iter().filter_map(|d| d.rules.first().copied()));
}

/// Per key of `by`, keeps the group with the most DFAs.
fn keep_max<'a, K: Ord>(by: &mut BTreeMap<K, &'a Automata>, k: K, a: &'a Automata) {
    let e = by.entry(k).or_insert(a);
    if a.dfas.len() > e.dfas.len() {
        *e = a;
    }
}

/// A host meets at most one anchor per label count (the suffix with that
/// many labels), so the worst host meets, per label count, the anchor of
/// that count with the most DFAs.
fn network(art: &Artifact, c: &mut Cost) {
    let mut by_labels: BTreeMap<usize, &Automata> = BTreeMap::new();
    for e in &art.network.domains {
        let labels = if e.anchor.is_empty() {
            0
        } else {
            e.anchor.matches('.').count() + 1
        };
        keep_max(&mut by_labels, labels, &e.globs);
    }
    // Anchor probes, then the IPv4 and IPv6 interval searches of a host IP
    // literal and an `ip` field, and their embedded IPv4 addresses.
    c.surfaces[Surface::Network as usize].lookups = by_labels.len() as u64 + 2 + 2 * 3;
    let per_dfa = 3 + MAX_HOST_LEN as u64;
    for a in by_labels.values() {
        add_automata(c, Surface::Network, a, per_dfa, 1);
    }
}

/// A path meets at most one directory per depth in each root, and a
/// `read write` request is decided per part (twice).
fn filesystem(art: &Artifact, c: &mut Cost) {
    let s = Surface::Filesystem as usize;
    for r in &art.filesystem.roots {
        let (lookups, automata) = path_table(r);
        c.surfaces[s].lookups = c.surfaces[s].lookups.saturating_add(2 * lookups);
        for a in automata {
            add_automata(c, Surface::Filesystem, a, 1 + MAX_PATH_LEN as u64, 2);
        }
    }
}

/// One probe of a path table (a filesystem root, an `http` block's paths):
/// one directory probe per depth (plus its extension keys) and the exact
/// path; and the automata it may meet, at most one per depth.
fn path_table(r: &FsRoot) -> (u64, Vec<&Automata>) {
    let depth = |d: &str| {
        if d.is_empty() {
            0
        } else {
            d.matches('/').count() + 1
        }
    };
    let mut by_depth: BTreeMap<usize, &Automata> = BTreeMap::new();
    for (dir, a) in &r.globs {
        keep_max(&mut by_depth, depth(dir), a);
    }
    let max_depth = r
        .prefix
        .iter()
        .map(|(d, _)| depth(d))
        .chain(r.extension.iter().map(|(d, _, _)| depth(d)))
        .chain(by_depth.keys().copied())
        .max()
        .unwrap_or(0) as u64;
    let mut lens: Vec<usize> = r.extension.iter().map(|(_, x, _)| x.len()).collect();
    lens.sort_unstable();
    lens.dedup();
    let lookups = (max_depth + 2) * (1 + lens.len() as u64) + 1;
    (lookups, by_depth.into_values().collect())
}

/// An HTTP request to a host meets the blocks covering it: at most
/// [`MAX_HTTP_BLOCKS_PER_HOST`] (E0010), so the worst host meets the most
/// expensive blocks, each probed once, after one probe per label suffix.
fn http(art: &Artifact, c: &mut Cost) {
    if art.http.blocks.is_empty() {
        return;
    }
    let mut blocks: Vec<(u64, u64, Vec<&Automata>)> = art
        .http
        .blocks
        .iter()
        .map(|b| {
            let (lookups, automata) = path_table(&b.paths);
            let steps = automata.iter().map(|a| a.dfas.len() as u64).sum::<u64>();
            (steps, lookups, automata)
        })
        .collect();
    blocks.sort_by_key(|b| std::cmp::Reverse((b.0, b.1)));
    blocks.truncate(MAX_HTTP_BLOCKS_PER_HOST);
    let s = Surface::Network as usize;
    let suffixes = MAX_HOST_LEN.div_ceil(2) as u64 + 1;
    let lookups = blocks.iter().map(|b| b.1).sum::<u64>() + suffixes;
    c.surfaces[s].lookups = c.surfaces[s].lookups.saturating_add(lookups);
    for (_, _, automata) in &blocks {
        for a in automata {
            add_automata(c, Surface::Network, a, 1 + MAX_HTTP_PATH_LEN as u64, 1);
        }
    }
}

/// Exact names, one probe per prefix key length, and the automata; a send
/// decides the send and the see parts.
fn names(t: &NameTables, prefix: u64, parts: u64) -> (u64, u64) {
    let mut lens: Vec<usize> = t.prefix.iter().map(|(k, _)| k.len()).collect();
    lens.sort_unstable();
    lens.dedup();
    let lookups = parts * (1 + lens.len() as u64);
    let steps = parts * (t.automata.dfas.len() as u64) * (prefix + MAX_NAME_LEN as u64);
    (lookups, steps)
}

fn credentials(art: &Artifact, c: &mut Cost) {
    let t = &art.credentials;
    let (lookups, _) = names(t, 1, 2);
    let s = &mut c.surfaces[Surface::Credential as usize];
    // With `to` clauses, a send probes a destination index: one probe per
    // label of the host and two interval searches.
    let sends = art
        .rules
        .iter()
        .any(|r| matches!(&r.cond, Condition::Credential(c) if c.destinations.is_some()));
    s.lookups = lookups
        + if sends {
            MAX_HOST_LEN.div_ceil(2) as u64 + 2
        } else {
            0
        };
    s.glob_matches = t.globs.len() as u64;
    add_automata(
        c,
        Surface::Credential,
        &t.automata,
        1 + MAX_NAME_LEN as u64,
        2,
    );
}

/// A tool call, resource read or prompt get meets one table of one server:
/// the worst table of the worst server counts.
fn mcp(art: &Artifact, c: &mut Cost) {
    let tables = art.mcp.servers.iter().flat_map(|s| {
        [
            (&s.tools, MAX_NAME_LEN as u64),
            (&s.resources, MAX_RESOURCE_URI_LEN as u64),
            (&s.prompts, MAX_NAME_LEN as u64),
        ]
    });
    let steps = |(t, len): &(&NameTables, u64)| (t.automata.dfas.len() as u64) * len;
    let lookups = tables.clone().map(|(t, _)| names(t, 0, 1).0).max();
    let Some((worst, len)) = tables.max_by_key(steps) else {
        c.surfaces[Surface::Mcp as usize].lookups = 1;
        return;
    };
    c.surfaces[Surface::Mcp as usize].lookups = 1 + lookups.unwrap_or(0);
    add_automata(c, Surface::Mcp, &worst.automata, len, 1);
}
