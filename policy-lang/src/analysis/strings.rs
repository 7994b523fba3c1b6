//! Cells of a string dimension (host names, paths, secret and tool names):
//! the classes of strings that match exactly the same patterns.
//!
//! All patterns and a validity pattern (the canonical requests of the
//! dimension) are built into one anchored dense DFA with
//! [`MatchKind::All`], so the state after the end of input lists every
//! pattern matching the whole string. A breadth-first walk over the DFA's
//! states gives, for every reachable set of matching patterns, the shortest
//! string (readable bytes first) that reaches it: one witness per cell,
//! and every cell of canonical strings is reached. The DFA's size is the
//! budget; past it the dimension is unknown, never guessed.

use std::collections::{HashMap, HashSet, VecDeque};

use regex_automata::dfa::Automaton;
use regex_automata::util::{primitives::StateID, start};
use regex_automata::{Anchored, MatchKind};

use crate::automaton::anchored_dfa;

/// One class of strings: the patterns (indices into the input) that match
/// each of its strings, sorted, and the shortest such string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Indices of the matching patterns, ascending.
    pub matched: Vec<usize>,
    /// The shortest canonical string of the class.
    pub witness: Vec<u8>,
}

/// Which cells to report.
#[derive(Debug, Clone, Copy)]
pub enum Focus<'a> {
    /// Every cell, the one matching no pattern included.
    All,
    /// Cells matching at least one pattern marked `true`.
    Some(&'a [bool]),
}

/// The DFA would exceed the budget (bytes), or a pattern does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// The byte order of the walk: readable bytes first, so witnesses are short
/// and legible; every byte is tried, so no cell is missed.
fn byte_order() -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut n = 0;
    let mut push = |b: u8, seen: &mut [bool; 256]| {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            out[n] = b;
            n += 1;
        }
    };
    let mut seen = [false; 256];
    for b in (b'a'..=b'z').chain(b'0'..=b'9').chain(*b"-_./:") {
        push(b, &mut seen);
    }
    for b in (0x21..=0x7e).chain(0x20..=0xff).chain(0..=0xff) {
        push(b, &mut seen);
    }
    out
}

/// The cells of `patterns` (regexes without anchors, byte mode) among the
/// strings `validity` matches, restricted by `focus`, in order of their
/// witnesses' discovery. `budget` bounds the DFA in bytes.
pub fn cells(
    patterns: &[String],
    focus: Focus<'_>,
    validity: &str,
    budget: usize,
) -> Result<Vec<Cell>, TooLarge> {
    let mut regexes: Vec<String> = Vec::with_capacity(patterns.len() + 1);
    regexes.push(format!("\\A(?:{validity})\\z"));
    regexes.extend(patterns.iter().map(|p| format!("\\A(?:{p})\\z")));
    let dfa = anchored_dfa(&regexes, MatchKind::All, budget, budget).ok_or(TooLarge)?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .map_err(|_| TooLarge)?;
    // One byte of each equivalence class (all its bytes lead to the same
    // states), the most readable one.
    let classes = dfa.byte_classes();
    let mut class_seen = vec![false; classes.alphabet_len()];
    let order: Vec<u8> = byte_order()
        .into_iter()
        .filter(|&b| {
            let c = usize::from(classes.get(b));
            !std::mem::replace(&mut class_seen[c], true)
        })
        .collect();
    // Parent pointers: state -> (previous state, byte).
    let mut parent: HashMap<StateID, (StateID, u8)> = HashMap::new();
    let mut seen: HashSet<StateID> = HashSet::from([start]);
    let mut queue: VecDeque<StateID> = VecDeque::from([start]);
    let mut found: HashSet<Vec<usize>> = HashSet::new();
    let mut out: Vec<Cell> = Vec::new();
    while let Some(s) = queue.pop_front() {
        let eoi = dfa.next_eoi_state(s);
        if dfa.is_match_state(eoi) {
            let mut valid = false;
            let mut matched: Vec<usize> = Vec::new();
            for i in 0..dfa.match_len(eoi) {
                match dfa.match_pattern(eoi, i).as_usize() {
                    0 => valid = true,
                    p => matched.push(p - 1),
                }
            }
            matched.sort_unstable();
            let wanted = match focus {
                Focus::All => true,
                Focus::Some(mask) => matched.iter().any(|&p| mask.get(p) == Some(&true)),
            };
            if valid && wanted && found.insert(matched.clone()) {
                out.push(Cell {
                    matched,
                    witness: path_to(&parent, start, s),
                });
            }
        }
        for &b in &order {
            let t = dfa.next_state(s, b);
            if dfa.is_dead_state(t) || dfa.is_quit_state(t) || !seen.insert(t) {
                continue;
            }
            parent.insert(t, (s, b));
            queue.push_back(t);
        }
    }
    Ok(out)
}

/// The bytes leading from `start` to `s` along the parent pointers.
fn path_to(parent: &HashMap<StateID, (StateID, u8)>, start: StateID, mut s: StateID) -> Vec<u8> {
    let mut bytes: Vec<u8> = Vec::new();
    while s != start {
        let Some(&(p, b)) = parent.get(&s) else { break };
        bytes.push(b);
        s = p;
    }
    bytes.reverse();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pats: &[&str], validity: &str) -> Vec<(Vec<usize>, String)> {
        let pats: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
        let mut got: Vec<(Vec<usize>, String)> = cells(&pats, Focus::All, validity, 1 << 20)
            .unwrap()
            .into_iter()
            .map(|c| (c.matched, String::from_utf8(c.witness).unwrap()))
            .collect();
        got.sort();
        got
    }

    #[test]
    fn every_combination_of_matching_patterns_gets_its_shortest_witness() {
        // `a.*` and `.*b`: four cells, each with its shortest member.
        let got = run(&["a[a-z]*", "[a-z]*b"], "[a-z]+");
        assert_eq!(
            got,
            vec![
                (vec![], "c".to_string()),
                (vec![0], "a".to_string()),
                (vec![0, 1], "ab".to_string()),
                (vec![1], "b".to_string()),
            ]
        );
    }

    #[test]
    fn cells_outside_validity_are_not_reported() {
        // The only string matching both needs a digit, which is not valid.
        let got = run(&["x[0-9]", "x."], "[a-z]+");
        assert_eq!(
            got,
            vec![(vec![], "a".to_string()), (vec![1], "xa".to_string())]
        );
    }

    #[test]
    fn focus_keeps_the_cells_of_the_marked_patterns() {
        let pats = vec!["a[a-z]*".to_string(), "[a-z]*b".to_string()];
        let got: Vec<Vec<usize>> = cells(&pats, Focus::Some(&[false, true]), "[a-z]+", 1 << 20)
            .unwrap()
            .into_iter()
            .map(|c| c.matched)
            .collect();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|m| m.contains(&1)));
    }

    #[test]
    fn a_dfa_over_the_budget_is_refused() {
        let pats = vec!["[a-z]*a[a-z]{12}".to_string()];
        assert_eq!(cells(&pats, Focus::All, "[a-z]+", 4096), Err(TooLarge));
    }
}
