//! `polc diff`: the exact set of requests two policies decide differently,
//! as change classes with witnesses (`spec/analysis.md`).
//!
//! For each surface: the rules that differ (by meaning, not by id or place)
//! say where decisions can change; the patterns of every rule that may meet
//! them cut that region into cells ([`super::strings`], [`super::space`]);
//! one witness per cell (and per port, access, source or destination cell)
//! is decided by both compiled policies. Cells whose decisions differ are
//! the change classes. Every class's witness is then decided again by the
//! reference interpreter of both policies: a disagreement is an error, so
//! a reported change is checked twice, by two independent evaluators.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;
use policy_eval::{Decision, Policy, Reason};

use policy_eval::json::OwnedRequest as Req;

use super::request::{self, context, witness_json};
use super::space::{self, Family};
use super::strings::{self, Focus};
use crate::model::{
    Access, CheckedPolicy, DomainPattern, DomainText, Effect, Lifetime, McpKind, NetTarget,
    PathPattern, RuleDef, RuleKind, Surface,
};
use crate::{reference, sets};

/// One of the two policies compared: its checked form (for the reference
/// interpreter and the patterns) and its compiled form.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The checked policy.
    pub checked: &'a CheckedPolicy,
    /// The policy loaded from its artifact.
    pub policy: &'a Policy,
}

/// Bindings and budgets of one analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Path roots, bound for every filesystem witness (`spec/analysis.md`:
    /// `home` is `/home/user`, another root `$r` is `/home/user/r`).
    pub roots: Vec<(String, String)>,
    /// Bytes one cell automaton may take.
    pub dfa_budget: usize,
    /// Witness requests one part of the analysis may decide.
    pub max_probes: usize,
}

impl Options {
    /// The default bindings for every root either policy uses, and the
    /// default budgets.
    pub fn for_policies(a: &CheckedPolicy, b: &CheckedPolicy) -> Options {
        let mut names: Vec<&String> = a.roots.iter().chain(&b.roots).collect();
        names.sort();
        names.dedup();
        let roots = names
            .into_iter()
            .map(|n| {
                let path = if n == "home" {
                    "/home/user".to_string()
                } else {
                    format!("/home/user/{n}")
                };
                (n.clone(), path)
            })
            .collect();
        Options {
            roots,
            dfa_budget: 1 << 20,
            max_probes: 2_000_000,
        }
    }

    /// Binds root `name` to `path`, replacing a default binding.
    pub fn bind(&mut self, name: &str, path: &str) {
        self.roots.retain(|(n, _)| n != name);
        self.roots.push((name.to_string(), path.to_string()));
        self.roots.sort();
    }
}

/// A decision as the diff compares it: effect and lifetime; the rule is
/// shown, but a change of deciding rule alone is no change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The effect.
    pub effect: Effect,
    /// The deciding rule's id, `None` for the default.
    pub rule: Option<String>,
    /// The grant's lifetime (credentials).
    pub lifetime: Option<Lifetime>,
}

/// Which way a change goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Stricter: allow to ask or deny, ask to deny, a shorter lifetime.
    Narrowing,
    /// Looser: deny to ask or allow, ask to allow, a longer lifetime.
    Widening,
}

/// The requests of one surface whose decision changed from the same old
/// outcome (effect, deciding rule, lifetime) to the same new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeClass {
    /// The surface.
    pub surface: Surface,
    /// The decision under the old policy.
    pub old: Outcome,
    /// The decision under the new policy.
    pub new: Outcome,
    /// Widening or narrowing.
    pub change: Change,
    /// The cells of the class, each with a witness.
    pub cells: Vec<CellChange>,
}

/// One cell of a change class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellChange {
    /// The requests, described by the patterns that match them (and their
    /// ports).
    pub what: String,
    /// A request of the cell, decided as the class says by both compiled
    /// policies and by the reference interpreter.
    pub witness: Req,
}

/// A part of the request space the analysis did not decide exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The surface.
    pub surface: Surface,
    /// Which requests of the surface it concerns.
    pub scope: Scope,
    /// What is not known, and why.
    pub what: String,
}

impl Unknown {
    /// Whether `req` is one of the requests this part concerns.
    pub fn covers(&self, req: &Req) -> bool {
        let v6_embedding = |text: &String| {
            let t = text.trim_start_matches('[').trim_end_matches(']');
            t.parse::<std::net::Ipv6Addr>()
                .is_ok_and(|a| space::embeds_ipv4(u128::from(a)))
        };
        req.as_request().surface() == self.surface
            && match &self.scope {
                Scope::Surface => true,
                Scope::Http => matches!(req, Req::Network { http: Some(_), .. }),
                Scope::EmbeddedIpv4 => match req {
                    Req::Network { host, ip, .. } | Req::Credential { host, ip, .. } => {
                        host.iter().chain(ip).any(v6_embedding)
                    }
                    _ => false,
                },
                Scope::ToolInputs(server) => match req {
                    Req::Mcp {
                        server: s,
                        arguments,
                        definition,
                        ..
                    } => {
                        s.eq_ignore_ascii_case(server)
                            && (arguments.is_some() || definition.is_some())
                    }
                    _ => false,
                },
            }
    }
}

/// The requests an [`Unknown`] concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Any request of the surface (a budget was exceeded).
    Surface,
    /// Network requests with a method and path.
    Http,
    /// Requests whose address (or IP-literal host) is an IPv6 address that
    /// embeds an IPv4 address ([`space::embeds_ipv4`]).
    EmbeddedIpv4,
    /// MCP calls of this server's tools with arguments or a definition.
    ToolInputs(String),
}

/// The result of [`diff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Change classes, by surface and description.
    pub classes: Vec<ChangeClass>,
    /// Parts not decided exactly.
    pub unknown: Vec<Unknown>,
    /// Witness requests decided.
    pub probes: usize,
    /// The root bindings used for filesystem witnesses.
    pub roots: Vec<(String, String)>,
}

impl Diff {
    /// Whether some request may be decided more loosely by the new policy:
    /// a widening class, or an unknown part.
    pub fn may_widen(&self) -> bool {
        !self.unknown.is_empty() || self.classes.iter().any(|c| c.change == Change::Widening)
    }
}

