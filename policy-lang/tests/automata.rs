//! Pattern groups compiled to DFAs (issue 13): the precedence a group's
//! leftmost-first automaton gives, its condition prefixes (ports, access,
//! seeing and sending), against the reference interpreter and fixed
//! expectations; a very large group; a group that explodes is refused
//! quickly with E0008.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use policy_eval::{Access, Context, Decision, Effect, Policy, Request};
use policy_lang::diag::{Code, Severity};
use policy_lang::{build, reference};

/// The loaded policy and the checked one of `src` (no errors allowed).
fn built(src: &str) -> (Policy, policy_lang::model::CheckedPolicy) {
    let b = build(src);
    assert!(!b.has_errors(), "{:#?}", b.diagnostics);
    (b.policy.expect("policy"), b.checked.expect("checked"))
}

/// Decides `req` with the compiled policy, checks the reference agrees, and
/// returns (effect, rule id).
fn decide(src: &str, req: &Request<'_>, ctx: &Context<'_>) -> (Effect, Option<String>) {
    let (p, checked) = built(src);
    let d = p.decide(req, ctx);
    let want = reference::decide(&checked, req, ctx);
    assert_eq!(d, want, "compiled vs reference for {req:?}");
    (d.effect, id(&p, &d))
}

fn id(p: &Policy, d: &Decision) -> Option<String> {
    d.rule.and_then(|r| p.rule(r)).map(|r| r.id.clone())
}

fn net<'a>(host: &'a str, port: Option<u32>) -> Request<'a> {
    Request::Network {
        host: Some(host),
        ip: None,
        port,
        http: None,
    }
}

const NONE: &Context<'static> = &Context {
    roots: &[],
    user: None,
    session: None,
    agent: None,
};

#[test]
fn a_later_deny_beats_an_earlier_allow_in_one_group() {
    let src = "policy p\nnetwork {\n  first: allow api-*.example.com\n  second: deny *-prod.example.com\n}\n";
    assert_eq!(
        decide(src, &net("api-prod.example.com", Some(443)), NONE),
        (Effect::Deny, Some("second".into()))
    );
    assert_eq!(
        decide(src, &net("api-dev.example.com", Some(443)), NONE),
        (Effect::Allow, Some("first".into()))
    );
    assert_eq!(
        decide(src, &net("web.example.com", None), NONE),
        (Effect::Deny, None)
    );
}

#[test]
fn source_order_decides_among_equal_effects() {
    let src = "policy p\nnetwork {\n  a: ask x*.example.com\n  b: ask *y.example.com\n  c: allow xy.example.com, *y.example.com\n}\n";
    assert_eq!(
        decide(src, &net("xy.example.com", None), NONE),
        (Effect::Ask, Some("a".into()))
    );
    assert_eq!(
        decide(src, &net("zy.example.com", None), NONE),
        (Effect::Ask, Some("b".into()))
    );
    // Also without an anchor: one-label globs (`xN-*`) sit under "".
    let src = "policy p\nnetwork {\n  a: allow x1-*\n  b: allow x*\n  c: deny x1-z*\n}\n";
    assert_eq!(
        decide(src, &net("x1-a", None), NONE),
        (Effect::Allow, Some("a".into()))
    );
    assert_eq!(
        decide(src, &net("x1-zz", None), NONE),
        (Effect::Deny, Some("c".into()))
    );
    assert_eq!(
        decide(src, &net("x2", None), NONE),
        (Effect::Allow, Some("b".into()))
    );
    assert_eq!(decide(src, &net("y", None), NONE), (Effect::Deny, None));
}

