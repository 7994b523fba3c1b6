//! Conditions indexed per candidate list, so a probe of a list costs one
//! lookup for the request's [`Class`] instead of a scan of its rules.
//!
//! A list is sorted by (effect, rule index), so its best rule for a request
//! is the first rule in list order whose condition applies. Loading
//! precomputes that rule per class ([`ListIndex`]):
//!
//! * network lists: elementary port intervals over the rules' port ranges,
//!   each with its first applicable rule, and the first rule for a request
//!   without a port (a port-limited deny or ask applies, an allow does not);
//! * filesystem lists: the first rule for reading and for writing;
//! * credential lists: the first rule for seeing, the first deny without
//!   `to` (which applies to every send), and the `to` rules merged into one
//!   destination index ([`DestIndex`]);
//! * HTTP lists (method and path rules): the first rule per method;
//! * MCP lists, and network lists whose first rule has no port list: their
//!   first rule.
//!
//! The indexes of all lists together hold at most [`budget`] entries (a
//! rule that sits in many lists is indexed once per list); a list beyond
//! the budget keeps the plain scan ([`applies`]), which is also the
//! definition the indexes are tested against.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;

use super::domain::pattern_matches;
use super::rules::Dest;
use crate::artifact::{
    Access, Condition, Destinations, DomainPattern, Effect, Method, Rule, Surface,
};
use crate::glob::Glob;
use crate::hash::FxMap;

/// "No rule" in the per-class answers.
pub(crate) const NONE: u32 = u32::MAX;

/// Slot of a [`Bests`] pair: the first of all `to` rules.
const ALL: usize = 0;
/// Slot of a [`Bests`] pair: the first deny `to` rule.
const DENY: usize = 1;

/// The first rule (index, [`NONE`] for none) of all `to` rules and of the
/// deny `to` rules among them, that hold one destination.
type Bests = [u32; 2];

/// What a request asks of a candidate list: the part of it the rules'
/// conditions look at.
#[derive(Clone, Copy)]
pub(crate) enum Class<'a> {
    /// A network request, with its port if it has one.
    Port(Option<u16>),
    /// Reading a path.
    Read,
    /// Writing a path.
    Write,
    /// Seeing a secret.
    See,
    /// The sending part of sending a secret to a destination.
    Send(&'a Dest<'a>),
    /// An MCP tool call, resource read or prompt get (rules without a
    /// condition).
    Tool,
    /// An HTTP request with this method (its path is what the tables match).
    Method(Method),
}

/// One candidate list's conditions, indexed by request class.
#[derive(Debug, Clone)]
pub(crate) enum ListIndex {
    /// Every request of the list's surface gets this rule ([`NONE`] for an
    /// empty list): MCP lists, network lists whose first rule has no ports.
    First(u32),
    /// A network list with port conditions.
    Ports(Box<PortIndex>),
    /// A filesystem list: the first rule covering reads, and writes.
    Access {
        /// First rule whose access covers reading.
        read: u32,
        /// First rule whose access covers writing.
        write: u32,
    },
    /// An HTTP list: the first rule covering each method, by
    /// [`Method`] value.
    Methods(Box<[u32; 9]>),
    /// A credential list.
    Credential(Box<CredIndex>),
    /// Over the index budget: scanned rule by rule with [`applies`].
    Plain,
}

/// The port conditions of one network list.
#[derive(Debug, Clone)]
pub(crate) struct PortIndex {
    /// First rule for a request without a port.
    no_port: u32,
    /// Elementary intervals `(first port, first rule)`, ascending; an
    /// interval ends where the next starts. Ports below the first start
    /// have no rule.
    ports: Vec<(u16, u32)>,
}

/// The conditions of one credential list.
#[derive(Debug, Clone)]
pub(crate) struct CredIndex {
    /// First rule for seeing: no `to`, or an allow or ask with `to`.
    see: u32,
    /// First deny without `to`: it applies to every send.
    send: u32,
    /// The `to` rules before `send` (later ones cannot win a send).
    dests: Option<DestIndex>,
}

/// The destinations of a list's `to` rules, merged like a network table.
#[derive(Debug, Clone, Default)]
pub(crate) struct DestIndex {
    /// Literal anchor → bests of the exact (`a`), one-label (`*.a`) and
    /// any-depth (`**.a`) patterns anchored there.
    anchors: FxMap<Box<str>, [Bests; 3]>,
    /// Other domain patterns (label globs), in list order: (rule index,
    /// index of the pattern in the rule's destinations).
    globs: Vec<(u32, u32)>,
    /// IPv4 elementary intervals `(start, bests)`, ascending.
    v4: Vec<(u32, Bests)>,
    /// IPv6 elementary intervals.
    v6: Vec<(u128, Bests)>,
}

