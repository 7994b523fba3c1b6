//! Rules that never decide a request (shadowed, W0111) and rules whose
//! removal changes no decision (redundant, W0112), each with the rules that
//! cover it and a witness request (`spec/analysis.md`, "Rule lints").
//!
//! Each rule's patterns are cut into cells with the patterns that may meet
//! them (the cells of [`mod@super::diff`], one small automaton per pattern and
//! its neighbours; a literal pattern is its own one cell). Every cell's
//! witness, with every port cell or access, is decided by the reference
//! interpreter over the rules that may match it
//! ([`reference::part_outcomes`]): that gives the deciding rule and the
//! decision without it. A rule that decides no witness is shadowed by the
//! rules that decided its witnesses; a rule whose every decided witness
//! keeps its effect (and lifetime) without it is redundant.
//!
//! A rule is reported only when its whole region was analysed: past the
//! neighbour or automaton budget, for `http` rules, for tool rules of a
//! server with `where` or `pinned`, and where a witness's decision depends
//! on what the analysis does not model (an IPv6 address that embeds IPv4,
//! a path matched by a rule of another root), it is left alone.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use policy_eval::json::OwnedRequest as Req;
use policy_eval::Policy;

use super::diff::{ip_cells, name_ends, port_cells, Analysis, Dim, Options, Pats, Side};
use super::request::{context, witness_json};
use super::space;
use super::strings::{self, Focus};
use crate::diag::{Code, Diagnostic};
use crate::model::{
    Access, CheckedPolicy, DomainPattern, DomainText, Effect, McpKind, NetTarget, PathPattern,
    RuleKind, Surface,
};
use crate::reference;

/// Neighbours a non-literal pattern may have (its automaton holds them all:
/// past 64, determinization costs tens of milliseconds and mostly fails
/// the [`DFA_BUDGET`]).
const MAX_GLOB_NEIGHBOURS: usize = 64;
/// Neighbours a literal pattern may have (each a candidate rule).
const MAX_LITERAL_NEIGHBOURS: usize = 4096;
/// Patterns (one and its neighbours) cut by a single automaton rather
/// than by groups.
const MAX_ONE_AUTOMATON: usize = 16;
/// Cell automata one policy's lints may build (about a millisecond each);
/// the rules past it are left alone, so `polc check` stays fast.
const MAX_AUTOMATA: usize = 1000;
/// Patterns the lints' cell automata may hold together (each costs up to
/// about 60 µs of determinization with many neighbours): with
/// [`MAX_AUTOMATA`] it bounds the lints of any policy to about a second.
/// A 1,000-rule policy whose path globs each met 256 others took 16 s
/// under the count alone (50 ms per automaton of 257 patterns).
const MAX_AUTOMATON_PATTERNS: usize = 8_192;
/// Bytes one cell automaton of the lints may take (a sixteenth of a
/// diff's: many are built, and one past the budget costs its whole size).
const DFA_BUDGET: usize = 1 << 16;
/// Witness requests one policy's lints may decide.
const MAX_WITNESSES: usize = 1_000_000;

/// What the lints learnt about one rule.
#[derive(Debug, Default, Clone)]
struct State {
    /// Its whole region was enumerated.
    analysed: bool,
    /// Some witness depends on what the analysis does not model.
    unknown: bool,
    /// It applied to some witness.
    seen: bool,
    /// It decided some witness.
    decides: bool,
    /// Some witness it decides changes without it.
    needed: bool,
    /// The rules that decided witnesses it applied to but did not decide.
    deciders: BTreeSet<usize>,
    /// The rules that decide its witnesses alike without it.
    coverers: BTreeSet<usize>,
    /// The default decides some of its witnesses alike without it.
    by_default: bool,
    /// A witness it applied to and did not decide, with the decider.
    shadow_example: Option<(String, usize)>,
    /// A witness it decided, with the rule deciding it alike without it.
    cover_example: Option<(String, Option<usize>)>,
}

/// A rule the lints report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's index.
    pub rule: usize,
    /// Shadowed (never decides) rather than redundant.
    pub shadowed: bool,
    /// The covering rules: those deciding its requests (shadowed), or
    /// deciding them alike without it (redundant).
    pub by: Vec<usize>,
    /// The default decides some of its requests alike without it.
    pub default: bool,
    /// A witness request (JSON, as `polc eval` reads it).
    pub witness: String,
}

/// Roots bound to fresh directories no other root or absolute pattern
/// names, so a finding does not rest on where a root happens to be.
fn fresh_roots(p: &CheckedPolicy) -> Vec<(String, String)> {
    p.roots
        .iter()
        .map(|r| (r.clone(), format!("/polc-lint-root/{r}")))
        .collect()
}

/// Every shadowed and redundant rule of `checked` (compiled as `policy`).
pub fn findings(checked: &CheckedPolicy, policy: &Policy) -> Vec<Finding> {
    let mut opts = Options::for_policies(checked, checked);
    opts.roots = fresh_roots(checked);
    opts.dfa_budget = DFA_BUDGET;
    let side = Side { checked, policy };
    let mut c = Cover {
        checked,
        an: Analysis::new(side, side, &opts),
        states: vec![State::default(); checked.rules.len()],
        done: HashSet::new(),
        roots: opts.roots.clone(),
        witnesses: 0,
        automata: 0,
        fed: 0,
        servers: reference::servers_by_name(checked),
    };
    c.network();
    c.filesystem();
    c.credentials();
    c.mcp();
    c.report()
}

