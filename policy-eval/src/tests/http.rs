//! HTTP method and path rules (`spec/language.md` section 7, "HTTP rules";
//! `spec/artifact.md` section 9), on hand-built artifacts.

use super::decide::B;
use crate::artifact::*;
use crate::decision::{Context, Decision, Http, Invalid, Reason, Request};
use crate::{LoadError, Policy};

const NONE: Context<'static> = Context {
    roots: &[],
    user: None,
    session: None,
    agent: None,
};

fn get() -> Methods {
    Methods::default().with(Method::Get).with(Method::Head)
}

/// `network { allow api.github.com; allow *.github.com; deny evil.github.com;
///   http api.github.com, *.githubusercontent.com {
///     allow GET|HEAD /repos/**; deny DELETE /repos/*/*/releases/**;
///     allow POST /repos/*/*/issues; ask * /graphql } }`
/// with the glob rules as one automaton.
fn github() -> B {
    let mut b = B::new();
    let n = Surface::Network;
    let api = b.rule("api", n, Effect::Allow, Condition::None);
    let sub = b.rule("sub", n, Effect::Allow, Condition::None);
    let evil = b.rule("evil", n, Effect::Deny, Condition::None);
    let block = b.rule("gh-http", n, Effect::Deny, Condition::None);
    let read = b.rule("read", n, Effect::Allow, Condition::Methods(get()));
    let del = b.rule(
        "no-release-delete",
        n,
        Effect::Deny,
        Condition::Methods(Methods::default().with(Method::Delete)),
    );
    let issue = b.rule(
        "issues",
        n,
        Effect::Allow,
        Condition::Methods(Methods::default().with(Method::Post)),
    );
    let gql = b.rule("graphql", n, Effect::Ask, Condition::Methods(Methods::ALL));
    let l = b.list(&[api]);
    b.domain("api.github.com").exact = l;
    let l = b.list(&[sub]);
    b.domain("github.com").one_label = l;
    let l = b.list(&[evil]);
    b.domain("evil.github.com").exact = l;
    let l = b.list(&[sub]);
    b.domain("githubusercontent.com").one_label = l;
    let read_l = b.list(&[read]);
    let gql_l = b.list(&[gql]);
    let globs = super::automata(&[
        (del, r"F(?:repos/[^/]*/[^/]*/releases(?:/.*)?)"),
        (issue, r"C(?:repos/[^/]*/[^/]*/issues)"),
    ]);
    b.art.http.blocks.push(HttpBlock {
        rule: block,
        hosts: vec![
            DomainPattern {
                prefix: vec![],
                any_depth: false,
                anchor: "api.github.com".into(),
            },
            DomainPattern {
                prefix: vec!["*".into()],
                any_depth: false,
                anchor: "githubusercontent.com".into(),
            },
        ],
        paths: FsRoot {
            name: String::new(),
            exact: vec![("graphql".into(), gql_l)],
            prefix: vec![("repos".into(), read_l)],
            extension: vec![],
            globs: vec![("repos".into(), globs)],
        },
    });
    b
}

fn http(p: &Policy, host: &str, method: &str, path: &str) -> Decision {
    p.decide(
        &Request::Network {
            host: Some(host),
            ip: None,
            port: Some(443),
            http: Some(Http { method, path }),
        },
        &NONE,
    )
}

fn rule(p: &Policy, effect: Effect, id: &str) -> Decision {
    Decision {
        effect,
        rule: p
            .artifact()
            .rules
            .iter()
            .position(|r| r.id == id)
            .map(|i| i as u32),
        reason: Reason::Rule,
        lifetime: None,
    }
}

#[test]
fn a_host_with_http_rules_is_allowed_only_by_them() {
    let p = github().policy();
    let r = |e, id| rule(&p, e, id);
    assert_eq!(
        http(&p, "api.github.com", "GET", "/repos/o/r"),
        r(Effect::Allow, "read")
    );
    assert_eq!(
        http(&p, "api.github.com", "HEAD", "/repos"),
        r(Effect::Allow, "read")
    );
    assert_eq!(
        http(&p, "api.github.com", "POST", "/repos/o/r/issues"),
        r(Effect::Allow, "issues")
    );
    assert_eq!(
        http(&p, "api.github.com", "DELETE", "/repos/o/r/releases/7"),
        r(Effect::Deny, "no-release-delete")
    );
    assert_eq!(
        http(&p, "api.github.com", "DELETE", "/repos/o/r/releases"),
        r(Effect::Deny, "no-release-delete")
    );
    // A deny beats an allow of the same block: GET of a release is read,
    // but the deny names DELETE only.
    assert_eq!(
        http(&p, "api.github.com", "GET", "/repos/o/r/releases/7"),
        r(Effect::Allow, "read")
    );
    assert_eq!(
        http(&p, "api.github.com", "PUT", "/graphql"),
        r(Effect::Ask, "graphql")
    );
    // Nothing matches: the block's own rule denies.
    for (m, path) in [
        ("POST", "/repos/o/r"),
        ("GET", "/user"),
        ("GET", "/"),
        ("DELETE", "/repos/o/r/issues"),
        ("GET", "/reposx"),
        ("GET", "/graphql/x"),
    ] {
        assert_eq!(
            http(&p, "api.github.com", m, path),
            r(Effect::Deny, "gh-http"),
            "{m} {path}"
        );
    }
}

