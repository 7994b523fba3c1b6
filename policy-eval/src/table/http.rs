//! HTTP tables: the `http` blocks of the network surface, found by the
//! host's label suffixes, each with a path table (the filesystem root shape,
//! `path.rs`) whose automata read the method byte before the path.
//!
//! Cost: one hash probe per label suffix of the host, then one path-table
//! probe per covering block (at most `limits::MAX_HTTP_BLOCKS_PER_HOST` in
//! compiled policies, counted by `cost.rs`).

use super::path::RootIndex;
use super::rules::{Best, Checker, Scan};
use crate::artifact::{Condition, Effect, HttpTables, Method, Rule, Surface};
use crate::error::LoadError;
use crate::hash::FxMap;
use crate::normalize::is_normalized_domain;

const T: &str = "http";

/// Slots of the per-anchor block lists: the host is the anchor, one label
/// left of it, any depth (the anchor included).
const EXACT: usize = 0;
const ONE_LABEL: usize = 1;
const ANY_DEPTH: usize = 2;

/// The indexed `http` blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpIndex {
    /// Anchor → the blocks (indices, ascending) whose host patterns have that
    /// anchor, per shape slot.
    anchors: FxMap<Box<str>, [Vec<u32>; 3]>,
    /// Per block: its own rule and its path table.
    blocks: Vec<(u32, RootIndex)>,
}

impl HttpIndex {
    /// Validates the HTTP tables: block rules (network, deny, no
    /// condition), host patterns of the three plain shapes, path tables of
    /// network lists.
    pub(crate) fn build(
        tables: &HttpTables,
        rules: &[Rule],
        ck: &Checker,
    ) -> Result<HttpIndex, LoadError> {
        let mut anchors: FxMap<Box<str>, [Vec<u32>; 3]> = FxMap::default();
        let mut blocks = Vec::with_capacity(tables.blocks.len());
        for (i, b) in tables.blocks.iter().enumerate() {
            let fits = rules.get(b.rule as usize).is_some_and(|r| {
                r.surface == Surface::Network
                    && r.effect == Effect::Deny
                    && r.cond == Condition::None
            });
            if !fits {
                return Err(LoadError::table(
                    T,
                    format!(
                        "block {i}: rule {} is not a network deny without condition",
                        b.rule
                    ),
                ));
            }
            if b.hosts.is_empty() {
                return Err(LoadError::table(
                    T,
                    format!("block {i} has no host pattern"),
                ));
            }
            let idx = u32::try_from(i).map_err(|_| LoadError::table(T, "too many blocks"))?;
            for h in &b.hosts {
                let slot = match (h.any_depth, h.prefix.as_slice()) {
                    (false, []) => EXACT,
                    (false, [one]) if one == "*" => ONE_LABEL,
                    (true, []) => ANY_DEPTH,
                    _ => {
                        return Err(LoadError::table(
                            T,
                            format!("block {i}: host pattern with label globs"),
                        ))
                    }
                };
                if !is_normalized_domain(&h.anchor, true) {
                    return Err(LoadError::table(
                        T,
                        format!(
                            "block {i}: anchor `{}` is not a normalized domain",
                            h.anchor
                        ),
                    ));
                }
                let lists = anchors.entry(h.anchor.as_str().into()).or_default();
                if let Some(list) = lists.get_mut(slot) {
                    if list.last() != Some(&idx) {
                        list.push(idx);
                    }
                }
            }
            if !b.paths.name.is_empty() {
                return Err(LoadError::table(
                    T,
                    format!("block {i}: path table has a name"),
                ));
            }
            let paths = RootIndex::build_for(T, Surface::Network, &b.paths, rules, ck)?;
            blocks.push((b.rule, paths));
        }
        Ok(HttpIndex { anchors, blocks })
    }

    /// Whether the policy has any `http` block.
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Probes every block covering `host` (a normalized domain) with
    /// `method` and `path` (validated), reporting the rules that match to
    /// `best`. Returns the rule of the first covering block in source order,
    /// `None` when no block covers the host.
    pub(crate) fn probe(
        &self,
        host: &str,
        method: Method,
        path: &str,
        scan: &Scan,
        best: &mut Best,
    ) -> Option<u32> {
        let mut first: Option<(u32, u32)> = None;
        let mut visit = |blocks: &[u32], best: &mut Best| {
            for &bi in blocks {
                let Some((rule, paths)) = self.blocks.get(bi as usize) else {
                    continue;
                };
                if first.is_none_or(|(b, _)| bi < b) {
                    first = Some((bi, *rule));
                }
                paths.probe_under("/", path, method.byte(), scan, best);
            }
        };
        // The suffixes of the host at its label boundaries, longest first,
        // down to "" (the anchor of `*` and `**`); `left` is the part of the
        // host before the suffix, without the dot between them.
        let mut start = 0usize;
        loop {
            let suffix = host.get(start..).unwrap_or("");
            let left = match start {
                0 => "",
                s if s >= host.len() => host,
                s => host.get(..s - 1).unwrap_or(""),
            };
            if let Some([exact, one, any]) = self.anchors.get(suffix) {
                if left.is_empty() {
                    visit(exact, best);
                } else if !left.contains('.') {
                    visit(one, best);
                }
                visit(any, best);
            }
            if start >= host.len() {
                break;
            }
            start = match suffix.find('.') {
                Some(dot) => start + dot + 1,
                None => host.len(),
            };
        }
        first.map(|(_, rule)| rule)
    }
}
