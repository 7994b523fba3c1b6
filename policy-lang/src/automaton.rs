//! Pattern groups as dense DFAs: the glob → regex translator, the condition
//! prefixes, and the group builder that splits a group over several DFAs
//! when one would exceed the size budget.
//!
//! Every pattern is `\A<condition prefix><glob>\z` in byte mode (no Unicode,
//! no UTF-8 requirement), each literal byte written `\xNN`. A group's
//! patterns are sorted by (effect, rule index) and built with
//! leftmost-first priority and anchored starts, so the pattern an anchored
//! search reports is the highest-priority pattern matching the whole
//! subject: the deciding rule of the group (`spec/artifact.md`).

use policy_eval::artifact::{Automata, Dfa};
use policy_eval::glob::{Glob, Token};
use policy_eval::limits::{MAX_DFAS_PER_GROUP, MAX_DFA_BYTES};
use regex_automata::dfa::{dense, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::MatchKind;

/// What a glob is matched against, which fixes what its wildcards span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Relative paths: `*` and `?` never match `/`; `**` segments.
    Path,
    /// One domain label inside a dotted remainder: as [`Mode::Path`], and
    /// no wildcard or class matches `.` (a label glob never spans labels).
    Label,
    /// Secret and tool names: `*` and `?` match any byte.
    Name,
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bytes([u64; 4]);

impl Bytes {
    const ALL: Bytes = Bytes([!0; 4]);
    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }
    fn without(mut self, b: u8) -> Bytes {
        self.0[usize::from(b >> 6)] &= !(1 << (b & 63));
        self
    }

    /// The set as a regex class of `\xNN` ranges (a class that never
    /// matches when empty).
    fn class(&self) -> String {
        let mut out = String::from("[");
        let mut b = 0usize;
        while b < 256 {
            if !self.has(b as u8) {
                b += 1;
                continue;
            }
            let start = b;
            while b + 1 < 256 && self.has((b + 1) as u8) {
                b += 1;
            }
            if start == b {
                out.push_str(&format!("\\x{start:02x}"));
            } else {
                out.push_str(&format!("\\x{start:02x}-\\x{b:02x}"));
            }
            b += 1;
        }
        if out.len() == 1 {
            return "[^\\x00-\\xff]".to_string();
        }
        out.push(']');
        out
    }
}

/// The regex (without anchors) of a glob, `None` when the glob is invalid
/// (the checker refused it before). Semantics are globset's with
/// `backslash_escape(true)` and `literal_separator` for paths and labels,
/// on bytes: `?` is one byte, a negated class may match `/`, a class with
/// non-ASCII members matches single bytes of their UTF-8 encoding.
pub fn glob_regex(glob: &str, mode: Mode) -> Option<String> {
    // The runtime's parser (`Glob::new`; `flat` parses the same tokens).
    let toks: Vec<Token> = Glob::new(glob).ok()?.tokens().collect();
    // What a wildcard may match: `within` bytes never (`.` in a label).
    let all = match mode {
        Mode::Label => Bytes::ALL.without(b'.'),
        Mode::Path | Mode::Name => Bytes::ALL,
    };
    let any = match mode {
        Mode::Name => all,
        Mode::Path | Mode::Label => all.without(b'/'),
    };
    let dot_star = format!("{}*", all.class());
    if toks == [Token::RecPrefix] {
        return Some(dot_star);
    }
    let mut re = String::new();
    for t in &toks {
        match t {
            Token::Byte(b) => re.push_str(&format!("\\x{b:02x}")),
            Token::Any => re.push_str(&any.class()),
            Token::Star => {
                re.push_str(&any.class());
                re.push('*');
            }
            Token::Class(set) => {
                let set = Bytes(*set);
                let set = if mode == Mode::Label {
                    set.without(b'.')
                } else {
                    set
                };
                re.push_str(&set.class());
            }
            Token::RecPrefix => re.push_str(&format!("(?:\\x2f?|{dot_star}\\x2f)")),
            Token::RecSuffix => re.push_str(&format!("\\x2f{dot_star}")),
            Token::RecZeroOrMore => re.push_str(&format!("(?:\\x2f|\\x2f{dot_star}\\x2f)")),
        }
    }
    Some(re)
}

