//! Filesystem tables, one set per root: exact paths, and the directory
//! index (`dir/**` prefixes, `dir/**/*SUFFIX` extensions, glob groups) that
//! costs one probe per ancestor of a request path.

use super::automaton::DfaSet;
use super::map_of;
use super::rules::{Best, Checker, Scan};
use crate::artifact::{FsRoot, Rule, Surface};
use crate::error::LoadError;
use crate::hash::{FxMap, Roll, RollMap};
use crate::limits::MAX_NAME_LEN;
use crate::normalize::is_normalized_relative_path;

/// Indexed tables of one filesystem root.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootIndex {
    /// Root name: "" for `/`, `home` for `~`, the name of `$name` otherwise.
    pub(crate) name: Box<str>,
    /// Literal paths, keyed by the forward rolling hash.
    exact: RollMap<u32>,
    /// Everything keyed by a directory, so each ancestor of a request path
    /// costs one probe; keyed by the forward rolling hash, so all ancestors
    /// are hashed in one left-to-right pass.
    dirs: RollMap<DirIndex>,
    /// Segments in the deepest key of `dirs`: deeper ancestors are skipped.
    max_depth: usize,
}

/// The rules keyed by one directory of a root.
#[derive(Debug, Clone, Default)]
struct DirIndex {
    /// `dir/**`.
    prefix: Option<u32>,
    /// `dir/**/*SUFFIX`: suffix → candidates.
    extension: FxMap<Box<str>, u32>,
    /// The distinct byte lengths of the `extension` keys, ascending, so the
    /// last segment of a path is probed once per key length, not once per
    /// dot it holds.
    extension_lens: Vec<usize>,
    /// The automata of the general globs whose literal directory is `dir`.
    globs: DfaSet,
}

impl RootIndex {
    /// Validates the tables of root `r` and indexes them by directory.
    pub(crate) fn build(r: &FsRoot, rules: &[Rule], ck: &Checker) -> Result<RootIndex, LoadError> {
        RootIndex::build_for("filesystem", Surface::Filesystem, r, rules, ck)
    }

