//! The hand-written glob matcher decides exactly as globset does (with
//! `backslash_escape(true)`, and `literal_separator(true)` for path globs,
//! `false` for name globs), on random patterns and subjects — fast
//! strategies and the general matcher alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use globset::GlobBuilder;
use policy_eval::glob::Glob;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
        * 8
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_globset(
        pattern in "([ab./-]|\\*|\\?|\\[!?a-b\\]|\\\\\\*|\\*\\*/|/\\*\\*){0,6}",
        fills in prop::collection::vec("[ab/.]{0,3}", 8),
        noise in prop::collection::vec("[ab./*?-]{0,8}", 4),
        separator in any::<bool>(),
    ) {
        // Subjects: the pattern with its wildcards filled in (matches and
        // near misses, stars standing for runs that may hold `/`), plus noise.
        let mut subjects = noise;
        for k in 0..4 {
            let mut s = String::new();
            let mut f = fills.iter().cycle().skip(k);
            for c in pattern.chars() {
                match c {
                    '*' | '?' | '[' | ']' | '!' | '\\' => s.push_str(f.next().map_or("", |x| x.as_str())),
                    other => s.push(other),
                }
            }
            subjects.push(s);
        }
        let reference = GlobBuilder::new(&pattern)
            .literal_separator(separator)
            .backslash_escape(true)
            .build();
        let ours = if separator { Glob::new(&pattern) } else { Glob::flat(&pattern) };
        match (reference, ours) {
            (Ok(r), Ok(g)) => {
                let r = r.compile_matcher();
                for s in &subjects {
                    prop_assert_eq!(r.is_match(s), g.is_match(s), "pattern {:?} subject {:?} sep {}", pattern, s, separator);
                }
            }
            (Err(_), Err(_)) => {}
            // globset accepts some things we refuse on purpose (braces are
            // expanded by the compiler); never the other way round.
            (Err(e), Ok(_)) => prop_assert!(false, "globset refuses {pattern:?} ({e}) but we accept it"),
            (Ok(_), Err(_)) => {}
        }
    }
}