/// The regex of a label glob sequence under an anchor, matched against the
/// remainder left of the anchor: the labels match its rightmost labels, and
/// `any_depth` allows more labels on their left.
pub fn labels_regex(labels: &[String], any_depth: bool) -> Option<String> {
    let mut re = String::new();
    if any_depth {
        re.push_str("(?:[^\\x2e]+\\x2e)*");
    }
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            re.push_str("\\x2e");
        }
        re.push_str("(?:");
        re.push_str(&glob_regex(l, Mode::Label)?);
        re.push(')');
    }
    Some(re)
}

/// The 3-byte port prefix of a network rule's label globs: a request with
/// port `p` searches `[0, p >> 8, p & 0xff]`, one without `[1, 0, 0]`. A
/// rule without ports takes any prefix; one with ports its ranges, and for
/// deny and ask rules also the no-port prefix (a port-limited deny or ask
/// applies to a request without a port, a port-limited allow never grants
/// one).
pub fn port_prefix(ports: Option<&[(u16, u16)]>, allow: bool) -> String {
    let Some(ranges) = ports else {
        return "[\\x00-\\xff]{3}".to_string();
    };
    let mut alts: Vec<String> = Vec::new();
    for &(lo, hi) in ranges {
        let (lh, ll, hh, hl) = (lo >> 8, lo & 0xff, hi >> 8, hi & 0xff);
        if lh == hh {
            alts.push(format!("\\x{lh:02x}[\\x{ll:02x}-\\x{hl:02x}]"));
            continue;
        }
        alts.push(format!("\\x{lh:02x}[\\x{ll:02x}-\\xff]"));
        if lh + 1 < hh {
            alts.push(format!(
                "[\\x{:02x}-\\x{:02x}][\\x00-\\xff]",
                lh + 1,
                hh - 1
            ));
        }
        alts.push(format!("\\x{hh:02x}[\\x00-\\x{hl:02x}]"));
    }
    let mut re = format!("(?:\\x00(?:{})", alts.join("|"));
    if !allow {
        re.push_str("|\\x01\\x00\\x00");
    }
    re.push(')');
    re
}

/// One pattern of a group: the rule it belongs to and its regex (condition
/// prefix and glob, without anchors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPattern {
    /// Rule index.
    pub rule: u32,
    /// Regex body.
    pub regex: String,
}

/// Size limits of one group's automata.
#[derive(Debug, Clone, Copy)]
pub struct GroupLimits {
    /// Most bytes of one serialized DFA (also its determinization budget).
    pub dfa_bytes: usize,
    /// Most DFAs in the group.
    pub max_dfas: usize,
}

impl Default for GroupLimits {
    fn default() -> GroupLimits {
        GroupLimits {
            dfa_bytes: MAX_DFA_BYTES,
            max_dfas: MAX_DFAS_PER_GROUP,
        }
    }
}

/// Why a group was refused: the rules responsible (in priority order), and
/// the builder's message when a single pattern failed for another reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRefused {
    /// The rules of the patterns that did not fit.
    pub rules: Vec<u32>,
}