/// The compiled policies disagree with the reference interpreter on a
/// witness: a compiler or runtime defect; the diff is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("witness {request}: {detail}")]
pub struct DiffError {
    /// The witness, as JSON.
    pub request: String,
    /// Which policy, and the two decisions.
    pub detail: String,
}

/// Compares two policies: every change class with a witness, and the parts
/// not decided exactly.
pub fn diff(old: Side<'_>, new: Side<'_>, opts: &Options) -> Result<Diff, DiffError> {
    let mut a = Analysis::new(old, new, opts);
    a.network();
    a.filesystem();
    a.credentials();
    a.mcp();
    a.finish()
}

/// A witness request and the cell it stands for.
struct Probe {
    surface: Surface,
    /// The cell, without its port.
    what: String,
    /// The port cell of a network request.
    port: PortCell,
    /// For a request naming host and ip: the cell of its changed part. The
    /// request is shown only when that part alone does not change alike.
    part: Option<String>,
    req: Req,
}

impl Probe {
    fn new(surface: Surface, what: String, req: Req) -> Probe {
        Probe {
            surface,
            what,
            port: PortCell::Any,
            part: None,
            req,
        }
    }
    fn port(mut self, port: PortCell) -> Probe {
        self.port = port;
        self
    }
    fn part(mut self, part: &str) -> Probe {
        self.part = Some(part.to_string());
        self
    }
}

pub(super) struct Analysis<'a> {
    pub(super) old: Side<'a>,
    pub(super) new: Side<'a>,
    pub(super) opts: &'a Options,
    probes: Vec<Probe>,
    pub(super) unknown: Vec<Unknown>,
}

/// Which rules of each side differ from every rule of the other side.
struct Changed {
    /// The whole surface (the default differs, or the order of credential
    /// rules, which picks a grant's lifetime).
    all: bool,
    old: Vec<bool>,
    new: Vec<bool>,
}

impl Changed {
    fn rule(&self, side: usize, i: usize) -> bool {
        self.all || [&self.old, &self.new][side].get(i) == Some(&true)
    }
}

/// A rule's meaning: everything that decides what it matches and does,
/// without its id, place or reason text.
fn meaning(p: &CheckedPolicy, r: &RuleDef) -> String {
    let server = |i: usize| p.servers.get(i).map(|s| s.name.clone()).unwrap_or_default();
    let hosts = |i: usize| {
        p.http
            .get(i)
            .map(|h| format!("{:?}", h.hosts))
            .unwrap_or_default()
    };
    let kind = match &r.kind {
        RuleKind::Server { server: s } => {
            format!(
                "server {:?}",
                p.servers.get(*s).map(|d| (&d.name, &d.source))
            )
        }
        RuleKind::HttpBlock { block } => format!("http block {}", hosts(*block)),
        RuleKind::Http {
            block,
            methods,
            paths,
        } => format!("http {} {methods:?} {paths:?}", hosts(*block)),
        RuleKind::Tool {
            server: s,
            kind,
            tools,
            args,
            pins,
        } => format!("tool {} {kind:?} {tools:?} {args:?} {pins:?}", server(*s)),
        other => format!("{other:?}"),
    };
    format!("{:?} {kind}", r.effect)
}

fn changed(old: &CheckedPolicy, new: &CheckedPolicy, surface: Surface) -> Option<Changed> {
    let of = |p: &CheckedPolicy| -> Vec<Option<String>> {
        p.rules
            .iter()
            .map(|r| (r.surface == surface).then(|| meaning(p, r)))
            .collect()
    };
    let (mo, mn) = (of(old), of(new));
    let set = |m: &[Option<String>]| -> HashSet<String> { m.iter().flatten().cloned().collect() };
    let (so, sn) = (set(&mo), set(&mn));
    let flag = |m: &[Option<String>], other: &HashSet<String>| -> Vec<bool> {
        m.iter()
            .map(|x| x.as_ref().is_some_and(|x| !other.contains(x)))
            .collect()
    };
    let (fo, fnew) = (flag(&mo, &sn), flag(&mn, &so));
    let common = |m: &[Option<String>], other: &HashSet<String>| -> Vec<String> {
        let mut v: Vec<String> = m
            .iter()
            .flatten()
            .filter(|x| other.contains(*x))
            .cloned()
            .collect();
        v.dedup();
        v
    };
    let reordered = surface == Surface::Credential && common(&mo, &sn) != common(&mn, &so);
    let all = old.defaults[surface as usize] != new.defaults[surface as usize] || reordered;
    if !all && !fo.contains(&true) && !fnew.contains(&true) {
        return None;
    }
    Some(Changed {
        all,
        old: fo,
        new: fnew,
    })
}

/// The unknown part of addresses embedded in IPv6, when an address rule
/// changed.
const EMBEDDED: &str = "IPv6 addresses that embed an IPv4 address are also decided by the IPv4 address: each IPv4 cell is witnessed in its NAT64, 6to4 and ISATAP forms only (not Teredo, the local-use NAT64 prefix, or IPv6 ranges a rule writes inside those prefixes)";

/// Deduplicated patterns with a focus flag each.
pub(super) struct Pats<T> {
    pub(super) items: Vec<T>,
    pub(super) focus: Vec<bool>,
    pub(super) at: HashMap<T, usize>,
}

impl<T: Clone + Eq + std::hash::Hash> Pats<T> {
    pub(super) fn new() -> Self {
        Pats {
            items: Vec::new(),
            focus: Vec::new(),
            at: HashMap::new(),
        }
    }
    pub(super) fn add(&mut self, t: &T, focused: bool) -> usize {
        if let Some(&i) = self.at.get(t) {
            if let Some(f) = self.focus.get_mut(i) {
                *f |= focused;
            }
            return i;
        }
        self.at.insert(t.clone(), self.items.len());
        self.items.push(t.clone());
        self.focus.push(focused);
        self.items.len() - 1
    }
}

/// The text of a path pattern as written (`~/...`, `$r/...`, `/...`).
fn path_text(p: &PathPattern) -> String {
    let root = match p.root.as_str() {
        "" => String::new(),
        "home" => "~".to_string(),
        r => format!("${r}"),
    };
    if p.glob.is_empty() {
        return if root.is_empty() {
            "/".to_string()
        } else {
            root
        };
    }
    format!("{root}/{}", p.glob)
}