/// The W0111 and W0112 diagnostics of a policy.
pub fn lint(checked: &CheckedPolicy, policy: &Policy) -> Vec<Diagnostic> {
    let ids = |v: &[usize]| -> String {
        let mut list: Vec<String> = v
            .iter()
            .take(5)
            .filter_map(|&i| checked.rules.get(i))
            .map(|r| format!("`{}` (line {})", r.id, r.line))
            .collect();
        if v.len() > 5 {
            list.push(format!("{} more", v.len() - 5));
        }
        list.join(", ")
    };
    findings(checked, policy)
        .into_iter()
        .filter_map(|f| {
            let r = checked.rules.get(f.rule)?;
            Some(if f.shadowed {
                Diagnostic::new(
                    Code::Shadowed,
                    r.span,
                    format!(
                        "rule `{}` never decides a request: every request it matches is decided by {}",
                        r.id,
                        ids(&f.by)
                    ),
                )
                .with_help(format!(
                    "remove it, or narrow the covering rules; for example {} is decided by {}",
                    f.witness,
                    ids(&f.by[..1.min(f.by.len())])
                ))
            } else {
                let by = match (f.by.is_empty(), f.default) {
                    (false, false) => ids(&f.by),
                    (false, true) => format!("{} or by the default", ids(&f.by)),
                    _ => "the default".to_string(),
                };
                Diagnostic::new(
                    Code::Redundant,
                    r.span,
                    format!(
                        "rule `{}` is redundant: without it every request it decides gets the same decision, from {by}",
                        r.id
                    ),
                )
                .with_help(format!(
                    "remove it, or keep it on purpose and pin it with a test case; for example {}",
                    f.witness
                ))
            })
        })
        .collect()
}

/// The string cells of one pattern: witnesses with the neighbour patterns
/// (indices into the dimension) matching them.
type Cells = Vec<(String, Vec<usize>)>;

/// Patterns of one string dimension with the rules naming each, and an
/// index of their literal prefixes for finding neighbours.
struct Space {
    dim: Dim,
    /// Pattern -> rules naming it.
    rules: Vec<Vec<usize>>,
    /// Pattern -> its literal string, when it has no wildcard.
    literal: Vec<Option<String>>,
    /// Pattern -> its text when its only wildcards are `*` and `**`, for
    /// [`samples`].
    sample: Vec<Option<String>>,
    /// Literal prefixes, sorted, with their patterns.
    sorted: Vec<(String, usize)>,
    /// Literal prefix -> patterns.
    by_prefix: HashMap<String, Vec<usize>>,
    /// Name globs (a `*` matches any run of characters).
    names: bool,
}

impl Space {
    fn new() -> Space {
        Space {
            dim: Dim::default(),
            rules: Vec::new(),
            literal: Vec::new(),
            sample: Vec::new(),
            sorted: Vec::new(),
            by_prefix: HashMap::new(),
            names: false,
        }
    }

    /// Adds a pattern (its key's first part is the literal prefix its
    /// strings start with).
    fn push(
        &mut self,
        text: String,
        regex: String,
        key: (String, String),
        literal: Option<String>,
        rules: Vec<usize>,
    ) {
        let i = self.dim.len();
        let sample = (!text.contains(['?', '[', '{', '\\'])).then(|| text.clone());
        self.sample.push(sample);
        self.by_prefix.entry(key.0.clone()).or_default().push(i);
        self.sorted.push((key.0.clone(), i));
        self.dim.push(text, regex, false, key);
        self.literal.push(literal);
        self.rules.push(rules);
    }

    fn index(&mut self) {
        self.sorted.sort();
    }