/// Builds the automata of a group whose patterns are already in priority
/// order, as contiguous chunks of that order, one DFA each, at most
/// `limits.max_dfas` of them.
///
/// The first chunk's size is found by doubling (1, 2, 4, ... patterns)
/// while the DFA grows about linearly: a doubled chunk may use at most
/// [`GROWTH_FACTOR`] times the bytes of the last one (at least
/// [`GROWTH_FLOOR`]), so a union that explodes (`*_1_*`, `*_2_*`, ...)
/// fails cheaply, at a few times the size of a small DFA. Later chunks start
/// at the size that fitted, halve when they do not fit, and grow only when
/// the rest of the group would not fit at that size. The group is refused
/// as soon as the DFAs built plus the rest at [`GROWTH_FACTOR`] times the
/// last chunk's size exceed the limit, so refusing a hostile group costs a
/// handful of small builds.
pub fn build_group(pats: &[GroupPattern], limits: GroupLimits) -> Result<Automata, GroupRefused> {
    let n = pats.len();
    let refuse = |lo: usize, hi: usize| {
        let mut rules: Vec<u32> = Vec::new();
        for p in pats.get(lo..hi).unwrap_or(&[]) {
            if !rules.contains(&p.rule) && rules.len() < 1000 {
                rules.push(p.rule);
            }
        }
        GroupRefused { rules }
    };
    let chunk = |lo: usize, len: usize| pats.get(lo..lo + len).unwrap_or(&[]);
    let full = limits.dfa_bytes;
    let mut dfas: Vec<Dfa> = Vec::new();
    let mut start = 0usize;
    let mut k = 1usize;
    let mut first = true;
    while start < n {
        if dfas.len() >= limits.max_dfas {
            return Err(refuse(0, n));
        }
        let rem = n - start;
        k = k.min(rem);
        let (mut dfa, mut got) = loop {
            match build_one(chunk(start, k), full, full) {
                Some(d) => break (d, k),
                None if k > 1 => k /= 2,
                None => return Err(refuse(start, start + 1)),
            }
        };
        let slots = limits.max_dfas - dfas.len();
        if first || rem > got.saturating_mul(slots) {
            while got < rem {
                let next = got.saturating_mul(2).min(rem);
                let budget = dfa
                    .bytes
                    .len()
                    .saturating_mul(GROWTH_FACTOR)
                    .max(GROWTH_FLOOR)
                    .min(full);
                match build_one(chunk(start, next), full, budget) {
                    Some(d) => {
                        dfa = d;
                        got = next;
                    }
                    None => break,
                }
            }
        }
        first = false;
        dfas.push(dfa);
        start += got;
        k = got;
        let hope = (n - start).div_ceil(got.saturating_mul(GROWTH_FACTOR));
        if dfas.len() + hope > limits.max_dfas {
            return Err(refuse(0, n));
        }
    }
    Ok(Automata { dfas })
}

/// How much larger than the last DFA a doubled chunk's DFA may be.
pub const GROWTH_FACTOR: usize = 4;

/// A doubled chunk may always use this many bytes.
pub const GROWTH_FLOOR: usize = 256 * 1024;

/// One DFA of `pats`, or `None` when its NFA exceeds `nfa_limit` bytes or
/// determinization or the DFA exceeds `limit` bytes.
/// The Thompson NFA of `regexes` in byte mode (no Unicode, no UTF-8
/// requirement, no captures), within `limit` bytes: the one configuration
/// of every automaton the crate builds (groups here, analysis cells in
/// `analysis::strings`).
pub fn byte_nfa(regexes: &[String], limit: usize) -> Option<thompson::NFA> {
    thompson::Compiler::new()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(thompson::WhichCaptures::None)
                .nfa_size_limit(Some(limit)),
        )
        .build_many(regexes)
        .ok()
}

/// The anchored dense DFA of `regexes` (each already `\\A...\\z`) with
/// `kind`, within `nfa_limit` bytes of NFA and `limit` bytes of DFA and
/// determinization: groups here (leftmost-first), analysis cells in
/// `analysis::strings` (all matches).
pub fn anchored_dfa(
    regexes: &[String],
    kind: MatchKind,
    nfa_limit: usize,
    limit: usize,
) -> Option<dense::DFA<Vec<u32>>> {
    let nfa = byte_nfa(regexes, nfa_limit)?;
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(kind)
                .start_kind(StartKind::Anchored)
                .accelerate(false)
                .minimize(false)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(limit)),
        )
        .build_from_nfa(&nfa)
        .ok()
}