/// "`a`, `b`" for pattern texts, or `none` when empty.
fn listed(what: &str, texts: &[String]) -> String {
    if texts.is_empty() {
        return format!("{what} matching no pattern");
    }
    let quoted: Vec<String> = texts.iter().map(|t| format!("`{t}`")).collect();
    format!("{what} matching {}", quoted.join(" and "))
}

/// What the MCP analysis gathers about one server name from both policies.
struct Server {
    /// A tool, resource or prompt rule of it changed.
    focused: bool,
    /// Its approval changed, or the `mcp` default: every call may change.
    all: bool,
    /// Its pinned sources.
    sources: Vec<String>,
    /// Tool, resource and prompt patterns.
    pats: [Pats<String>; 3],
    /// Some rule has `where` or `pinned`.
    constrained: bool,
}

impl Server {
    fn new() -> Server {
        Server {
            focused: false,
            all: false,
            sources: Vec::new(),
            pats: [Pats::new(), Pats::new(), Pats::new()],
            constrained: false,
        }
    }
}

/// The patterns of a string dimension: text, regex, focus flag and the
/// literal prefix and suffix their meeting is tested on.
#[derive(Default)]
pub(super) struct Dim {
    pub(super) texts: Vec<String>,
    pub(super) regexes: Vec<String>,
    pub(super) focus: Vec<bool>,
    pub(super) keys: Vec<(String, String)>,
}

impl Dim {
    pub(super) fn push(&mut self, text: String, regex: String, focus: bool, key: (String, String)) {
        self.texts.push(text);
        self.regexes.push(regex);
        self.focus.push(focus);
        self.keys.push(key);
    }
    pub(super) fn len(&self) -> usize {
        self.texts.len()
    }
    /// Whether patterns `a` and `b` may match a common string.
    pub(super) fn meet(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.keys[a], &self.keys[b]);
        space::prefixes_meet(&x.0, &y.0) && space::suffixes_meet(&x.1, &y.1)
    }
}

/// The cells [`Analysis::collect`] found so far, by their matching
/// patterns, and the neighbours standing as one pattern.
#[derive(Default)]
struct Found {
    cells: Vec<StrCell>,
    seen: HashSet<Vec<usize>>,
    union: Vec<usize>,
}

/// A cell of a string dimension: its witness and its description.
pub(super) struct StrCell {
    pub(super) witness: String,
    what: String,
    /// The matching patterns (indices into the dimension's patterns).
    pub(super) matched: Vec<usize>,
}

/// A witness address of the cell `s..=e`: one not read as or embedding
/// IPv4 when the cell has one.
fn pick(f: Family, s: u128, e: u128) -> u128 {
    if f == Family::V4 {
        return s;
    }
    let mut cands = vec![s, e, s.saturating_add(1) | 1];
    for shift in [32u32, 48, 64, 80, 96, 112] {
        let step = 1u128 << shift;
        let up = (s / step).saturating_add(1).saturating_mul(step);
        cands.push(up);
        cands.push(up | 1);
    }
    cands
        .into_iter()
        .filter(|&c| c >= s && c <= e)
        .find(|&c| !space::embeds_ipv4(c))
        .unwrap_or(s)
}

/// An address cell: its witness, its description, and whether a focused
/// range holds it.
pub(super) struct IpCell {
    pub(super) witness: String,
    what: String,
    pub(super) focused: bool,
}

/// The cells of both address families cut by `nets`.
pub(super) fn ip_cells(nets: &Pats<IpNet>, all: bool, extra: &[IpNet]) -> Vec<IpCell> {
    let mut out = Vec::new();
    for f in [Family::V4, Family::V6] {
        let ranges: Vec<(u128, u128)> = nets
            .items
            .iter()
            .chain(extra)
            .filter_map(|n| f.range(n))
            .collect();
        let focus: Vec<(u128, u128)> = nets
            .items
            .iter()
            .zip(&nets.focus)
            .filter(|(_, f)| **f)
            .filter_map(|(n, _)| f.range(n))
            .collect();
        for (s, e) in space::intervals(0, f.max(), &ranges) {
            let focused = all || focus.iter().any(|&(a, b)| a <= s && e <= b);
            let what = space::interval_text(f, (s, e));
            out.push(IpCell {
                witness: f.addr(pick(f, s, e)).to_string(),
                what: format!("ip in {what}"),
                focused,
            });
            if f == Family::V6 {
                continue;
            }
            // The same IPv4 cell embedded in IPv6 (NAT64, 6to4, ISATAP):
            // the embedded address also decides (`spec/language.md`
            // section 7), so these stand for requests the plain cells do
            // not.
            let v4 = s & 0xffff_ffff;
            for (form, addr) in [
                ("NAT64", (0x0064_ff9b_u128 << 96) | v4),
                ("6to4", (0x2002_u128 << 112) | (v4 << 80) | 1),
                (
                    "ISATAP",
                    (0x2001_0db8_u128 << 96) | (0x5efe_u128 << 32) | v4,
                ),
            ] {
                out.push(IpCell {
                    witness: Family::V6.addr(addr).to_string(),
                    what: format!("IPv6 ip embedding an ip in {what} ({form})"),
                    focused,
                });
            }
        }
    }
    out
}

/// Port cells: no port, then the intervals cut by `ranges`; each with the
/// port of its witness.
pub(super) fn port_cells(ranges: &[(u128, u128)]) -> Vec<(Option<u32>, PortCell)> {
    let mut out = vec![(None, PortCell::None)];
    for (s, e) in space::intervals(1, 65535, ranges) {
        let (s, e) = (u32::try_from(s).unwrap_or(1), u32::try_from(e).unwrap_or(1));
        out.push((Some(s), PortCell::Range(s, e)));
    }
    out
}

/// The port cell of a network witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum PortCell {
    /// Not a network request.
    Any,
    /// A request without a port.
    None,
    /// Ports `s..=e`.
    Range(u32, u32),
}