    /// As [`RootIndex::build`], for a path table of table `t` whose lists hold
    /// rules of `surface` (the HTTP path tables are network tables).
    pub(crate) fn build_for(
        t: &'static str,
        surface: Surface,
        r: &FsRoot,
        rules: &[Rule],
        ck: &Checker,
    ) -> Result<RootIndex, LoadError> {
        // A network path table is an http block's: its lists hold HTTP rules.
        let http = surface == Surface::Network;
        let bad = |what: &str, k: &str| {
            Err(LoadError::table(
                t,
                format!(
                    "root `{}`: {what} `{k}` is not a normalized relative path",
                    r.name
                ),
            ))
        };
        if r.name.len() > MAX_NAME_LEN || r.name.chars().any(|c| c.is_control() || c == '/') {
            return Err(LoadError::table(
                t,
                format!("invalid root name `{}`", r.name),
            ));
        }
        for (k, c) in r.exact.iter().chain(&r.prefix) {
            ck.list_of(t, *c, surface, http)?;
            if !is_normalized_relative_path(k) {
                return bad("key", k);
            }
        }
        let mut extension: FxMap<Box<str>, FxMap<Box<str>, u32>> = FxMap::default();
        for (dir, suffix, c) in &r.extension {
            ck.list_of(t, *c, surface, http)?;
            if !is_normalized_relative_path(dir) {
                return bad("extension dir", dir);
            }
            if !suffix.starts_with('.') || suffix.contains('/') || suffix.contains('\0') {
                return Err(LoadError::table(
                    t,
                    format!("invalid extension suffix `{suffix}`"),
                ));
            }
            let per_dir = extension.entry(dir.as_str().into()).or_default();
            if per_dir.insert(suffix.as_str().into(), *c).is_some() {
                return Err(LoadError::table(
                    t,
                    format!("duplicate extension `{dir}` `{suffix}`"),
                ));
            }
        }
        let mut globs: FxMap<Box<str>, DfaSet> = FxMap::default();
        for (dir, automata) in &r.globs {
            if !is_normalized_relative_path(dir) || !crate::glob::is_literal(dir) {
                return bad("glob dir", dir);
            }
            let set = DfaSet::load(t, automata, rules, surface, http)?;
            if globs.insert(dir.as_str().into(), set).is_some() {
                return Err(LoadError::table(
                    t,
                    format!("root `{}`: duplicate glob dir `{dir}`", r.name),
                ));
            }
        }
        let mut dirs: FxMap<Box<str>, DirIndex> = FxMap::default();
        for (dir, c) in map_of(t, "prefix path", &r.prefix)? {
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
        for (path, c) in &r.exact {
            if !exact.insert(path, Roll::forward(path), *c) {
                return Err(LoadError::table(
                    t,
                    format!("duplicate exact path `{path}`"),
                ));
            }
        }
        Ok(RootIndex {
            name: r.name.as_str().into(),
            exact,
            dirs: rolled,
            max_depth,
        })
    }

    /// Probes the root's tables with `path` relative to `root_path`, the
    /// normalized path the root is bound to; `part` is the access being
    /// decided, the prefix of the glob automata (`b'r'` or `b'w'`).
    pub(crate) fn probe_under(
        &self,
        root_path: &str,
        path: &str,
        part: u8,
        scan: &Scan,
        best: &mut Best,
    ) {
        let rel = if root_path == "/" {
            path.strip_prefix('/')
        } else if path == root_path {
            Some("")
        } else {
            path.strip_prefix(root_path)
                .and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rel) = rel {
            self.probe_root(rel, part, scan, best);
        }
    }

    fn probe_root(&self, rel: &str, part: u8, scan: &Scan, best: &mut Best) {
        let last = rel.rsplit('/').next().unwrap_or(rel);
        // One left-to-right pass: before each `/` the rolling hash is that of
        // the ancestor directory ending there; at the end, that of `rel`.
        let mut h = Roll::new();
        self.probe_dir(h.value(), "", rel, last, part, scan, best);
        if rel.is_empty() {
            if let Some(&c) = self.exact.get(h.value(), rel) {
                scan.consider(best, c);
            }
            return;
        }
        let mut depth = 0usize;
        for (i, &c) in rel.as_bytes().iter().enumerate() {
            if c == b'/' {
                depth += 1;
                if depth <= self.max_depth {
                    let dir = rel.get(..i).unwrap_or("");
                    self.probe_dir(h.value(), dir, rel, last, part, scan, best);
                }
            }
            h.push(c);
        }
        if let Some(&c) = self.exact.get(h.value(), rel) {
            scan.consider(best, c);
        }
        // `rel` itself as a directory: `rel/**` and globs whose `**` matches
        // zero segments.
        if depth < self.max_depth {
            if let Some(dir) = self.dirs.get(h.value(), rel) {
                if let Some(c) = dir.prefix {
                    scan.consider(best, c);
                }
                dir.globs.probe(&[part], rel.as_bytes(), scan, best);
            }
        }
    }

    /// Probes the rules keyed by `dir`, a strict ancestor of `rel` (or ""
    /// for the root, when `rel` may be empty).
    #[allow(clippy::too_many_arguments)]
    fn probe_dir(
        &self,
        hash: u64,
        dir: &str,
        rel: &str,
        last: &str,
        part: u8,
        scan: &Scan,
        best: &mut Best,
    ) {
        let Some(d) = self.dirs.get(hash, dir) else {
            return;
        };
        if let Some(c) = d.prefix {
            scan.consider(best, c);
        }
        // The root itself ("") is matched by exact and prefix rules only.
        if rel.is_empty() {
            return;
        }
        // `*SUFFIX` keys all start with a dot: probe the suffix of each key
        // length that starts with one, so a segment of many dots costs one
        // probe per key length.
        for &len in &d.extension_lens {
            let Some(start) = last.len().checked_sub(len) else {
                break;
            };
            if last.as_bytes().get(start) == Some(&b'.') {
                if let Some(&c) = d.extension.get(last.get(start..).unwrap_or("")) {
                    scan.consider(best, c);
                }
            }
        }
        d.globs.probe(&[part], rel.as_bytes(), scan, best);
    }
}