    /// The patterns that may meet pattern `k`, or `None` past `cap`.
    fn neighbours(&self, k: usize, cap: usize) -> Option<Vec<usize>> {
        let key = &self.dim.keys[k].0;
        let mut out: Vec<usize> = Vec::new();
        let push = |i: usize, out: &mut Vec<usize>| {
            if i != k && self.dim.meet(i, k) {
                out.push(i);
            }
            out.len() <= cap
        };
        for (end, _) in key.char_indices().chain([(key.len(), ' ')]) {
            for &i in self.by_prefix.get(&key[..end]).into_iter().flatten() {
                if !push(i, &mut out) {
                    return None;
                }
            }
        }
        let from = self
            .sorted
            .partition_point(|(p, _)| p.as_str() < key.as_str());
        for (p, i) in self.sorted.iter().skip(from) {
            if !p.starts_with(key.as_str()) {
                break;
            }
            if p.len() > key.len() && !push(*i, &mut out) {
                return None;
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

/// The lints' walk over one policy.
struct Cover<'a> {
    checked: &'a CheckedPolicy,
    an: Analysis<'a>,
    states: Vec<State>,
    /// Witnesses decided so far (their debug text).
    done: HashSet<String>,
    roots: Vec<(String, String)>,
    witnesses: usize,
    /// Cell automata built so far.
    automata: usize,
    /// Patterns those automata held.
    fed: usize,
    /// Server definitions by name.
    servers: HashMap<String, Vec<usize>>,
}

impl Cover<'_> {
    /// Whether one more cell automaton of `patterns` patterns fits the
    /// budgets ([`MAX_AUTOMATA`], [`MAX_AUTOMATON_PATTERNS`]); if so, it is
    /// counted.
    fn afford(&mut self, patterns: usize) -> bool {
        if self.automata >= MAX_AUTOMATA || self.fed + patterns > MAX_AUTOMATON_PATTERNS {
            return false;
        }
        self.automata += 1;
        self.fed += patterns;
        true
    }

    /// Marks `rules` as left alone.
    fn give_up(&mut self, rules: &[usize]) {
        for &r in rules {
            if let Some(s) = self.states.get_mut(r) {
                s.unknown = true;
            }
        }
    }

    /// The cells of every pattern of `sp`, by units: the patterns of a
    /// small group that meet only each other share one automaton (every
    /// cell of the group at once); any other pattern is its own unit
    /// ([`Cover::cells`]). `None` for a unit whose rules were given up.
    fn units(
        &mut self,
        surface: Surface,
        what: &str,
        sp: &Space,
        validity: &str,
        fits: &dyn Fn(usize, &str) -> bool,
    ) -> Vec<(Vec<usize>, Option<Cells>)> {
        let n = sp.dim.len();
        let near: Vec<Option<Vec<usize>>> = (0..n)
            .map(|k| {
                let cap = if sp.literal[k].is_some() {
                    MAX_LITERAL_NEIGHBOURS
                } else {
                    MAX_GLOB_NEIGHBOURS
                };
                sp.neighbours(k, cap)
            })
            .collect();
        // Groups of patterns linked by meeting (union-find).
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for (k, list) in near.iter().enumerate() {
            for &i in list.iter().flatten() {
                let (a, b) = (root(&mut parent, k), root(&mut parent, i));
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n];
        for k in 0..n {
            let r = root(&mut parent, k);
            groups[r].push(k);
        }
        let mut out = Vec::new();
        let mut done = vec![false; n];
        for g in groups
            .iter()
            .filter(|g| (2..=MAX_ONE_AUTOMATON).contains(&g.len()))
        {
            let whole =
                g.iter().all(|&i| near[i].is_some()) && g.iter().any(|&i| sp.literal[i].is_none());
            if !whole || !self.afford(g.len()) {
                continue;
            }
            let regexes: Vec<String> = g.iter().map(|&i| sp.dim.regexes[i].clone()).collect();
            let Ok(cells) = strings::cells(&regexes, Focus::All, validity, self.an.opts.dfa_budget)
            else {
                continue;
            };
            let cells: Cells = cells
                .into_iter()
                .filter(|c| !c.matched.is_empty())
                .filter_map(|c| {
                    let m = c
                        .matched
                        .iter()
                        .filter_map(|&l| g.get(l).copied())
                        .collect();
                    Some((String::from_utf8(c.witness).ok()?, m))
                })
                .collect();
            for &i in g {
                done[i] = true;
            }
            out.push((g.clone(), Some(cells)));
        }
        for (k, list) in near.into_iter().enumerate() {
            if !done[k] {
                let cells = self.cells(surface, what, sp, k, validity, fits, list);
                out.push((vec![k], cells));
            }
        }
        out
    }

    /// The cells of pattern `k` of `sp`, or `None` (its rules given up)
    /// past a budget. `fits(k, s)` says whether pattern `k` matches `s`: a
    /// pattern without neighbours is one cell, witnessed by its sample
    /// when that fits, without an automaton.
    #[allow(clippy::too_many_arguments)]
    fn cells(
        &mut self,
        surface: Surface,
        what: &str,
        sp: &Space,
        k: usize,
        validity: &str,
        fits: &dyn Fn(usize, &str) -> bool,
        near: Option<Vec<usize>>,
    ) -> Option<Cells> {
        let Some(near) = near else {
            self.give_up(&sp.rules[k]);
            return None;
        };
        if let Some(lit) = &sp.literal[k] {
            let mut all = near;
            all.push(k);
            return Some(vec![(lit.clone(), all)]);
        }
        // Only literal neighbours, or (names) `prefix*` ones for a
        // `prefix*` pattern: each literal is a cell, and so are the strings
        // whose longest `prefix*` pattern is one of the pattern's or its
        // longer neighbours' (one witness each, tested).
        let star = |i: usize| {
            sp.names
                && sp.sample[i]
                    .as_ref()
                    .is_some_and(|t| t.find('*') == Some(t.len() - 1))
        };
        let simple = near
            .iter()
            .all(|&i| sp.literal[i].is_some() || (star(i) && star(k)));
        if let (true, Some(_)) = (simple, &sp.sample[k]) {
            let lits: HashSet<&str> = near
                .iter()
                .filter_map(|&i| sp.literal[i].as_deref())
                .collect();
            let key = |i: usize| sp.dim.keys[i].0.as_str();
            let globs: Vec<usize> = std::iter::once(k)
                .chain(
                    near.iter()
                        .copied()
                        .filter(|&i| sp.literal[i].is_none() && key(i).len() > key(k).len()),
                )
                .collect();
            let mut rests = Vec::new();
            for &g in &globs {
                let longer: Vec<usize> = globs
                    .iter()
                    .copied()
                    .filter(|&m| key(m).len() > key(g).len() && key(m).starts_with(key(g)))
                    .collect();
                let text = sp.sample[g].as_deref().unwrap_or_default();
                let found = samples(text, near.len() + 8).find(|w| {
                    !lits.contains(w.as_str())
                        && fits(k, w)
                        && fits(g, w)
                        && !longer.iter().any(|&m| fits(m, w))
                });
                rests.push(found);
            }
            if let Some(rests) = rests.into_iter().collect::<Option<Vec<String>>>() {
                let mut out: Cells = rests
                    .into_iter()
                    .map(|w| (w, near.iter().copied().chain([k]).collect()))
                    .collect();
                for &i in &near {
                    let Some(l) = sp.literal[i].as_ref().filter(|l| fits(k, l)) else {
                        continue;
                    };
                    let Some(mut m) = sp.neighbours(i, MAX_LITERAL_NEIGHBOURS) else {
                        self.give_up(&sp.rules[k]);
                        return None;
                    };
                    m.push(i);
                    out.push((l.clone(), m));
                }
                return Some(out);
            }
        }
        let members: Vec<usize> = std::iter::once(k).chain(near).collect();
        if !self.afford(members.len()) {
            self.give_up(&sp.rules[k]);
            return None;
        }
        let mut sub = Dim::default();
        for &i in &members {
            sub.push(
                sp.dim.texts[i].clone(),
                sp.dim.regexes[i].clone(),
                i == k,
                sp.dim.keys[i].clone(),
            );
        }
        // Few neighbours: one automaton for all of them.
        if members.len() <= MAX_ONE_AUTOMATON {
            let mask: Vec<bool> = members.iter().map(|&i| i == k).collect();
            let regexes: Vec<String> = members.iter().map(|&i| sp.dim.regexes[i].clone()).collect();
            let Ok(cells) = strings::cells(
                &regexes,
                Focus::Some(&mask),
                validity,
                self.an.opts.dfa_budget,
            ) else {
                self.give_up(&sp.rules[k]);
                return None;
            };
            return Some(
                cells
                    .into_iter()
                    .filter_map(|c| {
                        let m = c
                            .matched
                            .iter()
                            .filter_map(|&l| members.get(l).copied())
                            .collect();
                        Some((String::from_utf8(c.witness).ok()?, m))
                    })
                    .collect(),
            );
        }
        let before = self.an.unknown.len();
        let got = self.an.region_cells(surface, what, &sub, false, validity);
        if self.an.unknown.len() != before {
            self.an.unknown.truncate(before);
            self.give_up(&sp.rules[k]);
            return None;
        }
        let cells = got?
            .into_iter()
            .map(|c| {
                let m = c
                    .matched
                    .iter()
                    .filter_map(|&l| members.get(l).copied())
                    .collect();
                (c.witness, m)
            })
            .collect();
        Some(cells)
    }

    /// Decides `req` over `among` and records what it shows. `foreign`
    /// rules make the witness one the analysis does not model; `default_ok`
    /// says whether the default may stand for a rule (by index, and
    /// whether the part is a send) without a combined request telling
    /// otherwise.
    fn witness(
        &mut self,
        req: &Req,
        among: &[usize],
        foreign: &dyn Fn(usize) -> bool,
        default_ok: &dyn Fn(usize, bool) -> bool,
    ) -> bool {
        let key = format!("{req:?}");
        if self.done.contains(&key) {
            return true;
        }
        self.witnesses += 1;
        if self.witnesses > MAX_WITNESSES {
            return false;
        }
        let roots: Vec<(&str, &str)> = self
            .roots
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let ctx = context(&roots);
        let scope = reference::Scope {
            rules: among,
            servers: &self.servers,
        };
        let Ok(parts) = reference::part_outcomes(self.checked, &req.as_request(), &ctx, &scope)
        else {
            return true;
        };
        let roots_bound = &self.roots;
        let text = || witness_json(req, roots_bound).to_string();
        let send =
            matches!(req, Req::Credential { host, ip, .. } if host.is_some() || ip.is_some());
        for (n, part) in parts.iter().enumerate() {
            if part.applied.iter().any(|&r| foreign(r)) {
                for &r in &part.applied {
                    if let Some(s) = self.states.get_mut(r) {
                        s.unknown = true;
                    }
                }
                continue;
            }
            let w = part.decision.rule.map(|w| w as usize);
            for &r in &part.applied {
                let Some(s) = self.states.get_mut(r) else {
                    continue;
                };
                s.seen = true;
                if let Some(w) = w.filter(|&w| w != r) {
                    s.deciders.insert(w);
                    if s.shadow_example.is_none() {
                        s.shadow_example = Some((text(), w));
                    }
                }
            }
            let Some(w) = w else { continue };
            let alike = part.without.effect == part.decision.effect
                && part.without.lifetime == part.decision.lifetime;
            let by = part.without.rule.map(|x| x as usize);
            // A deny that restates a deny default guards against later
            // allows: it is not called redundant for that.
            let restates = by.is_none() && part.decision.effect == Effect::Deny;
            let ok = alike && !restates && (by.is_some() || default_ok(w, send && n == 0));
            let Some(s) = self.states.get_mut(w) else {
                continue;
            };
            s.decides = true;
            if !ok {
                s.needed = true;
                continue;
            }
            match by {
                Some(x) => {
                    s.coverers.insert(x);
                }
                None => s.by_default = true,
            }
            if s.cover_example.is_none() {
                s.cover_example = Some((text(), by));
            }
        }
        self.done.insert(key);
        true
    }

    /// For each effect (by rank), whether some rule of `surface` passing
    /// `also` has a weaker effect.
    fn weaker(&self, surface: Surface, also: &dyn Fn(&RuleKind) -> bool) -> [bool; 3] {
        let mut out = [false; 3];
        for r in self
            .checked
            .rules
            .iter()
            .filter(|r| r.surface == surface && also(&r.kind))
        {
            for (e, slot) in out.iter_mut().enumerate() {
                *slot |= r.effect as usize > e;
            }
        }
        out
    }

    /// The effect rank of rule `w`.
    fn rank(&self, w: usize) -> usize {
        self.checked.rules.get(w).map_or(0, |r| r.effect as usize)
    }

    fn network(&mut self) {
        let s = Surface::Network;
        let rules = &self.checked.rules;
        let mut doms: Pats<DomainPattern> = Pats::new();
        let mut dom_rules: Vec<Vec<usize>> = Vec::new();
        let mut nets: Pats<IpNet> = Pats::new();
        let mut net_rules: Vec<Vec<usize>> = Vec::new();
        let mut ports: HashMap<usize, Vec<(u128, u128)>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            let RuleKind::Network { targets, ports: ps } = &r.kind else {
                continue;
            };
            for t in targets {
                let (k, list) = match t {
                    NetTarget::Domain(d) => (doms.add(d, false), &mut dom_rules),
                    NetTarget::Net(n) => (nets.add(n, false), &mut net_rules),
                };
                if list.len() <= k {
                    list.push(Vec::new());
                }
                list[k].push(i);
            }
            let ranges = ps
                .iter()
                .flatten()
                .map(|&(a, b)| (u128::from(a), u128::from(b)));
            ports.insert(i, ranges.collect());
        }
        // Combined requests (host and ip) meet the other kind's rules.
        let has_net = |k: &RuleKind| matches!(k, RuleKind::Network { targets, .. } if targets.iter().any(|t| matches!(t, NetTarget::Net(_))));
        let weak_net = self.weaker(s, &has_net);
        let weak_any = self.weaker(s, &|k| matches!(k, RuleKind::Network { .. }));
        let rank: Vec<usize> = (0..rules.len()).map(|w| self.rank(w)).collect();
        let mut sp = Space::new();
        let mut pats: Vec<&DomainPattern> = Vec::new();
        for (k, d) in doms.items.iter().enumerate() {
            let Some(re) = space::domain_regex(d) else {
                let r = dom_rules[k].clone();
                self.give_up(&r);
                continue;
            };
            let literal = (d.prefix.is_empty() && !d.any_depth).then(|| d.anchor.clone());
            sp.push(
                d.text(),
                re,
                (d.anchor.chars().rev().collect(), String::new()),
                literal,
                dom_rules[k].clone(),
            );
            pats.push(d);
        }
        sp.index();
        let port_of = |among: &[usize]| {
            let ranges: Vec<(u128, u128)> = among
                .iter()
                .flat_map(|r| ports.get(r).into_iter().flatten().copied())
                .collect();
            port_cells(&ranges)
        };
        for (ks, cells) in self.units(s, "host", &sp, space::HOST_VALIDITY, &|k, w| {
            pats.get(k).is_some_and(|d| reference::domain_matches(d, w))
        }) {
            let Some(cells) = cells else {
                continue;
            };
            let mut complete = true;
            for (host, matched) in cells {
                let among = rules_of(&sp.rules, &matched);
                for (port, _) in port_of(&among) {
                    let req = Req::Network {
                        host: Some(host.clone()),
                        ip: None,
                        port,
                        http: None,
                    };
                    complete &= self.witness(&req, &among, &|_| false, &|w, _| !weak_net[rank[w]]);
                }
            }
            self.finish(&rules_of(&sp.rules, &ks), complete);
        }
        // Addresses: the nets overlapping each net cut it into cells.
        let mut sorted: Vec<(IpNet, usize)> = nets.items.iter().copied().zip(0..).collect();
        sorted.sort();
        let special: Vec<IpNet> = [
            "::ffff:0:0/96",
            "::/96",
            "64:ff9b::/96",
            "64:ff9b:1::/48",
            "2002::/16",
            "2001::/32",
        ]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
        for (k, net) in nets.items.iter().enumerate() {
            let mut local: Pats<IpNet> = Pats::new();
            local.add(net, true);
            let mut among: Vec<usize> = net_rules[k].clone();
            for len in 0..net.prefix_len() {
                let sup = IpNet::new(net.addr(), len).map(|n| n.trunc());
                if let Some(&k2) = sup.ok().and_then(|n| nets.at.get(&n)) {
                    local.add(&nets.items[k2], false);
                    among.extend(&net_rules[k2]);
                }
            }
            let from = sorted.partition_point(|(n, _)| n < net);
            for &(n, k2) in sorted.iter().skip(from) {
                if !net.contains(&n.network()) {
                    break;
                }
                local.add(&n, false);
                among.extend(&net_rules[k2]);
            }
            among.sort_unstable();
            among.dedup();
            let v4 = matches!(net, IpNet::V4(_));
            let mut complete = true;
            for cell in ip_cells(&local, false, &special) {
                let Ok(addr) = cell.witness.parse::<IpAddr>() else {
                    continue;
                };
                if !cell.focused || addr.is_ipv4() != v4 {
                    continue;
                }
                if let IpAddr::V6(a) = addr {
                    let mapped =
                        policy_eval::normalize::ip(&cell.witness).map_or(true, |x| x.is_ipv4());
                    if mapped || !policy_eval::addr::embedded_v4(a).as_slice().is_empty() {
                        let r = net_rules[k].clone();
                        self.give_up(&r);
                        continue;
                    }
                }
                for (port, _) in port_of(&among) {
                    let req = Req::Network {
                        host: None,
                        ip: Some(cell.witness.clone()),
                        port,
                        http: None,
                    };
                    complete &= self.witness(&req, &among, &|_| false, &|w, _| !weak_any[rank[w]]);
                }
            }
            self.finish(&net_rules[k], complete);
        }
    }

    /// Marks `rules` analysed for one pattern (all their patterns must be).
    fn finish(&mut self, rules: &[usize], complete: bool) {
        for &r in rules {
            if let Some(s) = self.states.get_mut(r) {
                s.analysed = true;
                s.unknown |= !complete;
            }
        }
    }

    fn filesystem(&mut self) {
        let s = Surface::Filesystem;
        let rules = &self.checked.rules;
        let mut pats: Pats<PathPattern> = Pats::new();
        let mut of: Vec<Vec<usize>> = Vec::new();
        // Rule -> the roots its patterns are under.
        let mut spaces: HashMap<usize, BTreeSet<String>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            let RuleKind::Filesystem { paths, .. } = &r.kind else {
                continue;
            };
            for p in paths {
                let k = pats.add(p, false);
                if of.len() <= k {
                    of.push(Vec::new());
                }
                of[k].push(i);
                spaces.entry(i).or_default().insert(p.root.clone());
            }
        }
        // A policy needs every root it names bound, so the only rule naming
        // a root changes which requests are valid: left alone.
        let mut users: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, set) in &spaces {
            for r in set.iter().filter(|r| !r.is_empty()) {
                users.entry(r.as_str()).or_default().push(*i);
            }
        }
        let sole: Vec<usize> = users
            .values()
            .filter(|u| u.len() == 1)
            .flatten()
            .copied()
            .collect();
        self.give_up(&sole);
        // Effect rank -> the roots of the patterns of weaker rules.
        let mut weaker_roots: [BTreeSet<String>; 3] = Default::default();
        for (i, set) in &spaces {
            let e = self.rank(*i);
            for (rank, slot) in weaker_roots.iter_mut().enumerate() {
                if e > rank {
                    slot.extend(set.iter().cloned());
                }
            }
        }
        let default_ok: Vec<bool> = (0..rules.len())
            .map(|w| match spaces.get(&w) {
                Some(mine) if mine.len() == 1 => weaker_roots[self.rank(w)].is_subset(mine),
                _ => false,
            })
            .collect();
        let roots = self.roots.clone();
        let mut fit_roots = roots.clone();
        fit_roots.push((String::new(), "/".to_string()));
        let bound = |name: &str| -> Option<String> {
            if name.is_empty() {
                return Some("/".to_string());
            }
            roots
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
        };
        let mut sp = Space::new();
        let mut in_space: Vec<&PathPattern> = Vec::new();
        for (k, p) in pats.items.iter().enumerate() {
            let Some(r) = bound(&p.root) else {
                let rs = of[k].clone();
                self.give_up(&rs);
                continue;
            };
            let Some(re) = space::path_regex(p, &r) else {
                let rs = of[k].clone();
                self.give_up(&rs);
                continue;
            };
            let suffix = if p.glob.is_empty() {
                r.clone()
            } else {
                space::literal_suffix(&p.glob).to_string()
            };
            let literal = !p.glob.contains(['*', '?', '[', '{', '\\']);
            let full = match (r.as_str(), p.glob.is_empty()) {
                (r, true) => r.to_string(),
                ("/", false) => format!("/{}", p.glob),
                (r, false) => format!("{r}/{}", p.glob),
            };
            let literal = literal.then(|| full.clone());
            sp.push(
                full,
                re,
                (space::path_literal_prefix(p, &r), suffix),
                literal,
                of[k].clone(),
            );
            in_space.push(p);
        }
        sp.index();
        for (ks, cells) in self.units(s, "path", &sp, space::PATH_VALIDITY, &|k, w| {
            in_space
                .get(k)
                .is_some_and(|p| reference::path_matches(p, w, &fit_roots))
        }) {
            let Some(cells) = cells else {
                continue;
            };
            let mut complete = true;
            for (path, matched) in cells {
                let among = rules_of(&sp.rules, &matched);
                // The root the path lies under ("" for none): a rule with a
                // pattern elsewhere makes the witness depend on bindings.
                let root = self
                    .roots
                    .iter()
                    .find(|(_, b)| path == *b || path.starts_with(&format!("{b}/")))
                    .map_or(String::new(), |(n, _)| n.clone());
                let foreign = |r: usize| {
                    spaces
                        .get(&r)
                        .is_some_and(|set| set.iter().any(|x| *x != root))
                };
                for access in [Access::READ, Access::WRITE] {
                    let req = Req::Filesystem {
                        path: path.clone(),
                        access,
                    };
                    complete &= self.witness(&req, &among, &foreign, &|w, _| default_ok[w]);
                }
            }
            self.finish(&rules_of(&sp.rules, &ks), complete);
        }
    }