/// Port cells as text, adjacent ranges merged: `no port, ports 1-79, 81-65535`.
fn ports_text(cells: &[PortCell]) -> String {
    let mut cells = cells.to_vec();
    cells.sort();
    cells.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in cells {
        match c {
            PortCell::Any => {}
            PortCell::None => parts.push("no port".to_string()),
            PortCell::Range(s, e) => match ranges.last_mut() {
                Some(last) if last.1 + 1 == s => last.1 = e,
                _ => ranges.push((s, e)),
            },
        }
    }
    if ranges == [(1, 65535)] {
        parts.push("any port".to_string());
    } else if !ranges.is_empty() {
        let list: Vec<String> = ranges
            .iter()
            .map(|&(s, e)| {
                if s == e {
                    s.to_string()
                } else {
                    format!("{s}-{e}")
                }
            })
            .collect();
        let word = if list.len() == 1 && ranges[0].0 == ranges[0].1 {
            "port"
        } else {
            "ports"
        };
        parts.push(format!("{word} {}", list.join(", ")));
    }
    parts.join(", ")
}

/// The nets of the local-address sets a send is checked against.
pub(super) fn local_nets() -> Vec<IpNet> {
    ["loopback", "link-local", "metadata"]
        .iter()
        .flat_map(|s| sets::members(s).unwrap_or(&[]).iter())
        .filter_map(|m| {
            m.parse::<IpNet>()
                .ok()
                .or_else(|| m.parse::<IpAddr>().ok().map(IpNet::from))
        })
        .collect()
}

