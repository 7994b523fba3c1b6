//! Domain tables: entries keyed by their literal anchor suffix, probed at
//! each label boundary of a host, with the label globs under an anchor as
//! automata; label globs of the domain patterns of credential destinations.

use super::automaton::DfaSet;
use super::rules::{Best, Checker, Scan};
use super::{has_bit, set_bit};
use crate::artifact::{DomainEntry, DomainPattern, Rule, Surface};
use crate::error::LoadError;
use crate::glob::Glob;
use crate::hash::{Roll, RollMap};
use crate::normalize::is_normalized_domain;

/// The indexed domain entries (`art.network.domains`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DomainIndex {
    /// Anchor → index into `art.network.domains`, keyed by the backward
    /// rolling hash (a host's suffixes are hashed in one right-to-left pass).
    anchors: RollMap<u32>,
    /// Which anchor shapes exist, so most suffixes of a host are skipped
    /// without hashing them.
    shapes: AnchorShapes,
    /// Per domain entry: the automata of its label globs.
    globs: Vec<DfaSet>,
}

/// The byte lengths and label counts of the domain anchors, as bit sets.
#[derive(Debug, Clone, Default)]
struct AnchorShapes {
    lengths: [u64; 4],
    labels: [u64; 2],
}

impl AnchorShapes {
    fn add(&mut self, anchor: &str) {
        let labels = if anchor.is_empty() {
            0
        } else {
            anchor.matches('.').count() + 1
        };
        set_bit(&mut self.lengths, anchor.len());
        set_bit(&mut self.labels, labels);
    }

    /// Whether some anchor has this length and this number of labels.
    fn may_have(&self, len: usize, labels: usize) -> bool {
        has_bit(&self.lengths, len) && has_bit(&self.labels, labels)
    }
}

impl DomainIndex {
    /// Validates the domain entries and indexes them by anchor.
    pub(crate) fn build(
        entries: &[DomainEntry],
        rules: &[Rule],
        ck: &Checker,
    ) -> Result<DomainIndex, LoadError> {
        let mut anchors: RollMap<u32> = RollMap::default();
        let mut domain_globs = Vec::with_capacity(entries.len());
        for (i, d) in entries.iter().enumerate() {
            if !is_normalized_domain(&d.anchor, true) {
                return Err(LoadError::table(
                    "network",
                    format!("anchor `{}` is not a normalized domain", d.anchor),
                ));
            }
            for c in [d.exact, d.one_label, d.any_depth] {
                ck.list("network", c, Surface::Network)?;
            }
            domain_globs.push(DfaSet::load(
                "network",
                &d.globs,
                rules,
                Surface::Network,
                false,
            )?);
            let idx = u32::try_from(i).map_err(|_| LoadError::table("network", "too many"))?;
            if !anchors.insert(&d.anchor, Roll::backward(&d.anchor), idx) {
                return Err(LoadError::table(
                    "network",
                    format!("duplicate anchor `{}`", d.anchor),
                ));
            }
        }
        let mut shapes = AnchorShapes::default();
        for anchor in anchors.keys() {
            shapes.add(anchor);
        }
        Ok(DomainIndex {
            anchors,
            shapes,
            globs: domain_globs,
        })
    }

    /// Probes the entries (`art.network.domains`) with a normalized host;
    /// `port` is the request's port prefix of the label automata
    /// (`[0, hi, lo]`, or `[1, 0, 0]` without a port).
    pub(crate) fn probe(
        &self,
        entries: &[DomainEntry],
        host: &str,
        port: [u8; 3],
        scan: &Scan,
        best: &mut Best,
    ) {
        // One right-to-left pass: at each label boundary the rolling hash is
        // that of the suffix (the anchor) starting there.
        let b = host.as_bytes();
        let mut h = Roll::new();
        if self.shapes.may_have(0, 0) {
            self.probe_anchor(entries, h.value(), "", host, port, scan, best);
        }
        let mut labels = 0usize;
        for i in (0..b.len()).rev() {
            h.push(b.get(i).copied().unwrap_or(0));
            if i == 0 || b.get(i - 1) == Some(&b'.') {
                labels += 1;
                let anchor = host.get(i..).unwrap_or("");
                if self.shapes.may_have(anchor.len(), labels) {
                    let rem = host.get(..i.saturating_sub(1)).unwrap_or("");
                    self.probe_anchor(entries, h.value(), anchor, rem, port, scan, best);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn probe_anchor(
        &self,
        entries: &[DomainEntry],
        hash: u64,
        anchor: &str,
        rem: &str,
        port: [u8; 3],
        scan: &Scan,
        best: &mut Best,
    ) {
        let Some(&i) = self.anchors.get(hash, anchor) else {
            return;
        };
        let Some(e) = entries.get(i as usize) else {
            return;
        };
        if rem.is_empty() {
            scan.consider(best, e.exact);
        } else if !rem.contains('.') {
            scan.consider(best, e.one_label);
        }
        scan.consider(best, e.any_depth);
        // A glob needs at least one label: an empty remainder never matches.
        if !rem.is_empty() {
            if let Some(globs) = self.globs.get(i as usize) {
                globs.probe(&port, rem.as_bytes(), scan, best);
            }
        }
    }
}

/// Parses label patterns: non-empty, no dot, lower-case printable ASCII.
pub(crate) fn label_globs(table: &'static str, labels: &[String]) -> Result<Vec<Glob>, LoadError> {
    labels
        .iter()
        .map(|l| {
            if l.is_empty()
                || l.contains('.')
                || l.bytes()
                    .any(|b| b.is_ascii_uppercase() || !b.is_ascii_graphic())
            {
                return Err(LoadError::table(
                    table,
                    format!("invalid label pattern `{l}`"),
                ));
            }
            Glob::new(l).map_err(|e| LoadError::table(table, format!("label pattern `{l}`: {e}")))
        })
        .collect()
}

/// Whether `labels` match the rightmost labels of `rem` (a dotted remainder,
/// "" for none); extra labels on the left only when `any_depth`.
pub(crate) fn labels_match(labels: &[Glob], any_depth: bool, rem: &str) -> bool {
    let mut parts = rem.rsplit('.').filter(|l| !l.is_empty());
    for g in labels.iter().rev() {
        match parts.next() {
            Some(l) if g.is_match(l) => {}
            _ => return false,
        }
    }
    any_depth || parts.next().is_none()
}

/// Whether a normalized domain matches a destination pattern.
pub(crate) fn pattern_matches(p: &DomainPattern, labels: &[Glob], host: &str) -> bool {
    let rem = if p.anchor.is_empty() {
        Some(host)
    } else if host == p.anchor {
        Some("")
    } else {
        host.strip_suffix(p.anchor.as_str())
            .and_then(|r| r.strip_suffix('.'))
    };
    rem.is_some_and(|rem| labels_match(labels, p.any_depth, rem))
}