/// The most entries the indexes of a policy's lists hold together: twice
/// the rules' condition entries (ports, destinations) plus 2^20.
pub(crate) fn budget(rules: &[Rule]) -> usize {
    let own = rules.iter().fold(0usize, |n, r| {
        n.saturating_add(match &r.cond {
            Condition::Ports(p) => p.len(),
            Condition::Credential(c) => c.destinations.as_ref().map_or(0, dest_entries),
            _ => 0,
        })
    });
    own.saturating_mul(2).saturating_add(1 << 20)
}

fn dest_entries(d: &Destinations) -> usize {
    d.domains.len() + d.v4.len() + d.v6.len()
}

impl ListIndex {
    /// Indexes candidate list `list` over `rules` (both validated by the
    /// `Checker`: every index in range, one surface, conditions that fit
    /// it), taking its entries from `budget`.
    pub(crate) fn build(list: &[u32], rules: &[Rule], budget: &mut usize) -> ListIndex {
        let rule = |ri: u32| rules.get(ri as usize);
        let Some((first, first_rule)) = list.first().and_then(|&ri| Some((ri, rule(ri)?))) else {
            return ListIndex::First(NONE);
        };
        let first_where = |f: &dyn Fn(&Rule) -> bool| {
            list.iter()
                .copied()
                .find(|&ri| rule(ri).is_some_and(f))
                .unwrap_or(NONE)
        };
        match first_rule.surface {
            Surface::Mcp => ListIndex::First(first),
            Surface::Network if first_rule.cond == Condition::None => ListIndex::First(first),
            Surface::Network if matches!(first_rule.cond, Condition::Methods(_)) => {
                let covers = |m: Method| move |r: &Rule| matches!(r.cond, Condition::Methods(s) if s.contains(m));
                ListIndex::Methods(Box::new(Method::ALL.map(|m| first_where(&covers(m)))))
            }
            Surface::Network => match PortIndex::build(list, rules, budget) {
                Some(p) => ListIndex::Ports(Box::new(p)),
                None => ListIndex::Plain,
            },
            Surface::Filesystem => {
                let covers = |part: Access| move |r: &Rule| matches!(r.cond, Condition::Access(a) if a.contains(part));
                ListIndex::Access {
                    read: first_where(&covers(Access::READ)),
                    write: first_where(&covers(Access::WRITE)),
                }
            }
            Surface::Credential => match CredIndex::build(list, rules, budget) {
                Some(c) => ListIndex::Credential(Box::new(c)),
                None => ListIndex::Plain,
            },
        }
    }

    /// The first rule of the list that applies to `class`, when the index
    /// answers with one rule; `None` for [`ListIndex::Plain`] and credential
    /// sends, which the caller probes further.
    #[inline]
    pub(crate) fn single(&self, class: &Class<'_>) -> Option<u32> {
        Some(match (self, class) {
            (ListIndex::First(ri), _) => *ri,
            (ListIndex::Ports(p), Class::Port(port)) => p.lookup(*port),
            (ListIndex::Access { read, .. }, Class::Read) => *read,
            (ListIndex::Access { write, .. }, Class::Write) => *write,
            (ListIndex::Credential(c), Class::See) => c.see,
            (ListIndex::Methods(m), Class::Method(method)) => {
                m.get(*method as usize).copied().unwrap_or(NONE)
            }
            (ListIndex::Plain | ListIndex::Credential(_), _) => return None,
            _ => NONE,
        })
    }

    /// The credential index of the list, if it is one.
    pub(crate) fn credential(&self) -> Option<&CredIndex> {
        match self {
            ListIndex::Credential(c) => Some(c),
            _ => None,
        }
    }
}

