//! Pattern groups as dense DFAs (`regex-automata`, search only): loaded
//! from their validated serialized bytes, searched by stepping the DFA over
//! a condition prefix and the subject, so a probe costs one transition per
//! byte whatever the number and length of the group's patterns.
//!
//! The compiler builds each DFA with leftmost-first priority from patterns
//! sorted by (effect, rule index), every one anchored at both ends: the
//! pattern an anchored search reports is the deciding rule of its DFA.

use regex_automata::dfa::dense::DFA;
use regex_automata::dfa::Automaton;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::Anchored;

use super::rules::{Best, Scan};
use crate::artifact::{Automata, Condition, Rule, Surface};
use crate::error::LoadError;
use crate::limits::{MAX_DFAS_PER_GROUP, MAX_DFA_BYTES};

/// A validated DFA and the rule of each of its patterns.
type RuleDfa = (DFA<Vec<u32>>, Box<[u32]>);

/// The loaded automata of one pattern group, in priority order.
#[derive(Debug, Clone, Default)]
pub(crate) struct DfaSet {
    dfas: Vec<RuleDfa>,
}

impl DfaSet {
    /// Validates the automata of one group: each DFA deserializes
    /// (`DFA::from_bytes` checks every transition, start and match state),
    /// has one rule per pattern, and every rule exists, is of `surface` and
    /// is an HTTP rule (`Condition::Methods`) exactly when `http`.
    pub(crate) fn load(
        table: &'static str,
        a: &Automata,
        rules: &[Rule],
        surface: Surface,
        http: bool,
    ) -> Result<DfaSet, LoadError> {
        if a.dfas.len() > MAX_DFAS_PER_GROUP {
            return Err(LoadError::table(
                table,
                format!(
                    "{} automata in one group exceed the limit of {MAX_DFAS_PER_GROUP}",
                    a.dfas.len()
                ),
            ));
        }
        if !a.dfas.is_empty() && cfg!(target_endian = "big") {
            return Err(LoadError::table(
                table,
                "the artifact's automata are little-endian; big-endian hosts are not supported",
            ));
        }
        let mut dfas = Vec::with_capacity(a.dfas.len());
        for d in &a.dfas {
            if d.bytes.len() > MAX_DFA_BYTES {
                return Err(LoadError::table(
                    table,
                    format!(
                        "automaton of {} bytes exceeds the limit of {MAX_DFA_BYTES}",
                        d.bytes.len()
                    ),
                ));
            }
            let dfa = deserialize(&d.bytes).map_err(|e| {
                LoadError::table(table, format!("automaton does not deserialize: {e}"))
            })?;
            if dfa.pattern_len() != d.rules.len() || d.rules.is_empty() {
                return Err(LoadError::table(
                    table,
                    format!(
                        "automaton has {} patterns but {} rules",
                        dfa.pattern_len(),
                        d.rules.len()
                    ),
                ));
            }
            for &ri in &d.rules {
                match rules.get(ri as usize) {
                    Some(r)
                        if r.surface == surface
                            && matches!(r.cond, Condition::Methods(_)) == http => {}
                    Some(r) if r.surface == surface => {
                        return Err(LoadError::table(
                            table,
                            format!(
                                "automaton rule {ri}: HTTP rules belong to http path tables only"
                            ),
                        ))
                    }
                    Some(r) => {
                        return Err(LoadError::table(
                            table,
                            format!(
                                "automaton rule {ri} is a {:?} rule, used by a {surface:?} table",
                                r.surface
                            ),
                        ))
                    }
                    None => {
                        return Err(LoadError::table(
                            table,
                            format!("automaton rule {ri} out of range ({} rules)", rules.len()),
                        ))
                    }
                }
            }
            dfas.push((dfa, d.rules.clone().into_boxed_slice()));
        }
        Ok(DfaSet { dfas })
    }

    /// Searches `prefix` then `subject` in each DFA and reports the rule of
    /// the matching pattern. DFAs are in priority order, so the first match
    /// is the group's answer.
    #[inline]
    pub(crate) fn probe(&self, prefix: &[u8], subject: &[u8], scan: &Scan, best: &mut Best) {
        for (dfa, rules) in &self.dfas {
            if let Some(p) = search(dfa, prefix, subject) {
                if let Some(&ri) = rules.get(p) {
                    scan.consider_rule(best, ri);
                }
                return;
            }
        }
    }
}

/// The pattern matching all of `prefix` + `subject` in an anchored search,
/// if any: one transition per byte, stopping at a dead state.
#[inline]
fn search(dfa: &DFA<Vec<u32>>, prefix: &[u8], subject: &[u8]) -> Option<usize> {
    let mut s: StateID = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .ok()?;
    for &b in prefix.iter().chain(subject) {
        s = dfa.next_state(s, b);
        if dfa.is_special_state(s) && (dfa.is_dead_state(s) || dfa.is_quit_state(s)) {
            return None;
        }
    }
    s = dfa.next_eoi_state(s);
    if dfa.is_match_state(s) {
        Some(dfa.match_pattern(s, 0).as_usize())
    } else {
        None
    }
}

/// Deserializes a DFA from unaligned bytes: copies them to a 4-byte aligned
/// buffer (safe code: over-allocate and start at the aligned offset), lets
/// `from_bytes` validate them, and takes an owned copy.
fn deserialize(bytes: &[u8]) -> Result<DFA<Vec<u32>>, String> {
    let mut buf = vec![0u8; bytes.len() + 3];
    let off = buf.as_ptr().align_offset(4);
    let slot = off
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(off..end))
        .ok_or("no aligned buffer")?;
    slot.copy_from_slice(bytes);
    let (dfa, read) = DFA::from_bytes(slot).map_err(|e| e.to_string())?;
    if read != bytes.len() {
        return Err(format!(
            "{} trailing bytes after the automaton",
            bytes.len() - read
        ));
    }
    Ok(dfa.to_owned())
}
