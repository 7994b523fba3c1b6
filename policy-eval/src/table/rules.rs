//! The rule table and candidate lists: their validation at load, the
//! per-rule bits and per-list condition indexes (`cond.rs`) built for
//! decide, and the precedence step ([`Scan::consider`]) every table probe
//! reports to.
//!
//! Precedence is independent of rule order: among the rules that match and
//! apply, deny beats ask beats allow, and among rules of the winning effect
//! the lowest rule index decides. Candidate lists are sorted by that key, so
//! each list contributes its first applicable rule (looked up, not scanned,
//! see `cond.rs`) and the minimum over all probed lists wins.

use std::net::IpAddr;

use super::cond::{self, applies, Class, ListIndex};
use super::domain::label_globs;
use super::unique;
use crate::addr;
use crate::artifact::{Artifact, Candidates, Condition, Effect, Methods, Rule, Surface};
use crate::error::LoadError;
use crate::glob::Glob;
use crate::limits::{MAX_ASK_REASON_LEN, MAX_RULES, MAX_TABLE_ENTRIES};
use crate::normalize::is_normalized_domain;

/// Which surface a candidate-list reference comes from.
pub(crate) struct Checker {
    /// Per candidate list: the surface of its rules, and whether they are
    /// HTTP rules (`Condition::Methods`); `None` when empty.
    list_surface: Vec<Option<(Surface, bool)>>,
}

impl Checker {
    /// Checks that `list` exists and holds rules of `surface` (or none),
    /// none of them an HTTP rule.
    pub(crate) fn list(
        &self,
        table: &'static str,
        list: u32,
        surface: Surface,
    ) -> Result<(), LoadError> {
        self.list_of(table, list, surface, false)
    }

    /// Checks that `list` exists and holds rules of `surface` (or none),
    /// all of them HTTP rules when `http`, none otherwise.
    pub(crate) fn list_of(
        &self,
        table: &'static str,
        list: u32,
        surface: Surface,
        http: bool,
    ) -> Result<(), LoadError> {
        match self.list_surface.get(list as usize) {
            None => Err(LoadError::table(
                table,
                format!(
                    "candidate list {list} out of range ({} lists)",
                    self.list_surface.len()
                ),
            )),
            Some(Some((s, _))) if *s != surface => Err(LoadError::table(
                table,
                format!("candidate list {list} holds {s:?} rules, used by a {surface:?} table"),
            )),
            Some(Some((_, h))) if *h != http => Err(LoadError::table(
                table,
                if http {
                    format!("candidate list {list} holds rules without methods, used by an http path table")
                } else {
                    format!("candidate list {list} holds HTTP rules, used outside the http table")
                },
            )),
            _ => Ok(()),
        }
    }
}

/// The rule table indexed for decisions.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleIndex {
    /// Per rule, one byte: its effect (bits 0-1) and whether it has no
    /// condition (bit 2). Candidate scans read this small array and touch
    /// the full `Rule` only for conditions, which keeps large policies in
    /// cache.
    bits: Vec<u8>,
    /// Per rule: parsed label globs of its credential destinations, one list
    /// per domain pattern (empty for other rules).
    dest_globs: Vec<Vec<Vec<Glob>>>,
    /// Per candidate list: its conditions indexed by request class.
    lists: Vec<ListIndex>,
}

impl Checker {
    /// Validates the rules and candidate lists of `art`; the checker then
    /// validates the tables' references to the lists.
    pub(crate) fn new(art: &Artifact) -> Result<Checker, LoadError> {
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
                if matches!(rule.cond, Condition::Arguments(_)) {
                    // Constrained rules are tried from their server's list
                    // (`args.rs`); in a candidate list no condition index
                    // would evaluate them, and a deny would be inert.
                    return Err(LoadError::table(
                        "candidates",
                        format!("list {li} holds rule {ri}, which has argument constraints"),
                    ));
                }
                let http = matches!(rule.cond, Condition::Methods(_));
                if surface.is_some_and(|(s, _)| s != rule.surface) {
                    return Err(LoadError::table(
                        "candidates",
                        format!("list {li} mixes rules of different surfaces"),
                    ));
                }
                if surface.is_some_and(|(_, h)| h != http) {
                    return Err(LoadError::table(
                        "candidates",
                        format!("list {li} mixes HTTP rules and other rules"),
                    ));
                }
                surface = Some((rule.surface, http));
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
        Ok(Checker { list_surface })
    }
}

impl RuleIndex {
    /// The per-rule bits, destination globs and per-list condition indexes
    /// of rules and lists [`Checker::new`] validated.
    pub(crate) fn build(art: &Artifact) -> Result<RuleIndex, LoadError> {
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
        let bits = art
            .rules
            .iter()
            .map(|r| r.effect as u8 | (u8::from(r.cond == Condition::None) << 2))
            .collect();
        let mut budget = cond::budget(&art.rules);
        let lists = art
            .candidates
            .iter()
            .map(|l| ListIndex::build(l, &art.rules, &mut budget))
            .collect();
        Ok(RuleIndex {
            bits,
            dest_globs,
            lists,
        })
    }