impl PortIndex {
    /// `None` when the list's ranges exceed `budget`.
    fn build(list: &[u32], rules: &[Rule], budget: &mut usize) -> Option<PortIndex> {
        let mut no_port = NONE;
        let mut ranges: Vec<(u16, u16, u32, bool)> = Vec::new();
        for (pos, &ri) in (0u32..).zip(list) {
            let Some(r) = rules.get(ri as usize) else {
                continue;
            };
            match &r.cond {
                // Applies to every port and to no port: later rules never win.
                Condition::None => {
                    ranges.push((0, u16::MAX, pos, false));
                    if no_port == NONE {
                        no_port = ri;
                    }
                    break;
                }
                Condition::Ports(p) => {
                    if p.len() > budget.saturating_sub(ranges.len()) {
                        return None;
                    }
                    ranges.extend(p.iter().map(|&(a, b)| (a, b, pos, false)));
                    if no_port == NONE && r.effect != Effect::Allow {
                        no_port = ri;
                    }
                }
                _ => {}
            }
        }
        *budget = budget.saturating_sub(ranges.len());
        let ports = elementary(ranges)
            .into_iter()
            .map(|(s, b)| (s, rule_at(list, b[ALL])))
            .collect();
        Some(PortIndex { no_port, ports })
    }

    /// The first rule for a request with this port, or without one.
    #[inline]
    fn lookup(&self, port: Option<u16>) -> u32 {
        match port {
            None => self.no_port,
            Some(p) => interval(&self.ports, p).map_or(NONE, |&b| b),
        }
    }
}

impl CredIndex {
    /// `None` when the list's destinations exceed `budget`.
    fn build(list: &[u32], rules: &[Rule], budget: &mut usize) -> Option<CredIndex> {
        let mut see = NONE;
        let mut send = NONE;
        let mut to_rules = Vec::new();
        for (pos, &ri) in (0u32..).zip(list) {
            let Some(r) = rules.get(ri as usize) else {
                continue;
            };
            let Condition::Credential(c) = &r.cond else {
                continue;
            };
            if see == NONE && (c.destinations.is_none() || r.effect != Effect::Deny) {
                see = ri;
            }
            match &c.destinations {
                None if r.effect == Effect::Deny => {
                    send = ri;
                    break;
                }
                None => {}
                Some(d) => to_rules.push((pos, ri, r.effect == Effect::Deny, d)),
            }
        }
        let dests = if to_rules.is_empty() {
            None
        } else {
            let n = to_rules
                .iter()
                .fold(0usize, |n, t| n.saturating_add(dest_entries(t.3)));
            if n > *budget {
                return None;
            }
            *budget -= n;
            Some(DestIndex::build(list, &to_rules))
        };
        Some(CredIndex { see, send, dests })
    }

    /// Considers, through `consider`, the rules of the list that apply to
    /// the sending part of a send to `dest` (`decide_send`): the first deny
    /// without `to`; deny `to` rules whose domain, address or embedded IPv4
    /// address matches; allow and ask `to` rules whose address matches, or
    /// whose domain does when no address of the send is local.
    #[inline]
    pub(crate) fn probe_send(
        &self,
        dest: &Dest<'_>,
        rules: &[Rule],
        dest_globs: &[Vec<Vec<Glob>>],
        consider: &mut dyn FnMut(u32),
    ) {
        consider(self.send);
        let Some(ix) = &self.dests else {
            return;
        };
        let domain_slot = if dest.local { DENY } else { ALL };
        if let Some(host) = dest.domain {
            if !ix.anchors.is_empty() {
                ix.probe_anchors(host, domain_slot, consider);
            }
            for &(ri, pi) in &ix.globs {
                let deny = rules
                    .get(ri as usize)
                    .is_some_and(|r| r.effect == Effect::Deny);
                if (deny || !dest.local) && glob_pattern_matches(rules, dest_globs, ri, pi, host) {
                    // The first match in list order is the best of the globs.
                    consider(ri);
                    break;
                }
            }
        }
        for a in dest.ips.iter().flatten() {
            let b = match *a {
                IpAddr::V4(v) => interval(&ix.v4, u32::from(v)),
                IpAddr::V6(v) => interval(&ix.v6, u128::from(v)),
            };
            if let Some(b) = b {
                consider(b[ALL]);
            }
        }
        for x in dest.embedded_v4() {
            if let Some(b) = interval(&ix.v4, x) {
                consider(b[DENY]);
            }
        }
    }
}

