//! No input makes the front end panic: arbitrary text, arbitrary bytes, and
//! near-valid policies with random edits all come back as diagnostics.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_lang::check::{check_bytes, check_source};
use proptest::prelude::*;

const SEED: &str = "policy p\nversion 1\nnetwork {\n  default deny\n  n1: allow a.example.com, **.b.org port 443, 8000-9000\n  deny @metadata, 10.0.0.0/8\n}\nfilesystem {\n  allow read write $workspace/{src,tests}/**\n  deny read ~/.ssh/**\n}\ncredentials {\n  allow GITHUB_TOKEN to github.com for 1h\n}\nmcp {\n  server github source \"ghcr.io/x:1\" {\n    allow get_*\n  }\n}\n";

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(s in ".{0,400}") {
        let r = check_source(&s);
        // An invalid policy always says why.
        prop_assert!(r.policy.is_some() || !r.diagnostics.is_empty());
    }

    #[test]
    fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let r = check_bytes(&b);
        prop_assert!(r.policy.is_some() || !r.diagnostics.is_empty());
    }

    #[test]
    fn edited_valid_policy(edits in prop::collection::vec((0usize..SEED.len(), "[{}\\[\\]\"#,*/.:@$~\\\\a-z0-9 \n\t-]{0,3}", 0usize..4), 1..6)) {
        let mut s = SEED.to_string();
        for (at, insert, delete) in edits {
            let at = (0..=at.min(s.len())).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            let end = (at..=(at + delete).min(s.len())).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(at);
            s.replace_range(at..end, &insert);
        }
        let r = check_source(&s);
        prop_assert!(r.policy.is_some() || !r.diagnostics.is_empty());
        // Every span lies inside the source.
        for d in &r.diagnostics {
            prop_assert!(d.span.start <= d.span.end && d.span.end <= s.len(), "{d:?}");
        }
    }
}

#[test]
fn seed_is_valid() {
    let r = check_source(SEED);
    assert!(r.policy.is_some(), "{:?}", r.diagnostics);
}

#[test]
fn deep_nesting_and_unterminated_constructs() {
    for src in [
        "{".repeat(10_000),
        "policy p\n".to_string() + &"network {\n".repeat(5_000),
        "policy p\nnetwork {\n  allow \"unterminated\n".to_string(),
        "policy p\nmcp {\n  server a {\n    allow x\n".to_string(),
        "[".repeat(10_000),
        "policy p\nfilesystem {\n  allow read /{{{{{{{{{{a}\n}\n".to_string(),
        String::new(),
    ] {
        let r = check_source(&src);
        assert!(r.policy.is_none(), "{src:.40}");
        assert!(!r.diagnostics.is_empty());
    }
}

#[test]
fn ten_thousand_rules_check_clean() {
    let mut s = String::from("policy big\nnetwork {\n");
    for i in 0..10_000 {
        s.push_str(&format!("  allow host{i}.example.com port 443\n"));
    }
    s.push_str("}\n");
    let r = check_source(&s);
    let policy = r.policy.expect("valid");
    assert_eq!(policy.rules.len(), 10_000);
}