fn build_one(pats: &[GroupPattern], nfa_limit: usize, limit: usize) -> Option<Dfa> {
    let regexes: Vec<String> = pats.iter().map(|p| format!("\\A{}\\z", p.regex)).collect();
    let dfa = anchored_dfa(&regexes, MatchKind::LeftmostFirst, nfa_limit, limit)?;
    let (bytes, pad) = dfa.to_bytes_little_endian();
    let bytes = bytes.get(pad..)?.to_vec();
    if bytes.len() > limit {
        return None;
    }
    Some(Dfa {
        bytes,
        rules: pats.iter().map(|p| p.rule).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::GlobBuilder;
    use policy_eval::glob::Glob;
    use proptest::prelude::*;
    use regex_automata::dfa::Automaton;
    use regex_automata::util::start;
    use regex_automata::Anchored;

    /// Builds one DFA of one glob and matches `subject`.
    fn dfa_match(glob: &str, mode: Mode, subject: &[u8]) -> bool {
        let re = glob_regex(glob, mode).expect("valid glob");
        let a = build_group(
            &[GroupPattern { rule: 0, regex: re }],
            GroupLimits::default(),
        )
        .expect("builds");
        a.dfas.iter().any(|d| run(d, subject).is_some())
    }

    /// [`search`] over an aligned copy of the DFA bytes.
    fn run(d: &Dfa, input: &[u8]) -> Option<u32> {
        let mut buf = vec![0u8; d.bytes.len() + 3];
        let off = buf.as_ptr().align_offset(4);
        buf[off..off + d.bytes.len()].copy_from_slice(&d.bytes);
        let (dfa, _) = dense::DFA::from_bytes(&buf[off..off + d.bytes.len()]).expect("valid");
        let mut s = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .expect("anchored start");
        for &b in input {
            s = dfa.next_state(s, b);
        }
        s = dfa.next_eoi_state(s);
        dfa.is_match_state(s)
            .then(|| d.rules[dfa.match_pattern(s, 0).as_usize()])
    }

    fn globset(glob: &str, sep: bool, subject: &[u8]) -> Option<bool> {
        let g = GlobBuilder::new(glob)
            .literal_separator(sep)
            .backslash_escape(true)
            .build()
            .ok()?;
        Some(
            g.compile_matcher()
                .is_match(std::str::from_utf8(subject).ok()?),
        )
    }

    /// Glob texts from a small alphabet rich in the syntax's corners.
    fn glob_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "b", ".", "/", "*", "**", "?", "[ab]", "[!a]", "[a-c]", "[^/]", "\\*", "**/",
                "/**", "/**/", "-", "é", "[é]",
            ]),
            0..8,
        )
        .prop_map(|v| v.concat())
    }

    fn subject() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!["a", "b", "c", ".", "/", "-", "*", "é", "ab"]),
            0..10,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn path_globs_match_as_globset_and_the_runtime(g in glob_text(), s in subject()) {
            let Ok(rt) = Glob::new(&g) else { return Ok(()) };
            let ours = dfa_match(&g, Mode::Path, s.as_bytes());
            prop_assert_eq!(ours, rt.is_match(&s), "runtime: {} vs {}", g, s);
            if let Some(gs) = globset(&g, true, s.as_bytes()) {
                prop_assert_eq!(ours, gs, "globset: {} vs {}", g, s);
            }
        }

        #[test]
        fn name_globs_match_as_globset_and_the_runtime(g in glob_text(), s in subject()) {
            let Ok(rt) = Glob::flat(&g) else { return Ok(()) };
            let ours = dfa_match(&g, Mode::Name, s.as_bytes());
            prop_assert_eq!(ours, rt.is_match(&s), "runtime: {} vs {}", g, s);
            if let Some(gs) = globset(&g, false, s.as_bytes()) {
                prop_assert_eq!(ours, gs, "globset: {} vs {}", g, s);
            }
        }

        /// A label glob matches a label (no `.`) as the runtime's label
        /// matcher does, and never spans a `.`.
        #[test]
        fn label_globs_match_labels_and_never_span_dots(g in glob_text(), s in subject()) {
            if g.contains('.') { return Ok(()) }
            let Ok(rt) = Glob::new(&g) else { return Ok(()) };
            let ours = dfa_match(&g, Mode::Label, s.as_bytes());
            if s.contains('.') {
                prop_assert!(!ours || !wildcard_spans_dot(&g), "{} spans a dot in {}", g, s);
            } else {
                prop_assert_eq!(ours, rt.is_match(&s), "runtime: {} vs {}", g, s);
            }
        }

        /// Label sequences under an anchor as `labels_match`: the labels match
        /// the rightmost labels of the remainder, `any_depth` allows more.
        #[test]
        fn label_sequences_match_as_the_runtime(
            labels in prop::collection::vec(prop::sample::select(vec!["a*", "*", "b", "?", "[!a]", "*-*", "ab"]), 1..3),
            any_depth in any::<bool>(),
            rem in prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", "a-b", "x", "é"]), 1..4),
        ) {
            let rem = rem.join(".");
            let labels: Vec<String> = labels.into_iter().map(String::from).collect();
            let re = labels_regex(&labels, any_depth).expect("valid");
            let a = build_group(&[GroupPattern { rule: 0, regex: re }], GroupLimits::default()).expect("builds");
            let ours = a.dfas.iter().any(|d| run(d, rem.as_bytes()).is_some());
            let parts: Vec<&str> = rem.split('.').collect();
            let want = if parts.len() < labels.len() || (!any_depth && parts.len() != labels.len()) {
                false
            } else {
                labels.iter().rev().zip(parts.iter().rev()).all(|(l, p)| Glob::new(l).is_ok_and(|g| g.is_match(p)))
            };
            prop_assert_eq!(ours, want, "{:?} {} vs {}", labels, any_depth, rem);
        }

        /// Port prefixes: a rule's ranges, and the no-port prefix for deny
        /// and ask rules only.
        #[test]
        fn port_prefixes_hold_exactly_the_ranges(
            mut ranges in prop::collection::vec((1u16..=65535, 0u16..2000), 1..4),
            probes in prop::collection::vec(any::<u16>(), 1..20),
            allow in any::<bool>(),
        ) {
            let mut r: Vec<(u16, u16)> = ranges.drain(..).map(|(a, w)| (a, a.saturating_add(w))).collect();
            r.sort_unstable();
            let mut merged: Vec<(u16, u16)> = Vec::new();
            for (a, b) in r {
                match merged.last_mut() {
                    Some(l) if a <= l.1.saturating_add(1) => l.1 = l.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let re = port_prefix(Some(&merged), allow);
            let a = build_group(&[GroupPattern { rule: 0, regex: re }], GroupLimits::default()).expect("builds");
            let d = &a.dfas[0];
            let mut all = probes.clone();
            for &(lo, hi) in &merged {
                all.extend([lo, hi, lo.wrapping_sub(1), hi.wrapping_add(1), lo & 0xff00, hi | 0xff]);
            }
            for p in all {
                let want = merged.iter().any(|&(a, b)| a <= p && p <= b);
                let got = run(d, &[0, (p >> 8) as u8, p as u8]).is_some();
                prop_assert_eq!(got, want, "port {} in {:?}", p, merged);
            }
            prop_assert_eq!(run(d, &[1, 0, 0]).is_some(), !allow);
        }
    }

    /// Whether a glob has a wildcard or class (that could, unconstrained,
    /// match a `.`).
    fn wildcard_spans_dot(g: &str) -> bool {
        g.contains(['*', '?', '['])
    }

    #[test]
    fn priority_is_leftmost_first_over_sorted_patterns() {
        // Patterns in priority order: the first matching one is reported,
        // whatever later (longer or more specific) patterns also match.
        let pats = [(3, "x.*"), (1, "xy"), (2, ".*")];
        let pats: Vec<GroupPattern> = pats
            .iter()
            .map(|(r, re)| GroupPattern {
                rule: *r,
                regex: re.to_string(),
            })
            .collect();
        let a = build_group(&pats, GroupLimits::default()).expect("builds");
        assert_eq!(a.dfas.len(), 1);
        assert_eq!(run(&a.dfas[0], b"xy"), Some(3));
        assert_eq!(run(&a.dfas[0], b"zz"), Some(2));
    }

    #[test]
    fn groups_split_in_priority_order_when_over_budget() {
        let pats: Vec<GroupPattern> = (0..64)
            .map(|i| GroupPattern {
                rule: i,
                regex: glob_regex(&format!("a{i}-*"), Mode::Name).expect("glob"),
            })
            .collect();
        let small = GroupLimits {
            dfa_bytes: 8 * 1024,
            max_dfas: 16,
        };
        let a = build_group(&pats, small).expect("fits in 16");
        assert!(a.dfas.len() > 1, "{}", a.dfas.len());
        let rules: Vec<u32> = a
            .dfas
            .iter()
            .flat_map(|d| d.rules.iter().copied())
            .collect();
        assert_eq!(
            rules,
            (0..64).collect::<Vec<_>>(),
            "contiguous chunks, in order"
        );
        assert!(a.dfas.iter().all(|d| d.bytes.len() <= 8 * 1024));
        let tiny = GroupLimits {
            dfa_bytes: 8 * 1024,
            max_dfas: 2,
        };
        assert!(build_group(&pats, tiny).is_err());
    }
}