    /// A scan of `art`'s candidate lists for a request of class `class`.
    pub(crate) fn scan<'a>(&'a self, art: &'a Artifact, class: Class<'a>) -> Scan<'a> {
        Scan {
            candidates: &art.candidates,
            rules: &art.rules,
            bits: &self.bits,
            lists: &self.lists,
            dest_globs: &self.dest_globs,
            class,
        }
    }
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
    if !r.ask_reason.is_empty() {
        if r.effect != Effect::Ask {
            return bad("a reason on a rule that does not ask".into());
        }
        if r.ask_reason.len() > MAX_ASK_REASON_LEN || r.ask_reason.chars().any(char::is_control) {
            return bad(format!(
                "ask reason longer than {MAX_ASK_REASON_LEN} bytes or with control characters"
            ));
        }
    }
    match (&r.cond, r.surface) {
        (Condition::None, Surface::Network | Surface::Mcp) => {}
        // Validated with the server that lists the rule (`args.rs`).
        (Condition::Arguments(_), Surface::Mcp) => {}
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
        (Condition::Methods(m), Surface::Network) => {
            if m.0 == 0 || m.0 & !Methods::ALL.0 != 0 {
                return bad(format!("method bits {:#x} outside the nine methods", m.0));
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

/// The best (effect, rule index) found so far, and the weakest effect that
/// may still count: [`Effect::Ask`] while probing addresses embedded in an
/// IPv6 address, which only restrict (`spec/language.md` section 7).
pub(crate) struct Best {
    pub(crate) found: Option<(Effect, u32)>,
    pub(crate) weakest: Effect,
}

impl Default for Best {
    fn default() -> Best {
        Best {
            found: None,
            weakest: Effect::Allow,
        }
    }
}

/// The candidate lists, their condition indexes and the rule bits of a
/// policy, and the class of one request: what a table probe needs to report
/// a matching list.
pub(crate) struct Scan<'a> {
    candidates: &'a [Vec<u32>],
    rules: &'a [Rule],
    bits: &'a [u8],
    lists: &'a [ListIndex],
    dest_globs: &'a [Vec<Vec<Glob>>],
    class: Class<'a>,
}

impl Scan<'_> {
    /// Considers the first rule of candidate list `list` that applies to the
    /// request: one lookup in the list's [`ListIndex`] for the request's
    /// class (a few for a credential send).
    ///
    /// Always inlined: the probes of every table call it from other modules,
    /// and it was inlined into them when they shared one file.
    #[inline(always)]
    pub(crate) fn consider(&self, best: &mut Best, list: Candidates) {
        let Some(index) = self.lists.get(list as usize) else {
            return;
        };
        match index.single(&self.class) {
            Some(ri) => self.consider_rule(best, ri),
            None => self.consider_more(best, list, index),
        }
    }

    /// Considers rule `ri`, known to apply to the request ([`cond::NONE`] or an
    /// index out of range: nothing): it becomes the best if its effect may
    /// still count (`best.weakest`) and its (effect, rule index) is below
    /// the best so far.
    #[inline(always)]
    pub(crate) fn consider_rule(&self, best: &mut Best, ri: u32) {
        let Some(&bits) = self.bits.get(ri as usize) else {
            return;
        };
        let effect = effect_of(bits);
        let key = (effect, ri);
        if effect <= best.weakest && best.found.is_none_or(|b| key < b) {
            best.found = Some(key);
        }
    }

    /// The lists [`ListIndex::single`] does not answer: credential sends
    /// (the merged destination index) and lists over the index budget (a
    /// plain scan).
    #[inline(never)]
    fn consider_more(&self, best: &mut Best, list: Candidates, index: &ListIndex) {
        if let (Some(c), Class::Send(dest)) = (index.credential(), &self.class) {
            c.probe_send(dest, self.rules, self.dest_globs, &mut |ri| {
                self.consider_rule(best, ri);
            });
            return;
        }
        let Some(list) = self.candidates.get(list as usize) else {
            return;
        };
        for &ri in list {
            let Some(&bits) = self.bits.get(ri as usize) else {
                continue;
            };
            let effect = effect_of(bits);
            let key = (effect, ri);
            if effect > best.weakest || best.found.is_some_and(|b| key >= b) {
                return;
            }
            let applies = self
                .rules
                .get(ri as usize)
                .is_some_and(|r| applies(ri, r, &self.class, self.dest_globs));
            if applies {
                best.found = Some(key);
                return;
            }
        }
    }
}

/// The effect in a rule's bits.
#[inline(always)]
fn effect_of(bits: u8) -> Effect {
    match bits & 3 {
        0 => Effect::Deny,
        1 => Effect::Ask,
        _ => Effect::Allow,
    }
}

/// A send's destination: the domain, the addresses (the host when it is an
/// IP literal, and the `ip` field), the IPv4 addresses they embed, and
/// whether any of those is local.
pub(crate) struct Dest<'a> {
    pub(crate) domain: Option<&'a str>,
    pub(crate) ips: [Option<IpAddr>; 2],
    embedded: [addr::Embedded; 2],
    pub(crate) local: bool,
}

impl<'a> Dest<'a> {
    /// The destination of a send to `domain` and the addresses `ips`.
    pub(crate) fn new(domain: Option<&'a str>, ips: [Option<IpAddr>; 2]) -> Dest<'a> {
        let embedded = ips.map(|a| match a {
            Some(IpAddr::V6(v6)) => addr::embedded_v4(v6),
            _ => addr::Embedded::default(),
        });
        let mut dest = Dest {
            domain,
            ips,
            embedded,
            local: false,
        };
        dest.local = ips.iter().flatten().any(|&a| addr::is_local(a))
            || dest
                .embedded_v4()
                .any(|x| addr::is_local(IpAddr::V4(x.into())));
        dest
    }

    /// The IPv4 addresses embedded in the destination's IPv6 addresses.
    pub(crate) fn embedded_v4(&self) -> impl Iterator<Item = u32> + '_ {
        self.embedded
            .iter()
            .flat_map(|e| e.as_slice().iter().copied())
    }
}