#[test]
fn port_prefixes_decide_as_the_port_conditions() {
    let src = "policy p\nnetwork {\n  ssh: deny git-*.example.com port 22\n  web: allow git-*.example.com port 443, 8000-8999\n  askall: ask **.g*.example.com port 1-1000\n}\n";
    let cases: &[(&str, Option<u32>, Effect, Option<&str>)] = &[
        ("git-a.example.com", Some(22), Effect::Deny, Some("ssh")),
        // Ask beats allow: `**.g*` covers `git-a` too, and 443 is in 1-1000.
        ("git-a.example.com", Some(443), Effect::Ask, Some("askall")),
        ("git-a.example.com", Some(8500), Effect::Allow, Some("web")),
        ("git-a.example.com", Some(9000), Effect::Deny, None),
        // No port: a port-limited deny applies, a port-limited allow never grants.
        ("git-a.example.com", None, Effect::Deny, Some("ssh")),
        ("x.ga.example.com", None, Effect::Ask, Some("askall")),
        ("x.ga.example.com", Some(999), Effect::Ask, Some("askall")),
        ("x.ga.example.com", Some(1001), Effect::Deny, None),
        ("git-a.example.com", Some(256), Effect::Ask, Some("askall")),
    ];
    for &(host, port, effect, rule) in cases {
        assert_eq!(
            decide(src, &net(host, port), NONE),
            (effect, rule.map(String::from)),
            "{host} {port:?}"
        );
    }
}

#[test]
fn access_prefixes_decide_read_and_write_parts() {
    let src = "policy p\nfilesystem {\n  ro: allow read /data/*.csv\n  nowrite: deny write /data/**/x*\n  rw: ask read write /data/*/*.log\n}\n";
    let fs = |path, access| Request::Filesystem { path, access };
    let cases: &[(&str, Access, Effect, Option<&str>)] = &[
        ("/data/a.csv", Access::READ, Effect::Allow, Some("ro")),
        ("/data/a.csv", Access::WRITE, Effect::Deny, None),
        ("/data/xa.csv", Access::WRITE, Effect::Deny, Some("nowrite")),
        ("/data/xa.csv", Access::READ, Effect::Allow, Some("ro")),
        (
            "/data/xa.csv",
            Access::READ_WRITE,
            Effect::Deny,
            Some("nowrite"),
        ),
        ("/data/d/a.log", Access::READ, Effect::Ask, Some("rw")),
        ("/data/d/a.log", Access::WRITE, Effect::Ask, Some("rw")),
        (
            "/data/d/x.log",
            Access::WRITE,
            Effect::Deny,
            Some("nowrite"),
        ),
        // `dir/**/x*` also matches at depth zero.
        ("/data/x", Access::WRITE, Effect::Deny, Some("nowrite")),
    ];
    for &(path, access, effect, rule) in cases {
        assert_eq!(
            decide(src, &fs(path, access), NONE),
            (effect, rule.map(String::from)),
            "{path} {access:?}"
        );
    }
}

#[test]
fn see_and_send_prefixes_decide_credentials() {
    let src = "policy p\ncredentials {\n  \
        hidden: deny *_secret\n  \
        seen: allow *_token\n  \
        sendgh: allow gh_*_token to github.com\n  \
        noevil: deny *_token to evil.com\n  \
        askkey: ask *_key to 10.0.0.0/8\n}\n";
    let cred = |name, host| Request::Credential {
        name,
        host,
        ip: None,
    };
    let cases: &[(&str, Option<&str>, Effect, Option<&str>)] = &[
        ("db_secret", None, Effect::Deny, Some("hidden")),
        (
            "db_secret",
            Some("github.com"),
            Effect::Deny,
            Some("hidden"),
        ),
        ("gh_a_token", None, Effect::Allow, Some("seen")),
        // Sending needs a rule with `to`; seeing still needs `seen`.
        (
            "gh_a_token",
            Some("github.com"),
            Effect::Allow,
            Some("sendgh"),
        ),
        ("x_token", Some("github.com"), Effect::Deny, None),
        ("gh_a_token", Some("evil.com"), Effect::Deny, Some("noevil")),
        // A deny with `to` does not hide the secret.
        ("x_token", None, Effect::Allow, Some("seen")),
        // Seeing through an ask with `to`.
        ("db_key", None, Effect::Ask, Some("askkey")),
        ("db_key", Some("10.1.2.3"), Effect::Ask, Some("askkey")),
        ("db_key", Some("11.1.2.3"), Effect::Deny, None),
    ];
    for &(name, host, effect, rule) in cases {
        assert_eq!(
            decide(src, &cred(name, host), NONE),
            (effect, rule.map(String::from)),
            "{name} {host:?}"
        );
    }
}