impl<'a> Analysis<'a> {
    /// An analysis of `old` against `new`, with nothing found yet.
    pub(super) fn new(old: Side<'a>, new: Side<'a>, opts: &'a Options) -> Analysis<'a> {
        Analysis {
            old,
            new,
            opts,
            probes: Vec::new(),
            unknown: Vec::new(),
        }
    }

    fn sides(&self) -> [Side<'_>; 2] {
        [self.old, self.new]
    }

    fn unknown(&mut self, surface: Surface, what: String) {
        self.unknown_in(surface, Scope::Surface, what);
    }

    fn unknown_in(&mut self, surface: Surface, scope: Scope, what: String) {
        if !self
            .unknown
            .iter()
            .any(|u| u.surface == surface && u.what == what)
        {
            self.unknown.push(Unknown {
                surface,
                scope,
                what,
            });
        }
    }

    fn probe(&mut self, surface: Surface, what: String, req: Req) {
        self.probes.push(Probe::new(surface, what, req));
    }

    /// Whether `n` more probes fit the budget; records an unknown when not.
    fn room(&mut self, surface: Surface, n: usize, what: &str) -> bool {
        if self.probes.len().saturating_add(n) <= self.opts.max_probes {
            return true;
        }
        self.unknown(
            surface,
            format!(
                "{what}: more than {} witness requests",
                self.opts.max_probes
            ),
        );
        false
    }

    /// The cells of a string dimension; `None` (and an unknown) past the
    /// budget.
    fn strings(
        &mut self,
        surface: Surface,
        dim: &str,
        texts: &[String],
        regexes: &[String],
        focus: Focus<'_>,
        validity: &str,
    ) -> Option<Vec<StrCell>> {
        match strings::cells(regexes, focus, validity, self.opts.dfa_budget) {
            Ok(cells) => Some(
                cells
                    .into_iter()
                    .filter_map(|c| {
                        let names: Vec<String> = c
                            .matched
                            .iter()
                            .filter_map(|&i| texts.get(i).cloned())
                            .collect();
                        Some(StrCell {
                            witness: String::from_utf8(c.witness).ok()?,
                            what: listed(dim, &names),
                            matched: c.matched,
                        })
                    })
                    .collect(),
            ),
            Err(strings::TooLarge) => {
                let shown: Vec<&String> = texts.iter().take(3).collect();
                self.unknown(
                    surface,
                    format!(
                        "{dim}s near {shown:?}: their automaton exceeds {} bytes",
                        self.opts.dfa_budget
                    ),
                );
                None
            }
        }
    }

    /// Host cells of `doms`: every cell when `all`, else the cells of the
    /// focused patterns.
    pub(super) fn host_cells(
        &mut self,
        surface: Surface,
        doms: &Pats<DomainPattern>,
        all: bool,
    ) -> Option<Vec<StrCell>> {
        let mut dim = Dim::default();
        for (d, &f) in doms.items.iter().zip(&doms.focus) {
            let Some(re) = space::domain_regex(d) else {
                continue;
            };
            // Domain patterns meet only when their anchors end alike: the
            // reversed anchors are prefixes of one another.
            dim.push(
                d.text(),
                re,
                f,
                (d.anchor.chars().rev().collect(), String::new()),
            );
        }
        self.region_cells(surface, "host", &dim, all, space::HOST_VALIDITY)
    }

    /// The cells of a string dimension: all of them when `all`, else those
    /// of strings some focused pattern matches. Then the automata hold the
    /// focused patterns and the patterns that may meet them, split into
    /// groups that cannot meet each other (`spec/analysis.md`): one
    /// automaton per group with the focused patterns that meet it, and one
    /// for the strings no such pattern matches, so a thousand disjoint
    /// neighbours cost a thousand small automata, not their product.
    pub(super) fn region_cells(
        &mut self,
        surface: Surface,
        what: &str,
        dim: &Dim,
        all: bool,
        validity: &str,
    ) -> Option<Vec<StrCell>> {
        if all {
            return self.strings(
                surface,
                what,
                &dim.texts,
                &dim.regexes,
                Focus::All,
                validity,
            );
        }
        let focused: Vec<usize> = (0..dim.len()).filter(|&i| dim.focus[i]).collect();
        let mut near: Vec<usize> = (0..dim.len())
            .filter(|&i| !dim.focus[i] && focused.iter().any(|&f| dim.meet(i, f)))
            .collect();
        // Groups of neighbours by literal prefix: sorted, a pattern joins
        // the group of the nearest earlier key that is a prefix of its own.
        near.sort_by(|&a, &b| dim.keys[a].0.cmp(&dim.keys[b].0));
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &i in &near {
            while let Some(&top) = stack.last() {
                if dim.keys[i].0.starts_with(&dim.keys[top].0) {
                    break;
                }
                stack.pop();
            }
            let g = match stack.first() {
                Some(root) => group_of.get(root).copied().unwrap_or(0),
                None => {
                    groups.push(Vec::new());
                    groups.len() - 1
                }
            };
            if let Some(list) = groups.get_mut(g) {
                list.push(i);
            }
            group_of.insert(i, g);
            stack.push(i);
        }
        let mut found = Found::default();
        for g in &groups {
            let fs: Vec<usize> = focused
                .iter()
                .copied()
                .filter(|&f| g.iter().any(|&i| dim.meet(i, f)))
                .collect();
            let first = fs.len();
            let members: Vec<Option<usize>> = fs.iter().chain(g).map(|&i| Some(i)).collect();
            // Only cells with a neighbour of this group: the others come
            // from the pass below.
            self.collect(surface, what, dim, &members, validity, &mut found, &|m| {
                m.iter().any(|&l| l >= first)
            });
        }
        // Strings no neighbour matches: the neighbours as one pattern.
        let mut members: Vec<Option<usize>> = focused.iter().map(|&i| Some(i)).collect();
        if !near.is_empty() {
            members.push(None);
        }
        let union: Vec<usize> = near;
        found.union = union;
        let union_at = focused.len();
        self.collect(surface, what, dim, &members, validity, &mut found, &|m| {
            !m.contains(&union_at)
        });
        Some(found.cells)
    }

    /// Adds to `found` the cells of the patterns `members` (indices into
    /// `dim`; `None` stands for the union of `found.union`) that match a
    /// focused pattern and pass `keep` (on local indices); records an
    /// unknown past the budget.
    #[allow(clippy::too_many_arguments)]
    fn collect(
        &mut self,
        surface: Surface,
        what: &str,
        dim: &Dim,
        members: &[Option<usize>],
        validity: &str,
        found: &mut Found,
        keep: &dyn Fn(&[usize]) -> bool,
    ) {
        let regexes: Vec<String> = members
            .iter()
            .map(|m| match m {
                Some(i) => dim.regexes[*i].clone(),
                None => found
                    .union
                    .iter()
                    .map(|&i| format!("(?:{})", dim.regexes[i]))
                    .collect::<Vec<_>>()
                    .join("|"),
            })
            .collect();
        let focus: Vec<bool> = members
            .iter()
            .map(|m| m.is_some_and(|i| dim.focus[i]))
            .collect();
        match strings::cells(
            &regexes,
            Focus::Some(&focus),
            validity,
            self.opts.dfa_budget,
        ) {
            Ok(cells) => {
                for c in cells {
                    if !keep(&c.matched) {
                        continue;
                    }
                    let mut global: Vec<usize> =
                        c.matched.iter().filter_map(|&l| members[l]).collect();
                    global.sort_unstable();
                    let Ok(witness) = String::from_utf8(c.witness) else {
                        continue;
                    };
                    if !found.seen.insert(global.clone()) {
                        continue;
                    }
                    let names: Vec<String> = global.iter().map(|&i| dim.texts[i].clone()).collect();
                    found.cells.push(StrCell {
                        witness,
                        what: listed(what, &names),
                        matched: global,
                    });
                }
            }
            Err(strings::TooLarge) => {
                let shown: Vec<&String> = members
                    .iter()
                    .flatten()
                    .take(3)
                    .map(|&i| &dim.texts[i])
                    .collect();
                self.unknown(
                    surface,
                    format!(
                        "{what}s near {shown:?}: their automaton exceeds {} bytes",
                        self.opts.dfa_budget
                    ),
                );
            }
        }
    }

    fn network(&mut self) {
        let (o, n) = (self.old.checked, self.new.checked);
        let Some(ch) = changed(o, n, Surface::Network) else {
            return;
        };
        let s = Surface::Network;
        let mut doms: Pats<DomainPattern> = Pats::new();
        let mut nets: Pats<IpNet> = Pats::new();
        let mut ports: Vec<(u128, u128)> = Vec::new();
        let mut restricting_v4 = false;
        let mut net_changed = false;
        let mut http_blocks = false;
        for (side, p) in [o, n].into_iter().enumerate() {
            for (i, r) in p.rules.iter().enumerate() {
                let f = ch.rule(side, i);
                match &r.kind {
                    RuleKind::Network { targets, ports: ps } => {
                        for t in targets {
                            match t {
                                NetTarget::Domain(d) => {
                                    doms.add(d, f);
                                }
                                NetTarget::Net(net) => {
                                    nets.add(net, f);
                                    net_changed |= f;
                                    restricting_v4 |=
                                        matches!(net, IpNet::V4(_)) && r.effect != Effect::Allow;
                                }
                            }
                        }
                        for &(a, b) in ps.iter().flatten() {
                            ports.push((u128::from(a), u128::from(b)));
                        }
                    }
                    RuleKind::Http { .. } | RuleKind::HttpBlock { .. } => http_blocks = true,
                    _ => {}
                }
            }
        }
        if http_blocks {
            self.unknown_in(
                s,
                Scope::Http,
                "requests with a method and path to hosts of `http` blocks: analysed as connections only"
                    .to_string(),
            );
        }
        if restricting_v4 && (net_changed || ch.all) {
            self.unknown_in(s, Scope::EmbeddedIpv4, EMBEDDED.to_string());
        }
        let ports = port_cells(&ports);
        let Some(hosts) = self.host_cells(s, &doms, ch.all) else {
            return;
        };
        let ips = ip_cells(&nets, ch.all, &[]);
        let focused_ips: Vec<&IpCell> = ips.iter().filter(|c| c.focused).collect();
        let singles = (hosts.len() + focused_ips.len()) * ports.len();
        if !self.room(s, singles, "network requests") {
            return;
        }
        let net = |host: Option<&String>, ip: Option<&String>, port: Option<u32>| Req::Network {
            host: host.cloned(),
            ip: ip.cloned(),
            port,
            http: None,
        };
        let mut probes: Vec<Probe> = Vec::new();
        for h in &hosts {
            for &(p, part) in &ports {
                probes
                    .push(Probe::new(s, h.what.clone(), net(Some(&h.witness), None, p)).port(part));
            }
        }
        for c in &focused_ips {
            for &(p, part) in &ports {
                probes
                    .push(Probe::new(s, c.what.clone(), net(None, Some(&c.witness), p)).port(part));
            }
        }
        // Requests naming both: the union of the host's and the address's
        // rules decides, so each changed part meets one address (host) of
        // every kind the other side's cells decide alike.
        if !hosts.is_empty() {
            let reps = self.reps(
                ips.iter().map(|c| (c.what.clone(), c.witness.clone())),
                &ports,
                |w, p| net(None, Some(&w.to_string()), p),
            );
            if self.room(
                s,
                hosts.len() * reps.len() * ports.len(),
                "requests naming host and ip",
            ) {
                for h in &hosts {
                    for (rw, rwit) in &reps {
                        for &(p, part) in &ports {
                            let what = format!("{} with an {rw}", h.what);
                            let req = net(Some(&h.witness), Some(rwit), p);
                            probes.push(Probe::new(s, what, req).port(part).part(&h.what));
                        }
                    }
                }
            }
        }
        if !focused_ips.is_empty() {
            if let Some(all_hosts) = self.host_cells(s, &doms, true) {
                let reps = self.reps(
                    all_hosts
                        .iter()
                        .map(|c| (c.what.clone(), c.witness.clone())),
                    &ports,
                    |w, p| net(Some(&w.to_string()), None, p),
                );
                if self.room(
                    s,
                    focused_ips.len() * reps.len() * ports.len(),
                    "requests naming host and ip",
                ) {
                    for c in &focused_ips {
                        for (rw, rwit) in &reps {
                            for &(p, part) in &ports {
                                let what = format!("{} with a {rw}", c.what);
                                let req = net(Some(rwit), Some(&c.witness), p);
                                probes.push(Probe::new(s, what, req).port(part).part(&c.what));
                            }
                        }
                    }
                }
            }
        }
        self.probes.extend(probes);
    }

    /// One representative of each class of `cells` that both policies
    /// decide alike (effect and deciding rule, none for the default) at
    /// every port: with the other part of a request, these decide the
    /// union's outcome (`spec/language.md` section 6).
    fn reps(
        &self,
        cells: impl Iterator<Item = (String, String)>,
        ports: &[(Option<u32>, PortCell)],
        req: impl Fn(&str, Option<u32>) -> Req,
    ) -> Vec<(String, String)> {
        let roots = self.roots();
        let ctx = context(&roots);
        let mut seen: HashSet<Vec<(Effect, Option<u32>)>> = HashSet::new();
        let mut out = Vec::new();
        for (what, w) in cells {
            let mut key = Vec::with_capacity(ports.len() * 2);
            for (p, _) in ports {
                let r = req(&w, *p);
                for side in self.sides() {
                    let d = side.policy.decide(&r.as_request(), &ctx);
                    key.push((d.effect, d.rule));
                }
            }
            if seen.insert(key) {
                out.push((what, w));
            }
        }
        out
    }

    fn roots(&self) -> Vec<(&str, &str)> {
        pairs(&self.opts.roots)
    }

    fn filesystem(&mut self) {
        let (o, n) = (self.old.checked, self.new.checked);
        let Some(ch) = changed(o, n, Surface::Filesystem) else {
            return;
        };
        let s = Surface::Filesystem;
        let mut pats: Pats<PathPattern> = Pats::new();
        for (side, p) in [o, n].into_iter().enumerate() {
            for (i, r) in p.rules.iter().enumerate() {
                if let RuleKind::Filesystem { paths, .. } = &r.kind {
                    for path in paths {
                        pats.add(path, ch.rule(side, i));
                    }
                }
            }
        }
        let root = |name: &str| -> Option<String> {
            if name.is_empty() {
                return Some("/".to_string());
            }
            self.opts
                .roots
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
        };
        let mut dim = Dim::default();
        for (p, &f) in pats.items.iter().zip(&pats.focus) {
            let Some(r) = root(&p.root) else {
                self.unknown(
                    s,
                    format!(
                        "paths of `{}`: root `{}` is not bound",
                        path_text(p),
                        p.root
                    ),
                );
                continue;
            };
            let Some(re) = space::path_regex(p, &r) else {
                continue;
            };
            let suffix = if p.glob.is_empty() {
                r.clone()
            } else {
                space::literal_suffix(&p.glob).to_string()
            };
            dim.push(
                path_text(p),
                re,
                f,
                (space::path_literal_prefix(p, &r), suffix),
            );
        }
        let Some(cells) = self.region_cells(s, "path", &dim, ch.all, space::PATH_VALIDITY) else {
            return;
        };
        if !self.room(s, cells.len() * 3, "filesystem requests") {
            return;
        }
        for c in cells {
            for access in Access::ALL {
                let word = access.as_str().unwrap_or_default();
                self.probe(
                    s,
                    format!("{}, {word}", c.what),
                    Req::Filesystem {
                        path: c.witness.clone(),
                        access,
                    },
                );
            }
        }
    }

    fn credentials(&mut self) {
        let (o, n) = (self.old.checked, self.new.checked);
        let Some(ch) = changed(o, n, Surface::Credential) else {
            return;
        };
        let s = Surface::Credential;
        let mut names: Pats<String> = Pats::new();
        // Pattern index -> the rules (side, index) naming it.
        let mut rules_of: Vec<Vec<(usize, usize)>> = Vec::new();
        for (side, p) in [o, n].into_iter().enumerate() {
            for (i, r) in p.rules.iter().enumerate() {
                if let RuleKind::Credential { names: ns, .. } = &r.kind {
                    for name in ns {
                        let k = names.add(name, ch.rule(side, i));
                        if rules_of.len() <= k {
                            rules_of.push(Vec::new());
                        }
                        rules_of[k].push((side, i));
                    }
                }
            }
        }
        let mut dim = Dim::default();
        let mut index = Vec::new();
        for (k, (x, &f)) in names.items.iter().zip(&names.focus).enumerate() {
            let Some(re) = space::name_regex(x) else {
                continue;
            };
            let (pre, suf) = name_ends(x);
            dim.push(x.clone(), re, f, (pre.to_string(), suf.to_string()));
            index.push(k);
        }
        let Some(cells) = self.region_cells(s, "secret", &dim, ch.all, space::NAME_VALIDITY) else {
            return;
        };
        let net_changed = [o, n].iter().enumerate().any(|(side, p)| {
            p.rules.iter().enumerate().any(|(i, r)| {
                ch.rule(side, i)
                    && matches!(&r.kind, RuleKind::Credential { destinations: Some(ds), .. }
                        if ds.iter().any(|d| matches!(d, NetTarget::Net(_))))
            })
        });
        if net_changed {
            self.unknown_in(s, Scope::EmbeddedIpv4, EMBEDDED.to_string());
        }
        let locals = local_nets();
        for cell in cells {
            let (name, what) = (cell.witness, cell.what);
            // The destinations of every rule naming this cell's secrets.
            let mut doms: Pats<DomainPattern> = Pats::new();
            let mut nets: Pats<IpNet> = Pats::new();
            for &i in &cell.matched {
                let Some(&k) = index.get(i) else { continue };
                for &(side, r) in rules_of.get(k).into_iter().flatten() {
                    let p = [o, n][side];
                    if let Some(RuleKind::Credential {
                        destinations: Some(ds),
                        ..
                    }) = p.rules.get(r).map(|r| &r.kind)
                    {
                        for d in ds {
                            match d {
                                NetTarget::Domain(d) => {
                                    doms.add(d, true);
                                }
                                NetTarget::Net(net) => {
                                    nets.add(net, true);
                                }
                            }
                        }
                    }
                }
            }
            let Some(hosts) = self.host_cells(s, &doms, true) else {
                continue;
            };
            let ips = ip_cells(&nets, true, &locals);
            let total = 1 + hosts.len() + ips.len() + hosts.len() * ips.len();
            if !self.room(s, total, "credential requests") {
                return;
            }
            self.probe(
                s,
                format!("see {what}"),
                Req::Credential {
                    name: name.clone(),
                    host: None,
                    ip: None,
                },
            );
            for h in &hosts {
                self.probe(
                    s,
                    format!("send {what} to {}", h.what),
                    Req::Credential {
                        name: name.clone(),
                        host: Some(h.witness.clone()),
                        ip: None,
                    },
                );
                for c in &ips {
                    let part = format!("send {what} to {}", h.what);
                    let req = Req::Credential {
                        name: name.clone(),
                        host: Some(h.witness.clone()),
                        ip: Some(c.witness.clone()),
                    };
                    let what = format!("{part} with an {}", c.what);
                    self.probes.push(Probe::new(s, what, req).part(&part));
                }
            }
            for c in &ips {
                self.probe(
                    s,
                    format!("send {what} to an {}", c.what),
                    Req::Credential {
                        name: name.clone(),
                        host: None,
                        ip: Some(c.witness.clone()),
                    },
                );
            }
            // An IP-literal host is an address too: a send naming one and an
            // ip is decided by both addresses, so each address cell meets a
            // literal host of every kind the address cells decide alike.
            if ips.is_empty() {
                continue;
            }
            let literal = |w: &str, _: Option<u32>| Req::Credential {
                name: name.clone(),
                host: Some(w.to_string()),
                ip: None,
            };
            let reps = self.reps(
                ips.iter().map(|c| (c.what.clone(), c.witness.clone())),
                &[(None, PortCell::Any)],
                literal,
            );
            if !self.room(s, ips.len() * reps.len(), "credential requests") {
                return;
            }
            for c in &ips {
                for (rw, rwit) in &reps {
                    let part = format!("send {what} to an {}", c.what);
                    let req = Req::Credential {
                        name: name.clone(),
                        host: Some(rwit.clone()),
                        ip: Some(c.witness.clone()),
                    };
                    let what = format!("{part} and an IP-literal host, {rw}");
                    self.probes.push(Probe::new(s, what, req).part(&part));
                }
            }
        }
    }

    fn mcp(&mut self) {
        let (o, n) = (self.old.checked, self.new.checked);
        let Some(ch) = changed(o, n, Surface::Mcp) else {
            return;
        };
        let s = Surface::Mcp;
        let mut servers: BTreeMap<String, Server> = BTreeMap::new();
        for (side, p) in [o, n].into_iter().enumerate() {
            for d in &p.servers {
                let e = servers.entry(d.name.clone()).or_insert_with(Server::new);
                // A changed approval (or source) changes every call.
                e.all |= ch.rule(side, d.rule);
                if let Some(src) = &d.source {
                    if !e.sources.contains(src) {
                        e.sources.push(src.clone());
                    }
                }
            }
            for (i, r) in p.rules.iter().enumerate() {
                if let RuleKind::Tool {
                    server,
                    kind,
                    tools,
                    args,
                    pins,
                } = &r.kind
                {
                    let Some(d) = p.servers.get(*server) else {
                        continue;
                    };
                    let e = servers.entry(d.name.clone()).or_insert_with(Server::new);
                    let f = ch.rule(side, i);
                    e.focused |= f;
                    e.constrained |= !args.is_empty() || !pins.is_empty();
                    for t in tools {
                        e.pats[*kind as usize].add(t, f);
                    }
                }
            }
        }
        let kinds = [
            (McpKind::Tool, "tool", space::NAME_VALIDITY),
            (McpKind::Resource, "resource", space::URI_VALIDITY),
            (McpKind::Prompt, "prompt", space::NAME_VALIDITY),
        ];
        let mut probes: Vec<(String, Req)> = Vec::new();
        for (name, server) in &servers {
            if !server.focused && !server.all {
                continue;
            }
            if server.constrained {
                self.unknown_in(
                    s,
                    Scope::ToolInputs(name.clone()),
                    format!("calls of server `{name}` with arguments or tool definitions (rules with `where` or `pinned`): analysed without them only"),
                );
            }
            let mut targets: Vec<(String, Option<(McpKind, String)>)> = vec![(String::new(), None)];
            for (kind, word, validity) in kinds {
                let pats = &server.pats[kind as usize];
                let mut dim = Dim::default();
                for (t, &f) in pats.items.iter().zip(&pats.focus) {
                    let Some(re) = space::name_regex(t) else {
                        continue;
                    };
                    let (pre, suf) = name_ends(t);
                    dim.push(t.clone(), re, f, (pre.to_string(), suf.to_string()));
                }
                let Some(cells) = self.region_cells(s, word, &dim, server.all, validity) else {
                    continue;
                };
                for c in cells {
                    targets.push((format!(", {}", c.what), Some((kind, c.witness))));
                }
            }
            let sources = &server.sources;
            let mut srcs: Vec<(String, Option<String>)> = sources
                .iter()
                .map(|x| (format!("source `{x}`"), Some(x.clone())))
                .collect();
            let mut other = "example.invalid/another-source".to_string();
            while sources.contains(&other) {
                other.push('x');
            }
            srcs.push(("another source".to_string(), Some(other)));
            srcs.push(("no source".to_string(), None));
            for (st, src) in &srcs {
                for (tt, target) in &targets {
                    probes.push((
                        format!("server `{name}` with {st}{tt}"),
                        request::mcp(name, src.as_deref(), target.as_ref()),
                    ));
                }
            }
        }
        if ch.all {
            let mut name = "unlisted-server".to_string();
            while servers.contains_key(&name) {
                name.push('x');
            }
            for target in [None, Some((McpKind::Tool, "a".to_string()))] {
                probes.push((
                    "a server neither policy approves".to_string(),
                    request::mcp(&name, None, target.as_ref()),
                ));
            }
        }
        if self.room(s, probes.len(), "MCP requests") {
            for (what, req) in probes {
                self.probe(s, what, req);
            }
        }
    }

    /// Decides every probe with both compiled policies, groups the changed
    /// ones, and checks each cell's witness with the reference interpreter.
    fn finish(mut self) -> Result<Diff, DiffError> {
        let opts = self.opts;
        let roots = pairs(&opts.roots);
        let ctx = context(&roots);
        let count = self.probes.len();
        // (surface, old, new) -> cell description -> (ports, witness).
        type Cells = BTreeMap<String, (Vec<PortCell>, Req, Option<String>)>;
        type Group = (Surface, Outcome, Outcome, Cells);
        let mut groups: BTreeMap<(u8, String, String), Group> = BTreeMap::new();
        let mut invalid: Vec<Unknown> = Vec::new();
        for p in &self.probes {
            let r = p.req.as_request();
            let (d_old, d_new) = (
                self.old.policy.decide(&r, &ctx),
                self.new.policy.decide(&r, &ctx),
            );
            if matches!(d_old.reason, Reason::Invalid(_))
                || matches!(d_new.reason, Reason::Invalid(_))
            {
                invalid.push(Unknown {
                    surface: p.surface,
                    scope: Scope::Surface,
                    what: format!(
                        "{}: the shortest witness {} is not a canonical request",
                        p.what,
                        witness_json(&p.req, &opts.roots)
                    ),
                });
                continue;
            }
            let (oo, on) = (
                outcome(self.old.policy, &d_old),
                outcome(self.new.policy, &d_new),
            );
            if change_of(&oo, &on).is_none() {
                continue;
            }
            let key = (p.surface as u8, format!("{oo:?}"), format!("{on:?}"));
            let g = groups
                .entry(key)
                .or_insert_with(|| (p.surface, oo, on, BTreeMap::new()));
            let cell =
                g.3.entry(p.what.clone())
                    .or_insert_with(|| (Vec::new(), p.req.clone(), p.part.clone()));
            cell.0.push(p.port);
        }
        for u in invalid {
            self.unknown_in(u.surface, u.scope, u.what);
        }
        let mut classes: Vec<ChangeClass> = Vec::new();
        for (_, (surface, old, new, mut cells)) in groups {
            // A request naming host and ip is shown only at the ports where
            // its changed part alone does not change the same way.
            let singles: HashMap<String, Vec<PortCell>> = cells
                .iter()
                .filter(|(_, c)| c.2.is_none())
                .map(|(w, c)| (w.clone(), c.0.clone()))
                .collect();
            for c in cells.values_mut() {
                if let Some(single) = c.2.as_ref().and_then(|p| singles.get(p)) {
                    c.0.retain(|p| !single.contains(p));
                }
            }
            let cells: Vec<CellChange> = cells
                .into_iter()
                .filter(|(_, c)| !c.0.is_empty())
                .map(|(what, (ports, witness, _))| {
                    let pt = ports_text(&ports);
                    CellChange {
                        what: if pt.is_empty() {
                            what
                        } else {
                            format!("{what}, {pt}")
                        },
                        witness,
                    }
                })
                .collect();
            let change = change_of(&old, &new).unwrap_or(Change::Narrowing);
            classes.push(ChangeClass {
                surface,
                old,
                new,
                change,
                cells,
            });
        }
        // The reference interpreter is a plain loop over every rule: it
        // checks the first witness of each class.
        for class in &classes {
            for cell in class.cells.iter().take(1) {
                let r = cell.witness.as_request();
                for (side, want, label) in
                    [(self.old, &class.old, "old"), (self.new, &class.new, "new")]
                {
                    let d = reference::decide(side.checked, &r, &ctx);
                    let rule = d
                        .rule
                        .and_then(|i| side.checked.rules.get(i as usize))
                        .map(|r| &r.id);
                    if d.effect != want.effect
                        || d.lifetime != want.lifetime
                        || rule != want.rule.as_ref()
                    {
                        let mut detail = String::new();
                        let _ = write!(
                            detail,
                            "the {label} policy's artifact decides {:?} by {:?} (lifetime {:?}), its reference interpreter {:?} by {rule:?} (lifetime {:?})",
                            want.effect, want.rule, want.lifetime, d.effect, d.lifetime
                        );
                        return Err(DiffError {
                            request: witness_json(&cell.witness, &opts.roots).to_string(),
                            detail,
                        });
                    }
                }
            }
        }
        Ok(Diff {
            classes,
            unknown: self.unknown,
            probes: count,
            roots: opts.roots.clone(),
        })
    }
}

/// The literal start and end of a name glob.
pub(super) fn name_ends(x: &str) -> (&str, &str) {
    (space::name_literal_prefix(x), space::literal_suffix(x))
}

/// Borrowed root bindings.
fn pairs(roots: &[(String, String)]) -> Vec<(&str, &str)> {
    roots
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

fn outcome(p: &Policy, d: &Decision) -> Outcome {
    Outcome {
        effect: d.effect,
        rule: d.rule.and_then(|i| p.rule(i)).map(|r| r.id.clone()),
        lifetime: d.lifetime,
    }
}

/// Seconds of a lifetime, the session longest.
fn span(l: Option<Lifetime>) -> u64 {
    match l {
        None => 0,
        Some(Lifetime::Seconds(s)) => u64::from(s),
        Some(Lifetime::Session) => u64::MAX,
    }
}

/// How `old` became `new`, `None` when effect and lifetime are the same.
pub fn change_of(old: &Outcome, new: &Outcome) -> Option<Change> {
    if old.effect != new.effect {
        return Some(if new.effect > old.effect {
            Change::Widening
        } else {
            Change::Narrowing
        });
    }
    if old.lifetime == new.lifetime {
        return None;
    }
    Some(if span(new.lifetime) > span(old.lifetime) {
        Change::Widening
    } else {
        Change::Narrowing
    })
}
