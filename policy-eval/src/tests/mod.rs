//! Unit tests of the runtime, named after the rule each one checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod approval;
mod decide;
mod http;
mod json;
mod limits;
mod list;
mod normalize;
mod pin;
mod stack;
mod wire;

use crate::artifact::{Automata, Dfa};

/// One DFA of `(rule, regex)` patterns in priority order, built as the
/// compiler builds them: each `\A<regex>\z`, leftmost-first, anchored,
/// byte mode. Regexes include their condition prefix.
pub(super) fn automata(pats: &[(u32, &str)]) -> Automata {
    use regex_automata::dfa::{dense, StartKind};
    use regex_automata::nfa::thompson;
    use regex_automata::util::syntax;
    use regex_automata::MatchKind;
    let regexes: Vec<String> = pats.iter().map(|(_, r)| format!("\\A(?:{r})\\z")).collect();
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .start_kind(StartKind::Anchored),
        )
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .thompson(thompson::Config::new().utf8(false))
        .build_many(&regexes)
        .expect("test regexes build");
    let (bytes, pad) = dfa.to_bytes_little_endian();
    Automata {
        dfas: vec![Dfa {
            bytes: bytes[pad..].to_vec(),
            rules: pats.iter().map(|(r, _)| *r).collect(),
        }],
    }
}