impl DestIndex {
    /// Merges the destinations of `to_rules` (list position, rule index,
    /// whether a deny, destinations), given in list order.
    fn build(list: &[u32], to_rules: &[(u32, u32, bool, &Destinations)]) -> DestIndex {
        let mut ix = DestIndex::default();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for &(pos, ri, deny, d) in to_rules {
            for (pi, p) in (0u32..).zip(&d.domains) {
                let Some(slot) = anchor_slot(p) else {
                    ix.globs.push((ri, pi));
                    continue;
                };
                let e = ix
                    .anchors
                    .entry(p.anchor.as_str().into())
                    .or_insert([[NONE; 2]; 3]);
                if let Some(b) = e.get_mut(slot) {
                    if b[ALL] == NONE {
                        b[ALL] = ri;
                    }
                    if deny && b[DENY] == NONE {
                        b[DENY] = ri;
                    }
                }
            }
            v4.extend(d.v4.iter().map(|&(lo, hi)| (lo, hi, pos, deny)));
            v6.extend(d.v6.iter().map(|&(lo, hi)| (lo, hi, pos, deny)));
        }
        ix.v4 = positions_to_rules(list, elementary(v4));
        ix.v6 = positions_to_rules(list, elementary(v6));
        ix
    }

    /// Considers the anchored patterns matching `host` at each of its label
    /// boundaries (and at the end, anchor ""), from bests slot `slot`.
    #[inline]
    fn probe_anchors(&self, host: &str, slot: usize, consider: &mut dyn FnMut(u32)) {
        let mut probe = |anchor: &str, rem: &str| {
            if let Some(e) = self.anchors.get(anchor) {
                if rem.is_empty() {
                    consider(e[0][slot]);
                } else if !rem.contains('.') {
                    consider(e[1][slot]);
                }
                consider(e[2][slot]);
            }
        };
        probe(host, "");
        for (i, b) in host.bytes().enumerate() {
            if b == b'.' {
                let rem = host.get(..i).unwrap_or("");
                probe(host.get(i + 1..).unwrap_or(""), rem);
            }
        }
        if !host.is_empty() {
            probe("", host);
        }
    }
}

/// The [`DestIndex::anchors`] slot of an exact, one-label or any-depth
/// pattern; `None` for label globs.
fn anchor_slot(p: &DomainPattern) -> Option<usize> {
    match (p.any_depth, p.prefix.as_slice()) {
        (false, []) => Some(0),
        (false, [one]) if one == "*" => Some(1),
        (true, []) => Some(2),
        _ => None,
    }
}

/// Whether domain pattern `pi` of rule `ri`'s destinations matches `host`.
fn glob_pattern_matches(
    rules: &[Rule],
    dest_globs: &[Vec<Vec<Glob>>],
    ri: u32,
    pi: u32,
    host: &str,
) -> bool {
    let Some(Condition::Credential(c)) = rules.get(ri as usize).map(|r| &r.cond) else {
        return false;
    };
    let (Some(p), Some(labels)) = (
        c.destinations
            .as_ref()
            .and_then(|d| d.domains.get(pi as usize)),
        dest_globs.get(ri as usize).and_then(|g| g.get(pi as usize)),
    ) else {
        return false;
    };
    pattern_matches(p, labels, host)
}

/// Elementary intervals with the bests' list positions turned into rules.
fn positions_to_rules<T>(list: &[u32], iv: Vec<(T, Bests)>) -> Vec<(T, Bests)> {
    iv.into_iter()
        .map(|(s, b)| (s, b.map(|p| rule_at(list, p))))
        .collect()
}

/// The rule at list position `pos` ([`NONE`] stays [`NONE`]).
fn rule_at(list: &[u32], pos: u32) -> u32 {
    list.get(pos as usize).copied().unwrap_or(NONE)
}

/// A point of an interval domain (ports, IPv4, IPv6 addresses).
trait Point: Copy + Ord + Default {
    /// The next point, if any.
    fn next(self) -> Option<Self>;
}

macro_rules! point {
    ($($t:ty),*) => {$(
        impl Point for $t {
            fn next(self) -> Option<$t> {
                self.checked_add(1)
            }
        }
    )*};
}
point!(u16, u32, u128);

