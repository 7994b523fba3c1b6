//! [`Policy`]: an [`Artifact`] validated and indexed for decisions.

use std::collections::HashSet;

use crate::artifact::{Artifact, Condition, Effect, NameTables, Rule, Surface};
use crate::error::LoadError;
use crate::glob::Glob;
use crate::hash::{FxMap, Roll, RollMap};
use crate::limits::{MAX_NAME_LEN, MAX_RULES, MAX_SOURCE_LEN, MAX_TABLE_ENTRIES};
use crate::normalize::{is_normalized_domain, is_normalized_name, is_normalized_relative_path};

/// A loaded policy: the artifact plus hash indexes and parsed globs.
///
/// Immutable after loading and `Send + Sync`: share it between threads
/// behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) art: Artifact,
    /// Per rule, one byte: its effect (bits 0-1) and whether it has no
    /// condition (bit 2). Candidate scans read this small array and touch
    /// the full `Rule` only for conditions, which keeps large policies in
    /// cache.
    pub(crate) rule_bits: Vec<u8>,
    /// Per value of an IPv4 address's top 12 bits: the index of the
    /// interval holding the first address with those bits (4,097 entries,
    /// the last one the final interval), so a lookup binary-searches only
    /// the few intervals of its bucket instead of the whole table.
    pub(crate) v4_buckets: Vec<u32>,
    /// Anchor → index into `art.network.domains`, keyed by the backward
    /// rolling hash (a host's suffixes are hashed in one right-to-left pass).
    pub(crate) domains: RollMap<u32>,
    /// Which anchor shapes exist, so most suffixes of a host are skipped
    /// without hashing them.
    pub(crate) anchor_shapes: AnchorShapes,
    /// Per domain entry, per glob: the parsed label globs.
    pub(crate) domain_globs: Vec<Vec<Vec<Glob>>>,
    /// Filesystem roots, in artifact order.
    pub(crate) roots: Vec<RootIndex>,
    /// Credential name tables.
    pub(crate) credentials: NameIndex,
    /// Per rule: parsed label globs of its credential destinations, one list
    /// per domain pattern (empty for other rules).
    pub(crate) dest_globs: Vec<Vec<Vec<Glob>>>,
    /// MCP server name → index into `art.mcp.servers`.
    pub(crate) servers: FxMap<Box<str>, u32>,
    /// Per server: tool tables.
    pub(crate) tools: Vec<NameIndex>,
}

/// Indexed name tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    pub(crate) exact: FxMap<Box<str>, u32>,
    /// `prefix*` keys by forward rolling hash: one pass over a name gives
    /// the hash of each of its prefixes.
    pub(crate) prefix: RollMap<u32>,
    /// Bit `n` set: some prefix key is `n` bytes long.
    pub(crate) prefix_lens: [u64; MAX_NAME_LEN / 64 + 1],
    /// One more than the longest prefix key (0: no prefix keys), so the
    /// probe stops there instead of hashing the whole name.
    pub(crate) prefix_end: usize,
    pub(crate) globs: Vec<(Glob, u32)>,
}

/// Indexed tables of one filesystem root.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootIndex {
    pub(crate) name: Box<str>,
    /// Literal paths, keyed by the forward rolling hash.
    pub(crate) exact: RollMap<u32>,
    /// Everything keyed by a directory, so each ancestor of a request path
    /// costs one probe; keyed by the forward rolling hash, so all ancestors
    /// are hashed in one left-to-right pass.
    pub(crate) dirs: RollMap<DirIndex>,
    /// Segments in the deepest key of `dirs`: deeper ancestors are skipped.
    pub(crate) max_depth: usize,
}

/// Bits of an IPv4 address that pick its bucket in `Policy::v4_buckets`.
pub(crate) const V4_BUCKET_BITS: u32 = 12;

/// The byte lengths and label counts of the domain anchors, as bit sets.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnchorShapes {
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
    pub(crate) fn may_have(&self, len: usize, labels: usize) -> bool {
        has_bit(&self.lengths, len) && has_bit(&self.labels, labels)
    }
}