#[test]
fn tool_globs_have_no_prefix() {
    let src = "policy p\nmcp {\n  server gh {\n    deny *delete*\n    allow *\n  }\n}\n";
    let mcp = |tool| Request::Mcp {
        server: "gh",
        tool: Some(tool),
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    assert_eq!(decide(src, &mcp("repo_delete_x"), NONE).0, Effect::Deny);
    assert_eq!(decide(src, &mcp("list/a"), NONE).0, Effect::Allow);
}

#[test]
fn a_hundred_thousand_label_globs_compile_and_decide() {
    let n = 100_000;
    let mut src = String::from("policy p\nnetwork {\n");
    for i in 0..n {
        src.push_str(&format!("  allow a{i}-*.example.com\n"));
    }
    src.push_str("  deny a77-evil*.example.com\n}\n");
    let b = build(&src);
    assert!(!b.has_errors(), "{:?}", &b.diagnostics[..1]);
    let art = b.artifact.as_ref().expect("artifact");
    let group = &art.network.domains[0].globs;
    assert!(group.dfas.len() > 1 && group.dfas.len() <= policy_eval::limits::MAX_DFAS_PER_GROUP);
    let p = b.policy.expect("policy");
    let d = |host| {
        let d = p.decide(&net(host, Some(443)), NONE);
        (d.effect, id(&p, &d))
    };
    assert_eq!(
        d("a0-x.example.com"),
        (Effect::Allow, Some(art.rules[0].id.clone()))
    );
    assert_eq!(
        d("a99999-.example.com"),
        (Effect::Allow, Some(art.rules[99_999].id.clone()))
    );
    assert_eq!(
        d("a77-x.example.com"),
        (Effect::Allow, Some(art.rules[77].id.clone()))
    );
    assert_eq!(d("a77-evil.example.com").0, Effect::Deny);
    assert_eq!(d("a100000-x.example.com"), (Effect::Deny, None));
    assert_eq!(d("a5-x.y.example.com"), (Effect::Deny, None));
}

/// The only error of building `src`, and how long the build took.
fn refused(src: &str) -> (policy_lang::diag::Diagnostic, Duration) {
    let t = Instant::now();
    let b = build(src);
    let took = t.elapsed();
    let errors: Vec<_> = b
        .diagnostics
        .into_iter()
        .filter(|d| d.severity() == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(b.bytes.is_none() && b.policy.is_none());
    (errors.into_iter().next().unwrap(), took)
}

#[test]
fn an_exploding_group_is_refused_quickly_naming_its_rules() {
    let mut src = String::from("policy p\ncredentials {\n");
    for i in 0..1000 {
        src.push_str(&format!("  deny *_{i}_*\n"));
    }
    src.push_str("}\n");
    let (d, took) = refused(&src);
    assert_eq!(d.code, Code::TooComplex);
    assert!(d.message.contains("credential.deny.*_0_*"), "{}", d.message);
    assert!(d.message.contains("and 995 more"), "{}", d.message);
    assert!(d.help.as_deref().unwrap_or("").contains("dir/**"));
    // Line 3, where the first rule responsible is.
    assert_eq!(&src[d.span.start..d.span.end], "deny *_0_*");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // Unions of path "contains" globs explode the same way.
    let mut src = String::from("policy p\nfilesystem {\n");
    for i in 0..1000 {
        src.push_str(&format!("  allow read /*x{i}*/**\n"));
    }
    src.push_str("}\n");
    let (d, _) = refused(&src);
    assert_eq!(d.code, Code::TooComplex);
    assert!(d.message.contains("path globs under `/`"), "{}", d.message);
}

#[test]
fn too_many_send_globs_are_refused() {
    let n = policy_eval::limits::MAX_SEND_GLOBS;
    let policy = |k: usize| {
        let mut src = String::from("policy p\ncredentials {\n");
        for i in 0..k {
            src.push_str(&format!("  allow *_t{i} to example.com\n"));
        }
        src.push_str("}\n");
        src
    };
    let b = build(&policy(n));
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let (d, _) = refused(&policy(n + 1));
    assert_eq!(d.code, Code::TooComplex);
    assert!(
        d.message.contains("more than the limit of 64"),
        "{}",
        d.message
    );
}