#[test]
fn one_trailing_slash_is_set_aside_so_it_slips_past_nothing() {
    let p = github().policy();
    assert_eq!(
        http(&p, "api.github.com", "DELETE", "/repos/o/r/releases/7/"),
        rule(&p, Effect::Deny, "no-release-delete")
    );
    assert_eq!(
        http(&p, "api.github.com", "POST", "/repos/o/r/issues/"),
        rule(&p, Effect::Allow, "issues")
    );
}

#[test]
fn hosts_without_http_rules_and_requests_without_http_keep_their_meaning() {
    let p = github().policy();
    // Another host of the policy: the connection decides.
    assert_eq!(
        http(&p, "www.github.com", "DELETE", "/anything"),
        rule(&p, Effect::Allow, "sub")
    );
    // No method and path: the connection decides, even for a covered host.
    let conn = p.decide(
        &Request::Network {
            host: Some("api.github.com"),
            ip: None,
            port: Some(443),
            http: None,
        },
        &NONE,
    );
    assert_eq!(conn, rule(&p, Effect::Allow, "api"));
    // A host the network rules deny stays denied whatever the HTTP rules.
    assert_eq!(
        http(&p, "evil.github.com", "GET", "/repos/o/r"),
        rule(&p, Effect::Deny, "evil")
    );
    // An unknown host: the network default (deny) is the floor.
    assert_eq!(
        http(&p, "example.org", "GET", "/repos/o/r"),
        Decision::default_effect(Effect::Deny)
    );
}

#[test]
fn one_label_block_hosts_cover_one_label_only() {
    let p = github().policy();
    assert_eq!(
        http(&p, "raw.githubusercontent.com", "POST", "/x"),
        rule(&p, Effect::Deny, "gh-http")
    );
    assert_eq!(
        http(&p, "raw.githubusercontent.com", "GET", "/repos/o/r"),
        rule(&p, Effect::Allow, "read")
    );
    // Two labels: not covered by `*.githubusercontent.com`'s block, and
    // not allowed by the network rule `*.githubusercontent.com` either.
    assert_eq!(
        http(&p, "a.b.githubusercontent.com", "POST", "/x"),
        Decision::default_effect(Effect::Deny)
    );
}

#[test]
fn hostile_spellings_are_invalid_before_any_rule() {
    let p = github().policy();
    for (m, path, why) in [
        ("get", "/repos/o/r", Invalid::HttpMethod),
        (
            "DELETE",
            "/repos/o/r/releases%2F7",
            Invalid::HttpPathPercent,
        ),
        ("DELETE", "/repos/o/r/x/../releases/7", Invalid::HttpPathDot),
        (
            "DELETE",
            "/repos//o/r/releases/7",
            Invalid::HttpPathEmptySegment,
        ),
        ("GET", "/repos/o/r?x=1", Invalid::HttpPathQuery),
        ("GET", "repos/o/r", Invalid::HttpPathRelative),
    ] {
        assert_eq!(
            http(&p, "api.github.com", m, path),
            Decision::invalid(why),
            "{m} {path}"
        );
    }
}

#[test]
fn http_rules_outside_http_tables_and_plain_rules_inside_them_are_refused() {
    // A methods rule in a domain list.
    let mut b = github();
    let read = b.art.rules.iter().position(|r| r.id == "read").unwrap() as u32;
    let l = b.list(&[read]);
    b.domain("example.com").exact = l;
    let err = Policy::from_bytes(&b.art.to_bytes()).unwrap_err();
    assert!(
        matches!(
            &err,
            LoadError::InvalidTable {
                table: "network",
                ..
            }
        ),
        "{err}"
    );
    // A plain rule in an http path list.
    let mut b = github();
    let api = b.list(&[0]);
    b.art.http.blocks[0].paths.exact.push(("user".into(), api));
    let err = Policy::from_bytes(&b.art.to_bytes()).unwrap_err();
    assert!(
        matches!(&err, LoadError::InvalidTable { table: "http", .. }),
        "{err}"
    );
    // A list mixing both.
    let mut b = github();
    let read = b.art.rules.iter().position(|r| r.id == "read").unwrap() as u32;
    b.list(&[0, read]);
    let err = Policy::from_bytes(&b.art.to_bytes()).unwrap_err();
    assert!(
        matches!(
            &err,
            LoadError::InvalidTable {
                table: "candidates",
                ..
            }
        ),
        "{err}"
    );
    // A block whose own rule is an allow.
    let mut b = github();
    b.art.http.blocks[0].rule = 0;
    let err = Policy::from_bytes(&b.art.to_bytes()).unwrap_err();
    assert!(
        matches!(&err, LoadError::InvalidTable { table: "http", .. }),
        "{err}"
    );
    // A block host with a label glob.
    let mut b = github();
    b.art.http.blocks[0].hosts[0].prefix = vec!["a*".into()];
    let err = Policy::from_bytes(&b.art.to_bytes()).unwrap_err();
    assert!(
        matches!(&err, LoadError::InvalidTable { table: "http", .. }),
        "{err}"
    );
    // An empty method set.
    let mut b = github();
    b.art.rules[4].cond = Condition::Methods(Methods::default());
    assert!(Policy::from_bytes(&b.art.to_bytes()).is_err());
}

#[test]
fn http_tables_round_trip_through_the_wire_format() {
    let art = github().art;
    let p = Policy::from_bytes(&art.to_bytes()).unwrap();
    assert_eq!(p.artifact(), &art);
    assert_eq!(p.artifact().http.blocks.len(), 1);
}
