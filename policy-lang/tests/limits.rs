//! The compiler's limits (`policy_eval::limits`, table in `spec/limits.md`):
//! just over each one gives its diagnostic, just at it is accepted.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::limits::{
    MAX_BRACE_EXPANSION, MAX_PATTERNS, MAX_PATTERN_LEN, MAX_POLICY_SOURCE_BYTES, MAX_ROOT_BINDINGS,
    MAX_RULES,
};
use policy_eval::{Access, Context, Decision, Invalid, Reason, Request};
use policy_lang::check::{check_bytes, check_source, source_too_large, CheckResult};
use policy_lang::reference;

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
    // Raw bytes: the size is checked first, before UTF-8 validation.
    let (code, msg) = only_error(&check_bytes(&vec![0xff; MAX_POLICY_SOURCE_BYTES + 1]));
    assert_eq!(
        (code, msg.starts_with("source is 8388609 bytes")),
        ("E0003", true)
    );
    // Callers that know the size without the text get the same diagnostic.
    assert_eq!(
        source_too_large(MAX_POLICY_SOURCE_BYTES as u64 + 1).diagnostics,
        check_source(&src).diagnostics
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

#[test]
fn labelled_rules_up_to_the_rule_limit_are_checked_in_linear_time() {
    // MAX_RULES rules, each with its own name except the last, which repeats
    // the first. Duplicate names are found by hash lookup: a search over the
    // earlier rules made this take about 2 * 10^10 comparisons.
    let mut src = String::with_capacity(MAX_RULES * 30 + 32);
    src.push_str("policy limits\nnetwork {\n");
    for i in 0..MAX_RULES - 1 {
        src.push_str(&format!("  r{i}: allow h{i}.example\n"));
    }
    src.push_str("  r0: allow last.example\n}\n");
    let r = check_source(&src);
    let (code, msg) = only_error(&r);
    assert_eq!(code, "E0015");
    assert_eq!(msg, "rule name `r0` is used twice");
    let d = &r.diagnostics[0];
    assert_eq!(&src[d.span.start..d.span.end], "r0");
    assert!(d.span.start > src.len() - 30, "the repeat, not the first");
    let [(first, note)] = d.notes.as_slice() else {
        panic!("{:?}", d.notes)
    };
    assert_eq!(note, "first used here");
    assert_eq!(&src[first.start..first.end], "r0: allow h0.example");
}

#[test]
fn many_mcp_servers_compile_in_linear_time() {
    // 50,000 server blocks with one tool rule each (100,000 rules): tool
    // rules are grouped by server in one pass, not one pass per server.
    let n = 50_000;
    let mut src = String::with_capacity(n * 40 + 32);
    src.push_str("policy limits\nmcp {\n");
    for i in 0..n {
        src.push_str(&format!("  server s{i} {{\n    allow t{i}\n  }}\n"));
    }
    src.push_str("}\n");
    let b = policy_lang::build(&src);
    assert!(b.diagnostics.is_empty(), "{:?}", b.diagnostics);
    let policy = b.policy.expect("compiles and loads");
    let servers = &policy.artifact().mcp.servers;
    assert_eq!(servers.len(), n);
    let last = &servers[n - 1];
    assert_eq!(last.name, format!("s{}", n - 1));
    assert_eq!(last.tools.exact.len(), 1);
    assert_eq!(last.tools.exact[0].0, format!("t{}", n - 1));
}

#[test]
fn root_binding_limit_in_the_reference_interpreter() {
    let src = "policy limits\nfilesystem {\n  ws: allow read $workspace/**\n}\n";
    let r = check_source(src);
    clean(&r);
    let checked = r.policy.expect("clean");
    let names: Vec<String> = (0..=MAX_ROOT_BINDINGS)
        .map(|i| match i {
            0 => "workspace".to_string(),
            i => format!("r{i}"),
        })
        .collect();
    let bound: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "/w")).collect();
    let req = Request::Filesystem {
        path: "/w/x",
        access: Access::READ,
    };
    let decide = |n: usize| {
        let ctx = Context {
            roots: &bound[..n],
            ..Context::default()
        };
        reference::decide(&checked, &req, &ctx)
    };
    assert_eq!(decide(MAX_ROOT_BINDINGS).reason, Reason::Rule);
    assert_eq!(
        decide(MAX_ROOT_BINDINGS + 1),
        Decision::invalid(Invalid::TooManyRoots)
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
    let b = policy_lang::build(&src);
    assert!(b.diagnostics.is_empty(), "{:?}", b.diagnostics);
    let policy = b.policy.expect("within the table budget, and loads");
    assert_eq!(policy.artifact().rules.len(), MAX_RULES);
    // A server's approval is a rule too.
    let server = "mcp {\n  server github {\n  }\n}\n";
    clean(&check_source(&(rules(MAX_RULES - 1) + server)));
    let (code, msg) = only_error(&check_source(&(rules(MAX_RULES) + server)));
    assert_eq!(code, "E0003");
    assert_eq!(msg, format!("policy has more than {MAX_RULES} rules"));
}

#[test]
fn root_count_limit() {
    // Each `$rN` root is one binding a request must supply; a policy using
    // more than a request can bind could never decide a filesystem request.
    let policy = |n: usize| {
        let mut s = String::from("policy limits\nfilesystem {\n");
        for i in 0..n {
            s.push_str(&format!("  allow read $r{i}/**\n"));
        }
        s + "  allow read ~/x/**\n}\n"
    };
    // `~` is the root `home`: 63 `$rN` + home = 64 roots.
    clean(&check_source(&policy(MAX_ROOT_BINDINGS - 1)));
    let (code, msg) = only_error(&check_source(&policy(MAX_ROOT_BINDINGS)));
    assert_eq!(code, "E0003");
    assert_eq!(
        msg,
        format!("policy uses more than {MAX_ROOT_BINDINGS} named path roots; a request context binds at most {MAX_ROOT_BINDINGS}")
    );
}