fn set_bit<const N: usize>(bits: &mut [u64; N], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

/// Whether bit `i` is set.
pub(crate) fn has_bit<const N: usize>(bits: &[u64; N], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// The rules keyed by one directory of a root.
#[derive(Debug, Clone, Default)]
pub(crate) struct DirIndex {
    /// `dir/**`.
    pub(crate) prefix: Option<u32>,
    /// `dir/**/*SUFFIX`: suffix → candidates.
    pub(crate) extension: FxMap<Box<str>, u32>,
    /// The distinct byte lengths of the `extension` keys, ascending, so the
    /// last segment of a path is probed once per key length, not once per
    /// dot it holds.
    pub(crate) extension_lens: Vec<usize>,
    /// General globs whose literal directory is `dir`.
    pub(crate) globs: Vec<(Glob, u32)>,
}

/// Which surface a candidate-list reference comes from.
struct Checker<'a> {
    art: &'a Artifact,
    /// Per candidate list: the surface of its rules (`None` when empty).
    list_surface: Vec<Option<Surface>>,
}

impl Checker<'_> {
    fn list(&self, table: &'static str, list: u32, surface: Surface) -> Result<(), LoadError> {
        match self.list_surface.get(list as usize) {
            None => Err(LoadError::table(
                table,
                format!(
                    "candidate list {list} out of range ({} lists)",
                    self.art.candidates.len()
                ),
            )),
            Some(Some(s)) if *s != surface => Err(LoadError::table(
                table,
                format!("candidate list {list} holds {s:?} rules, used by a {surface:?} table"),
            )),
            _ => Ok(()),
        }
    }
}

fn unique<'a>(
    table: &'static str,
    what: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), LoadError> {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(LoadError::table(table, format!("duplicate {what} `{k}`")));
        }
    }
    Ok(())
}