    fn credentials(&mut self) {
        let s = Surface::Credential;
        let rules = &self.checked.rules;
        let mut names: Pats<String> = Pats::new();
        let mut of: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let RuleKind::Credential { names: ns, .. } = &r.kind else {
                continue;
            };
            for n in ns {
                let k = names.add(n, false);
                if of.len() <= k {
                    of.push(Vec::new());
                }
                of[k].push(i);
            }
        }
        let sends = |k: &RuleKind| {
            matches!(
                k,
                RuleKind::Credential {
                    destinations: Some(_),
                    ..
                }
            )
        };
        let weak_send = self.weaker(s, &sends);
        let rank: Vec<usize> = (0..rules.len()).map(|w| self.rank(w)).collect();
        let (sp, dropped) = names_space(&names, &of);
        self.give_up(&dropped);
        let locals = super::diff::local_nets();
        let mut host_memo: HashMap<Vec<String>, Option<Vec<String>>> = HashMap::new();
        for (ks, cells) in self.units(s, "secret", &sp, space::NAME_VALIDITY, &name_fits(&sp)) {
            let Some(cells) = cells else {
                continue;
            };
            let mut complete = true;
            for (name, matched) in cells {
                let among = rules_of(&sp.rules, &matched);
                let mut doms: Pats<DomainPattern> = Pats::new();
                let mut nets: Pats<IpNet> = Pats::new();
                for &r in &among {
                    if let Some(RuleKind::Credential {
                        destinations: Some(ds),
                        ..
                    }) = rules.get(r).map(|r| &r.kind)
                    {
                        for d in ds {
                            match d {
                                NetTarget::Domain(d) => {
                                    doms.add(d, true);
                                }
                                NetTarget::Net(n) => {
                                    nets.add(n, true);
                                }
                            }
                        }
                    }
                }
                let mut reqs = vec![Req::Credential {
                    name: name.clone(),
                    host: None,
                    ip: None,
                }];
                // Host cells of the same destinations: built once.
                let mut key: Vec<String> = doms.items.iter().map(DomainText::text).collect();
                key.sort();
                let hosts: Option<Vec<String>> = if doms.items.is_empty() {
                    None
                } else if let Some(h) = host_memo.get(&key) {
                    h.clone()
                } else if doms
                    .items
                    .iter()
                    .all(|d| d.prefix.is_empty() && !d.any_depth)
                {
                    // Literal hosts: each is a cell, and one host none of
                    // them names is the rest.
                    let mut other = "polc-lint.invalid".to_string();
                    while key.contains(&other) {
                        other.insert(0, 'x');
                    }
                    Some(key.iter().cloned().chain([other]).collect())
                } else if !self.afford(doms.items.len()) {
                    None
                } else {
                    let before = self.an.unknown.len();
                    let got = self.an.host_cells(s, &doms, true);
                    let got = if self.an.unknown.len() != before {
                        self.an.unknown.truncate(before);
                        None
                    } else {
                        got.map(|cells| cells.into_iter().map(|c| c.witness).collect())
                    };
                    host_memo.insert(key, got.clone());
                    got
                };
                complete &= doms.items.is_empty() || hosts.is_some();
                for h in hosts.into_iter().flatten() {
                    reqs.push(Req::Credential {
                        name: name.clone(),
                        host: Some(h),
                        ip: None,
                    });
                }
                // Without address rules a send's decision depends only on
                // whether the address is local: one of each.
                let cells = if nets.items.is_empty() {
                    ["127.0.0.1", "192.0.2.1"].map(|a| a.to_string()).to_vec()
                } else {
                    ip_cells(&nets, true, &locals)
                        .into_iter()
                        .map(|c| c.witness)
                        .collect()
                };
                if doms.items.is_empty() {
                    reqs.push(Req::Credential {
                        name: name.clone(),
                        host: Some("a.example".to_string()),
                        ip: None,
                    });
                }
                for witness in cells {
                    let embeds = match witness.parse::<IpAddr>() {
                        Ok(IpAddr::V6(a)) => {
                            !policy_eval::addr::embedded_v4(a).as_slice().is_empty()
                        }
                        _ => false,
                    };
                    if embeds {
                        // Sends to addresses embedding IPv4: left alone.
                        if !nets.items.is_empty() {
                            complete = false;
                        }
                        continue;
                    }
                    reqs.push(Req::Credential {
                        name: name.clone(),
                        host: None,
                        ip: Some(witness),
                    });
                }
                for req in &reqs {
                    complete &= self.witness(req, &among, &|_| false, &|w, send| {
                        !send || !weak_send[rank[w]]
                    });
                }
            }
            self.finish(&rules_of(&sp.rules, &ks), complete);
        }
    }

    fn mcp(&mut self) {
        let s = Surface::Mcp;
        let checked = self.checked;
        // (server, kind) -> its rules.
        let mut groups: HashMap<(usize, McpKind), Vec<usize>> = HashMap::new();
        for (i, r) in checked.rules.iter().enumerate() {
            if let RuleKind::Tool { server, kind, .. } = &r.kind {
                groups.entry((*server, *kind)).or_default().push(i);
            }
        }
        let mut keys: Vec<(usize, McpKind)> = groups.keys().copied().collect();
        keys.sort_by_key(|&(d, k)| (d, k as usize));
        for (d, kind) in keys {
            let Some(def) = checked.servers.get(d) else {
                continue;
            };
            let (word, validity) = match kind {
                McpKind::Tool => ("tool", space::NAME_VALIDITY),
                McpKind::Resource => ("resource", space::URI_VALIDITY),
                McpKind::Prompt => ("prompt", space::NAME_VALIDITY),
            };
            let all = groups.remove(&(d, kind)).unwrap_or_default();
            let mut names: Pats<String> = Pats::new();
            let mut of: Vec<Vec<usize>> = Vec::new();
            let mut constrained = false;
            for &i in &all {
                let Some(RuleKind::Tool {
                    tools, args, pins, ..
                }) = checked.rules.get(i).map(|r| &r.kind)
                else {
                    continue;
                };
                constrained |= !args.is_empty() || !pins.is_empty();
                for t in tools {
                    let k = names.add(t, false);
                    if of.len() <= k {
                        of.push(Vec::new());
                    }
                    of[k].push(i);
                }
            }
            if constrained {
                self.give_up(&all);
                continue;
            }
            let (sp, dropped) = names_space(&names, &of);
            self.give_up(&dropped);
            for (ks, cells) in self.units(s, word, &sp, validity, &name_fits(&sp)) {
                let Some(cells) = cells else {
                    continue;
                };
                let mut complete = true;
                for (name, matched) in cells {
                    let among = rules_of(&sp.rules, &matched);
                    let req =
                        super::request::mcp(&def.name, def.source.as_deref(), Some(&(kind, name)));
                    complete &= self.witness(&req, &among, &|_| false, &|_, _| true);
                }
                self.finish(&rules_of(&sp.rules, &ks), complete);
            }
        }
    }

    /// The findings, in rule order.
    fn report(&self) -> Vec<Finding> {
        let st = &self.states;
        let reportable = |s: &State| s.analysed && !s.unknown && s.seen;
        let shadowed: Vec<bool> = st.iter().map(|s| reportable(s) && !s.decides).collect();
        let mut out = Vec::new();
        for (i, s) in st.iter().enumerate() {
            if shadowed[i] {
                out.push(Finding {
                    rule: i,
                    shadowed: true,
                    by: s.deciders.iter().copied().collect(),
                    default: false,
                    witness: s
                        .shadow_example
                        .as_ref()
                        .map(|e| e.0.clone())
                        .unwrap_or_default(),
                });
                continue;
            }
            if !reportable(s) || s.needed {
                continue;
            }
            // Two copies of one rule: the later is shadowed, the earlier
            // is not also called redundant because of it.
            if !s.by_default && s.coverers.iter().all(|&c| shadowed.get(c) == Some(&true)) {
                continue;
            }
            out.push(Finding {
                rule: i,
                shadowed: false,
                by: s.coverers.iter().copied().collect(),
                default: s.by_default,
                witness: s
                    .cover_example
                    .as_ref()
                    .map(|e| e.0.clone())
                    .unwrap_or_default(),
            });
        }
        out
    }
}

