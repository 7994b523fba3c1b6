//! The compiler's limits (`policy_eval::limits`, table in `spec/limits.md`):
//! just over each one gives its diagnostic, just at it is accepted.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::limits::{
    MAX_BRACE_EXPANSION, MAX_PATTERNS, MAX_PATTERN_LEN, MAX_POLICY_SOURCE_BYTES, MAX_RULES,
};
use policy_lang::check::{check_source, CheckResult};
use policy_lang::compile::compile;

/// The only error of `r`, as (code, message).
fn only_error(r: &CheckResult) -> (&'static str, String) {
    let errors: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity() == policy_lang::diag::Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(r.policy.is_none());
    (errors[0].code.as_str(), errors[0].message.clone())
}

fn clean(r: &CheckResult) {
    assert!(
        r.diagnostics.is_empty(),
        "{:#?}",
        r.diagnostics.iter().take(3).collect::<Vec<_>>()
    );
    assert!(r.policy.is_some());
}

const HEAD: &str = "policy limits\nnetwork {\n  allow example.com\n}\n";

#[test]
fn source_size_limit() {
    let mut src = String::from(HEAD);
    src.push('#');
    src.push_str(&"x".repeat(MAX_POLICY_SOURCE_BYTES + 1 - src.len()));
    assert_eq!(src.len(), MAX_POLICY_SOURCE_BYTES + 1);
    let (code, msg) = only_error(&check_source(&src));
    assert_eq!(code, "E0003");
    assert_eq!(
        msg,
        format!(
            "source is {} bytes, more than the limit of {MAX_POLICY_SOURCE_BYTES} bytes",
            MAX_POLICY_SOURCE_BYTES + 1
        )
    );
}

#[test]
#[ignore = "slow in debug builds; run with --ignored (or --release)"]
fn source_size_at_the_limit_is_accepted() {
    // A valid policy padded with a comment to exactly the limit.
    let mut src = String::from(HEAD);
    src.push('#');
    src.push_str(&"x".repeat(MAX_POLICY_SOURCE_BYTES - src.len() - 1));
    src.push('\n');
    assert_eq!(src.len(), MAX_POLICY_SOURCE_BYTES);
    clean(&check_source(&src));
}

/// A policy with `n` network rules (named, so each has its own id).
fn rules(n: usize) -> String {
    let mut src = String::with_capacity(n * 24 + 32);
    src.push_str("policy limits\nnetwork {\n");
    for i in 0..n {
        src.push_str(&format!("  allow h{i}.example\n"));
    }
    src.push_str("}\n");
    src
}

#[test]
fn rule_count_limit() {
    let src = rules(MAX_RULES + 1);
    let r = check_source(&src);
    let (code, msg) = only_error(&r);
    assert_eq!(code, "E0003");
    assert_eq!(msg, format!("policy has more than {MAX_RULES} rules"));
    // The diagnostic points at the first rule over the limit.
    let d = &r.diagnostics[0];
    assert_eq!(
        &src[d.span.start..d.span.end],
        format!("allow h{MAX_RULES}.example")
    );
}

/// A credentials policy with one rule whose patterns expand to exactly `n`
/// names: targets of 256 (four 4-way brace groups), then the rest one by
/// one.
fn patterns(n: usize) -> String {
    let group = "{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}";
    let mut targets: Vec<String> = (0..n / 256).map(|i| format!("S{i}_{group}")).collect();
    targets.extend((0..n % 256).map(|i| format!("T{i}")));
    format!(
        "policy limits\ncredentials {{\n  deny {}\n}}\n",
        targets.join(", ")
    )
}

#[test]
fn pattern_count_limit_counts_brace_expansions() {
    // One rule of 3,907 written patterns: their expansions are what count,
    // and the checker stops expanding at the limit.
    let r = check_source(&patterns(MAX_PATTERNS + 1));
    let (code, msg) = only_error(&r);
    assert_eq!(code, "E0003");
    assert_eq!(
        msg,
        format!("policy has more than {MAX_PATTERNS} patterns (after brace and set expansion)")
    );
}

#[test]
#[ignore = "slow in debug builds; run with --ignored (or --release)"]
fn pattern_count_at_the_limit_is_accepted() {
    clean(&check_source(&patterns(MAX_PATTERNS)));
}

/// A filesystem policy with one path pattern of exactly `len` bytes.
fn path_pattern(len: usize) -> String {
    let mut p = String::from("/d");
    while p.len() < len {
        let seg = (len - p.len() - 1).min(200);
        p.push('/');
        p.push_str(&"a".repeat(seg.max(1)));
    }
    assert_eq!(p.len(), len);
    format!("policy limits\nfilesystem {{\n  deny read {p}\n}}\n")
}

#[test]
fn pattern_length_limit() {
    clean(&check_source(&path_pattern(MAX_PATTERN_LEN)));
    let (code, msg) = only_error(&check_source(&path_pattern(MAX_PATTERN_LEN + 1)));
    assert_eq!(code, "E0003");
    assert_eq!(
        msg,
        format!(
            "pattern is {} bytes, more than the limit of {MAX_PATTERN_LEN}",
            MAX_PATTERN_LEN + 1
        )
    );
    // Network patterns too (checked before any other parsing).
    let host = format!("{}.example", "a".repeat(MAX_PATTERN_LEN));
    let src = format!("policy limits\nnetwork {{\n  deny {host}\n}}\n");
    let (code, msg) = only_error(&check_source(&src));
    assert_eq!(code, "E0003");
    assert!(msg.contains("more than the limit of 1024"), "{msg}");
}

#[test]
fn brace_expansion_limit() {
    // 4 * 4 * 4 * 4 = 256 alternatives: accepted; one more group: E0205.
    let g = "{a,b,c,d}";
    let at = format!(
        "policy limits\ncredentials {{\n  deny X_{}\n}}\n",
        g.repeat(4)
    );
    clean(&check_source(&at));
    assert_eq!(MAX_BRACE_EXPANSION, 256);
    let over = format!(
        "policy limits\ncredentials {{\n  deny X_{}\n}}\n",
        g.repeat(5)
    );
    let (code, msg) = only_error(&check_source(&over));
    assert_eq!(code, "E0205");
    assert!(
        msg.contains(&format!("more than {MAX_BRACE_EXPANSION} patterns")),
        "{msg}"
    );
}

#[test]
#[ignore = "slow in debug builds; run with --ignored (or --release)"]
fn a_policy_at_the_rule_limit_checks_compiles_and_loads() {
    let src = rules(MAX_RULES);
    let r = check_source(&src);
    clean(&r);
    let checked = r.policy.expect("clean");
    let compiled = compile(&checked, &src).expect("within the table budget");
    let bytes = compiled.artifact.to_bytes();
    let policy = policy_eval::Policy::from_bytes(&bytes).expect("loads");
    assert_eq!(policy.artifact().rules.len(), MAX_RULES);
    // A server's approval is a rule too.
    let server = "mcp {\n  server github {\n  }\n}\n";
    clean(&check_source(&(rules(MAX_RULES - 1) + server)));
    let (code, msg) = only_error(&check_source(&(rules(MAX_RULES) + server)));
    assert_eq!(code, "E0003");
    assert_eq!(msg, format!("policy has more than {MAX_RULES} rules"));
}