fn map_of(
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

fn label_globs(table: &'static str, labels: &[String]) -> Result<Vec<Glob>, LoadError> {
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

fn name_index(
    table: &'static str,
    t: &NameTables,
    surface: Surface,
    ck: &Checker,
) -> Result<NameIndex, LoadError> {
    for (k, c) in t.exact.iter().chain(&t.prefix).chain(&t.globs) {
        ck.list(table, *c, surface)?;
        let bad = k
            .bytes()
            .any(|b| !(0x21..=0x7e).contains(&b) || b.is_ascii_uppercase());
        if bad {
            return Err(LoadError::table(
                table,
                format!("name key `{k}` is not normalized"),
            ));
        }
    }
    for (k, _) in t.exact.iter().chain(&t.prefix) {
        if k.len() > MAX_NAME_LEN || (!k.is_empty() && !is_normalized_name(k)) {
            return Err(LoadError::table(
                table,
                format!("exact name `{k}` is not normalized"),
            ));
        }
    }
    let exact = map_of(table, "exact name", &t.exact)?;
    let mut prefix = RollMap::default();
    let mut prefix_lens = [0u64; MAX_NAME_LEN / 64 + 1];
    let mut prefix_end = 0;
    for (k, c) in map_of(table, "name prefix", &t.prefix)? {
        set_bit(&mut prefix_lens, k.len());
        prefix_end = prefix_end.max(k.len() + 1);
        prefix.insert(&k, Roll::forward(&k), c);
    }
    let globs = t
        .globs
        .iter()
        .map(|(p, c)| {
            Glob::flat(p)
                .map(|g| (g, *c))
                .map_err(|e| LoadError::table(table, format!("name glob `{p}`: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(NameIndex {
        exact,
        prefix,
        prefix_lens,
        prefix_end,
        globs,
    })
}

fn check_rule(i: usize, r: &Rule) -> Result<(), LoadError> {
    let bad = |p: String| {
        Err(LoadError::table(
            "rules",
            format!("rule {i} (`{}`): {p}", r.id),
        ))
    };
    if r.id.is_empty() {
        return bad("empty id".into());
    }
    match (&r.cond, r.surface) {
        (Condition::None, Surface::Network | Surface::Mcp) => {}
        (Condition::Ports(ports), Surface::Network) => {
            if ports.is_empty() {
                return bad("empty port list".into());
            }
            let mut prev: Option<u16> = None;
            for &(a, b) in ports {
                if a == 0 || a > b || prev.is_some_and(|p| a <= p) {
                    return bad(format!("port ranges not ascending and disjoint at {a}-{b}"));
                }
                prev = Some(b);
            }
        }
        (Condition::Access(a), Surface::Filesystem) => {
            if a.0 == 0 || a.0 > 3 {
                return bad(format!("access bits {} outside read/write", a.0));
            }
        }
        (Condition::Credential(c), Surface::Credential) => {
            if let Some(d) = &c.destinations {
                for p in &d.domains {
                    if !is_normalized_domain(&p.anchor, true) {
                        return bad(format!(
                            "destination anchor `{}` is not normalized",
                            p.anchor
                        ));
                    }
                }
                if d.v4.iter().any(|(a, b)| a > b) || d.v6.iter().any(|(a, b)| a > b) {
                    return bad("destination address range ends before it starts".into());
                }
            }
        }
        (c, s) => return bad(format!("condition {c:?} does not fit surface {s:?}")),
    }
    Ok(())
}

impl Policy {
    /// Decodes and validates an artifact (`spec/artifact.md`). Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, LoadError> {
        Policy::from_artifact(Artifact::from_bytes(bytes)?)
    }

    /// Validates every table and cross-reference of `art` and builds the
    /// indexes. Never panics; see `spec/artifact.md` for the checks.
    pub fn from_artifact(art: Artifact) -> Result<Policy, LoadError> {
        // Rules.
        if art.rules.len() > MAX_RULES {
            return Err(LoadError::table(
                "rules",
                format!("{} rules exceed the limit of {MAX_RULES}", art.rules.len()),
            ));
        }
        for (i, r) in art.rules.iter().enumerate() {
            check_rule(i, r)?;
        }
        unique("rules", "rule id", art.rules.iter().map(|r| r.id.as_str()))?;

        // Candidate lists.
        match art.candidates.first() {
            Some(l) if l.is_empty() => {}
            _ => {
                return Err(LoadError::table(
                    "candidates",
                    "candidate list 0 must exist and be empty",
                ))
            }
        }
        let entries = art
            .candidates
            .iter()
            .fold(art.candidates.len(), |n, l| n.saturating_add(l.len()));
        if entries > MAX_TABLE_ENTRIES {
            return Err(LoadError::table(
                "candidates",
                format!("{entries} entries exceed the limit of {MAX_TABLE_ENTRIES}"),
            ));
        }
        let mut list_surface = Vec::with_capacity(art.candidates.len());
        for (li, list) in art.candidates.iter().enumerate() {
            let mut surface = None;
            let mut prev: Option<(Effect, u32)> = None;
            for &ri in list {
                let Some(rule) = art.rules.get(ri as usize) else {
                    return Err(LoadError::table(
                        "candidates",
                        format!(
                            "list {li}: rule {ri} out of range ({} rules)",
                            art.rules.len()
                        ),
                    ));
                };
                if surface.is_some_and(|s| s != rule.surface) {
                    return Err(LoadError::table(
                        "candidates",
                        format!("list {li} mixes rules of different surfaces"),
                    ));
                }
                surface = Some(rule.surface);
                let key = (rule.effect, ri);
                if prev.is_some_and(|p| p >= key) {
                    return Err(LoadError::table(
                        "candidates",
                        format!("list {li} is not strictly sorted by (effect, rule index)"),
                    ));
                }
                prev = Some(key);
            }
            list_surface.push(surface);
        }
        let ck = Checker {
            art: &art,
            list_surface,
        };

        // Network.
        let net = &art.network;
        let mut domains: RollMap<u32> = RollMap::default();
        let mut domain_globs = Vec::with_capacity(net.domains.len());
        for (i, d) in net.domains.iter().enumerate() {
            if !is_normalized_domain(&d.anchor, true) {
                return Err(LoadError::table(
                    "network",
                    format!("anchor `{}` is not a normalized domain", d.anchor),
                ));
            }
            for c in [d.exact, d.one_label, d.any_depth] {
                ck.list("network", c, Surface::Network)?;
            }
            let mut globs = Vec::with_capacity(d.globs.len());
            for g in &d.globs {
                ck.list("network", g.candidates, Surface::Network)?;
                globs.push(label_globs("network", &g.labels)?);
            }
            domain_globs.push(globs);
            let idx = u32::try_from(i).map_err(|_| LoadError::table("network", "too many"))?;
            if !domains.insert(&d.anchor, Roll::backward(&d.anchor), idx) {
                return Err(LoadError::table(
                    "network",
                    format!("duplicate anchor `{}`", d.anchor),
                ));
            }
        }
        check_intervals("network", &net.v4, &ck)?;
        check_intervals("network", &net.v6, &ck)?;

        // Filesystem.
        let mut roots = Vec::with_capacity(art.filesystem.roots.len());
        unique(
            "filesystem",
            "root",
            art.filesystem.roots.iter().map(|r| r.name.as_str()),
        )?;
        for r in &art.filesystem.roots {
            roots.push(root_index(r, &ck)?);
        }

        // Credentials.
        let credentials = name_index("credentials", &art.credentials, Surface::Credential, &ck)?;
        let mut dest_globs = Vec::with_capacity(art.rules.len());
        for r in &art.rules {
            let mut per_rule = Vec::new();
            if let Condition::Credential(c) = &r.cond {
                if let Some(d) = &c.destinations {
                    for p in &d.domains {
                        per_rule.push(label_globs("rules", &p.prefix)?);
                    }
                }
            }
            dest_globs.push(per_rule);
        }

        // MCP.
        let mut servers = FxMap::default();
        let mut tools = Vec::with_capacity(art.mcp.servers.len());
        for (i, s) in art.mcp.servers.iter().enumerate() {
            if !is_normalized_name(&s.name) {
                return Err(LoadError::table(
                    "mcp",
                    format!("server name `{}` is not normalized", s.name),
                ));
            }
            if let Some(src) = &s.source {
                if crate::normalize::source(src).is_err() || src.len() > MAX_SOURCE_LEN {
                    return Err(LoadError::table(
                        "mcp",
                        format!("server `{}`: invalid source", s.name),
                    ));
                }
            }
            match art.rules.get(s.rule as usize) {
                Some(r) if r.surface == Surface::Mcp && r.effect == Effect::Allow => {}
                _ => {
                    return Err(LoadError::table(
                        "mcp",
                        format!(
                            "server `{}`: approval rule {} is not an MCP allow rule",
                            s.name, s.rule
                        ),
                    ))
                }
            }
            tools.push(name_index("mcp", &s.tools, Surface::Mcp, &ck)?);
            let idx = u32::try_from(i).map_err(|_| LoadError::table("mcp", "too many"))?;
            if servers.insert(s.name.as_str().into(), idx).is_some() {
                return Err(LoadError::table(
                    "mcp",
                    format!("duplicate server `{}`", s.name),
                ));
            }
        }

        let mut anchor_shapes = AnchorShapes::default();
        for anchor in domains.keys() {
            anchor_shapes.add(anchor);
        }
        let rule_bits = art
            .rules
            .iter()
            .map(|r| r.effect as u8 | (u8::from(r.cond == Condition::None) << 2))
            .collect();
        let v4_buckets = crate::decide::v4_buckets(&art.network.v4);
        Ok(Policy {
            rule_bits,
            v4_buckets,
            art,
            domains,
            anchor_shapes,
            domain_globs,
            roots,
            credentials,
            dest_globs,
            servers,
            tools,
        })
    }

    /// The validated artifact (rules, metadata, tables).
    pub fn artifact(&self) -> &Artifact {
        &self.art
    }

    /// The rule with index `index`, if any.
    pub fn rule(&self, index: u32) -> Option<&Rule> {
        self.art.rules.get(index as usize)
    }

    /// Root names the context must bind (every root but "").
    pub fn required_roots(&self) -> impl Iterator<Item = &str> {
        self.roots
            .iter()
            .map(|r| &*r.name)
            .filter(|n| !n.is_empty())
    }
}

fn check_intervals<T: Copy + Ord + Default + std::fmt::Display>(
    table: &'static str,
    iv: &[(T, u32)],
    ck: &Checker,
) -> Result<(), LoadError> {
    if let Some(&(first, _)) = iv.first() {
        if first != T::default() {
            return Err(LoadError::table(
                table,
                "first address interval must start at 0",
            ));
        }
    }
    for w in iv.windows(2) {
        if let [(a, _), (b, _)] = w {
            if a >= b {
                return Err(LoadError::table(
                    table,
                    format!("address intervals not strictly ascending at {b}"),
                ));
            }
        }
    }
    for &(_, c) in iv {
        ck.list(table, c, Surface::Network)?;
    }
    Ok(())
}

fn root_index(r: &crate::artifact::FsRoot, ck: &Checker) -> Result<RootIndex, LoadError> {
    const T: &str = "filesystem";
    let bad = |what: &str, k: &str| {
        Err(LoadError::table(
            T,
            format!(
                "root `{}`: {what} `{k}` is not a normalized relative path",
                r.name
            ),
        ))
    };
    if r.name.len() > MAX_NAME_LEN || r.name.chars().any(|c| c.is_control() || c == '/') {
        return Err(LoadError::table(
            T,
            format!("invalid root name `{}`", r.name),
        ));
    }
    for (k, c) in r.exact.iter().chain(&r.prefix) {
        ck.list(T, *c, Surface::Filesystem)?;
        if !is_normalized_relative_path(k) {
            return bad("key", k);
        }
    }
    let mut extension: FxMap<Box<str>, FxMap<Box<str>, u32>> = FxMap::default();
    for (dir, suffix, c) in &r.extension {
        ck.list(T, *c, Surface::Filesystem)?;
        if !is_normalized_relative_path(dir) {
            return bad("extension dir", dir);
        }
        if !suffix.starts_with('.') || suffix.contains('/') || suffix.contains('\0') {
            return Err(LoadError::table(
                T,
                format!("invalid extension suffix `{suffix}`"),
            ));
        }
        let per_dir = extension.entry(dir.as_str().into()).or_default();
        if per_dir.insert(suffix.as_str().into(), *c).is_some() {
            return Err(LoadError::table(
                T,
                format!("duplicate extension `{dir}` `{suffix}`"),
            ));
        }
    }
    let mut globs: FxMap<Box<str>, Vec<(Glob, u32)>> = FxMap::default();
    for (dir, pattern, c) in &r.globs {
        ck.list(T, *c, Surface::Filesystem)?;
        if !is_normalized_relative_path(dir) || !crate::glob::is_literal(dir) {
            return bad("glob dir", dir);
        }
        let below = dir.is_empty()
            || pattern
                .strip_prefix(dir.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        if !below {
            return Err(LoadError::table(
                T,
                format!("glob `{pattern}` does not start with its directory `{dir}/`"),
            ));
        }
        // `x/**` also matches `x` itself (language semantics; globset's does
        // not): add the pattern with each trailing `/**` removed.
        let group = globs.entry(dir.as_str().into()).or_default();
        let mut text = pattern.as_str();
        loop {
            let g = Glob::new(text)
                .map_err(|e| LoadError::table(T, format!("glob `{pattern}`: {e}")))?;
            group.push((g, *c));
            match text.strip_suffix("/**") {
                Some(shorter) if !shorter.is_empty() => text = shorter,
                _ => break,
            }
        }
    }
    let mut dirs: FxMap<Box<str>, DirIndex> = FxMap::default();
    for (dir, c) in map_of(T, "prefix path", &r.prefix)? {
        dirs.entry(dir).or_default().prefix = Some(c);
    }
    for (dir, per_dir) in extension {
        let d = dirs.entry(dir).or_default();
        let mut lens: Vec<usize> = per_dir.keys().map(|k| k.len()).collect();
        lens.sort_unstable();
        lens.dedup();
        d.extension_lens = lens;
        d.extension = per_dir;
    }
    for (dir, group) in globs {
        dirs.entry(dir).or_default().globs = group;
    }
    let depth = |d: &str| {
        if d.is_empty() {
            0
        } else {
            d.matches('/').count() + 1
        }
    };
    let max_depth = dirs.keys().map(|d| depth(d)).max().unwrap_or(0);
    let mut rolled = RollMap::default();
    for (dir, index) in dirs {
        rolled.insert(&dir, Roll::forward(&dir), index);
    }
    let mut exact = RollMap::default();
    for (path, c) in map_of(T, "exact path", &r.exact)? {
        exact.insert(&path, Roll::forward(&path), c);
    }
    Ok(RootIndex {
        name: r.name.as_str().into(),
        exact,
        dirs: rolled,
        max_depth,
    })
}