/// Whether name glob `k` of `sp` matches a string.
fn name_fits(sp: &Space) -> impl Fn(usize, &str) -> bool + '_ {
    |k, w| {
        sp.dim
            .texts
            .get(k)
            .is_some_and(|x| reference::name_matches(x, w))
    }
}

/// Strings of a pattern whose wildcards are `*` and `**`: each wildcard
/// read as `a`, then `b`, ... (`n` of them, all different).
fn samples(text: &str, n: usize) -> impl Iterator<Item = String> + '_ {
    (0..n).map(move |i| {
        let mut fill = String::new();
        let mut x = i;
        loop {
            fill.push(char::from(b'a' + (x % 26) as u8));
            x /= 26;
            if x == 0 {
                break;
            }
        }
        text.replace("**", &fill).replace('*', &fill)
    })
}

/// The rules naming any of `patterns`, ascending.
fn rules_of(rules: &[Vec<usize>], patterns: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = patterns
        .iter()
        .flat_map(|&p| rules.get(p).into_iter().flatten().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The space of name globs (secrets, tools, resources, prompts), and the
/// rules of globs it cannot hold.
fn names_space(names: &Pats<String>, of: &[Vec<usize>]) -> (Space, Vec<usize>) {
    let mut sp = Space::new();
    sp.names = true;
    let mut dropped = Vec::new();
    for (k, x) in names.items.iter().enumerate() {
        let Some(re) = space::name_regex(x) else {
            dropped.extend(of.get(k).into_iter().flatten().copied());
            continue;
        };
        let (pre, suf) = name_ends(x);
        let literal = (pre.len() == x.len()).then(|| x.clone());
        sp.push(
            x.clone(),
            re,
            (pre.to_string(), suf.to_string()),
            literal,
            of.get(k).cloned().unwrap_or_default(),
        );
    }
    sp.index();
    (sp, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (rule id, shadowed, covering rule ids, default) of every finding.
    fn run(src: &str) -> Vec<(String, bool, Vec<String>, bool)> {
        let b = crate::build(src);
        let (Some(c), Some(p)) = (&b.checked, &b.policy) else {
            panic!("{:?}", b.diagnostics);
        };
        let id = |i: usize| c.rules[i].id.clone();
        findings(c, p)
            .into_iter()
            .map(|f| {
                (
                    id(f.rule),
                    f.shadowed,
                    f.by.iter().map(|&i| id(i)).collect(),
                    f.default,
                )
            })
            .collect()
    }

    fn f(
        id: &str,
        shadowed: bool,
        by: &[&str],
        default: bool,
    ) -> (String, bool, Vec<String>, bool) {
        (
            id.to_string(),
            shadowed,
            by.iter().map(|s| s.to_string()).collect(),
            default,
        )
    }

    #[test]
    fn network_rules_covered_by_stricter_earlier_and_broader_rules() {
        let got = run("policy t\nnetwork {\n  a: ask *.example.com\n  b: allow api.example.com port 443\n  c: deny bad.example.com\n  d: deny bad.example.com port 80\n  e: allow 10.1.0.0/16\n  g: allow 10.0.0.0/8\n}\n");
        assert_eq!(
            got,
            vec![
                f("b", true, &["a"], false),
                f("d", true, &["c"], false),
                f("e", false, &["g"], false),
            ]
        );
    }

    #[test]
    fn the_default_covers_a_rule_only_without_a_weaker_rule_of_the_other_part() {
        // `allow` restated by `default allow`: redundant.
        let got = run("policy t\nnetwork {\n  default allow\n  a: allow x.example.com\n}\n");
        assert_eq!(got, vec![f("a", false, &[], true)]);
        // A restated deny guards against later allows: not reported.
        assert_eq!(
            run("policy t\nnetwork {\n  a: deny x.example.com\n}\n"),
            vec![]
        );
        // With an address allow, `{host x.example.com, ip 10.0.0.1}` is
        // asked only because of `a`: not redundant.
        let src = "policy t\nnetwork {\n  default ask\n  a: ask x.example.com\n  b: allow 10.0.0.0/8\n}\n";
        assert_eq!(run(src), vec![]);
        let without = "policy t\nnetwork {\n  default ask\n  b: allow 10.0.0.0/8\n}\n";
        let req = policy_eval::Request::Network {
            host: Some("x.example.com"),
            ip: Some("10.0.0.1"),
            port: Some(443),
            http: None,
        };
        let ctx = policy_eval::Context::default();
        let (p, q) = (
            crate::build(src).policy.unwrap(),
            crate::build(without).policy.unwrap(),
        );
        assert_ne!(p.decide(&req, &ctx).effect, q.decide(&req, &ctx).effect);
    }

    #[test]
    fn filesystem_redundant_rule_and_rules_left_alone() {
        let got = run("policy t\nfilesystem {\n  a: allow read $workspace/src/**\n  b: allow read write $workspace/**\n}\n");
        assert_eq!(got, vec![f("a", false, &["b"], false)]);
        // `a` is the only rule naming `$cache`: removing it changes which
        // contexts are valid, so it is left alone.
        let got = run("policy t\nfilesystem {\n  a: allow read $cache/x\n  b: allow read /**\n}\n");
        assert_eq!(got, vec![]);
    }

    #[test]
    fn credential_lifetimes_and_copies() {
        let got = run("policy t\ncredentials {\n  a: allow K for 1h\n  b: allow K for 2h\n  c: allow L for 1h\n  d: allow L for 1h\n}\n");
        // `b` never decides (`a` is first); `a` is needed: without it `K`
        // lives 2h. `d` is a copy of `c`, and `c` is not called redundant
        // because of it.
        assert_eq!(
            got,
            vec![f("b", true, &["a"], false), f("d", true, &["c"], false)]
        );
    }

    #[test]
    fn mcp_tools_and_constrained_servers() {
        let got = run("policy t\nmcp {\n  server gh {\n    a: allow get_*\n    b: allow get_me\n    c: deny get_*_admin\n    d: ask get_x_admin\n  }\n}\n");
        assert_eq!(
            got,
            vec![f("b", true, &["a"], false), f("d", true, &["c"], false)]
        );
        // `where` makes a server's tool rules depend on arguments: left alone.
        let got = run("policy t\nmcp {\n  server gh {\n    a: allow get_*\n    b: allow get_me where /n in 1..2\n    c: allow get_me\n  }\n}\n");
        assert_eq!(got, vec![]);
    }
}