/// Elementary intervals of inclusive `ranges` `(lo, hi, list position,
/// deny)`: `(start, bests)`, ascending, where bests are the least position
/// of the ranges holding the interval, of all ranges and of the deny ones
/// ([`NONE`] for none). Neighbours with equal bests are merged; points
/// before the first start have no range. `O(k log k)` for `k` ranges: a
/// sweep over the sorted bounds with a heap of the open ranges per slot.
fn elementary<T: Point>(mut ranges: Vec<(T, T, u32, bool)>) -> Vec<(T, Bests)> {
    ranges.retain(|r| r.0 <= r.1);
    let mut bounds: Vec<T> = ranges
        .iter()
        .flat_map(|r| [Some(r.0), r.1.next()])
        .flatten()
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    ranges.sort_unstable_by_key(|r| r.0);
    let mut open: [BinaryHeap<Reverse<(u32, T)>>; 2] = [BinaryHeap::new(), BinaryHeap::new()];
    let mut out: Vec<(T, Bests)> = Vec::new();
    let mut prev = [NONE; 2];
    let mut next = ranges.iter().peekable();
    for p in bounds {
        while let Some(&&(lo, hi, pos, deny)) = next.peek() {
            if lo > p {
                break;
            }
            open[ALL].push(Reverse((pos, hi)));
            if deny {
                open[DENY].push(Reverse((pos, hi)));
            }
            next.next();
        }
        let mut cur = [NONE; 2];
        for (heap, best) in open.iter_mut().zip(&mut cur) {
            while heap.peek().is_some_and(|Reverse((_, hi))| *hi < p) {
                heap.pop();
            }
            if let Some(Reverse((pos, _))) = heap.peek() {
                *best = *pos;
            }
        }
        if cur != prev || out.is_empty() {
            out.push((p, cur));
            prev = cur;
        }
    }
    out
}

/// The value of the elementary interval holding `x`.
#[inline]
fn interval<T: Ord + Copy, V>(iv: &[(T, V)], x: T) -> Option<&V> {
    let pp = iv.partition_point(|(s, _)| *s <= x);
    pp.checked_sub(1).and_then(|i| iv.get(i)).map(|(_, v)| v)
}

/// Whether rule `ri` (`r`) applies to `class`: the plain per-rule
/// definition the indexes precompute, used for lists over the budget.
pub(crate) fn applies(ri: u32, r: &Rule, class: &Class<'_>, dest_globs: &[Vec<Vec<Glob>>]) -> bool {
    match (&r.cond, class) {
        (Condition::None, Class::Port(_) | Class::Tool | Class::Method(_)) => true,
        (Condition::Methods(m), Class::Method(method)) => m.contains(*method),
        (Condition::Ports(ranges), Class::Port(port)) => match port {
            Some(p) => ranges.iter().any(|&(a, b)| a <= *p && *p <= b),
            // A request without a port could be for any port: a port list
            // keeps an allow from granting it, never a deny or an ask.
            None => r.effect != Effect::Allow,
        },
        (Condition::Access(a), Class::Read) => a.contains(Access::READ),
        (Condition::Access(a), Class::Write) => a.contains(Access::WRITE),
        (Condition::Credential(c), Class::See) => {
            c.destinations.is_none() || r.effect != Effect::Deny
        }
        (Condition::Credential(c), Class::Send(dest)) => match &c.destinations {
            None => r.effect == Effect::Deny,
            Some(d) if r.effect == Effect::Deny => {
                domain_in(ri, d, dest.domain, dest_globs)
                    || dest.ips.iter().flatten().any(|&a| address_in(d, a))
                    || dest.embedded_v4().any(|x| v4_in(d, x))
            }
            Some(d) => {
                (!dest.local && domain_in(ri, d, dest.domain, dest_globs))
                    || dest.ips.iter().flatten().any(|&a| address_in(d, a))
            }
        },
        _ => false,
    }
}

/// Whether `domain` matches one of the domain patterns of rule `ri`'s
/// destinations `d`.
fn domain_in(
    ri: u32,
    d: &Destinations,
    domain: Option<&str>,
    dest_globs: &[Vec<Vec<Glob>>],
) -> bool {
    let (Some(host), Some(globs)) = (domain, dest_globs.get(ri as usize)) else {
        return false;
    };
    d.domains
        .iter()
        .zip(globs)
        .any(|(p, labels)| pattern_matches(p, labels, host))
}

/// Whether an address range of `d` holds `a`.
fn address_in(d: &Destinations, a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v4_in(d, u32::from(v)),
        IpAddr::V6(v) => {
            let x = u128::from(v);
            d.v6.iter().any(|&(lo, hi)| lo <= x && x <= hi)
        }
    }
}

/// Whether an IPv4 range of `d` holds `x`.
fn v4_in(d: &Destinations, x: u32) -> bool {
    d.v4.iter().any(|&(lo, hi)| lo <= x && x <= hi)
}

#[cfg(test)]
#[path = "cond_tests.rs"]
mod tests;
