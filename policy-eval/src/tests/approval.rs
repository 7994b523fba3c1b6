//! Approvals (`spec/requests.md`, "Approvals"): the request digest and the
//! reason of an asking rule.

use super::decide::B;
use crate::approval::request_digest;
use crate::artifact::*;
use crate::decision::{Context, Http, Request};
use crate::Policy;

fn net<'a>(host: &'a str, method: &'a str, path: &'a str) -> Request<'a> {
    Request::Network {
        host: Some(host),
        ip: None,
        port: Some(443),
        http: Some(Http { method, path }),
    }
}

#[test]
fn the_digest_is_the_sha256_of_the_canonical_normalized_request() {
    // Independently: python3 -c 'import json,hashlib; print(hashlib.sha256(
    //   json.dumps({"request":{"host":"api.github.com","method":"PATCH",
    //   "path":"/repos/o/r/pulls/3","port":443},"surface":"network"},
    //   sort_keys=True,separators=(",",":")).encode()).hexdigest())'
    assert_eq!(
        request_digest(&net("api.github.com", "PATCH", "/repos/o/r/pulls/3")),
        "sha256:6613972ca3ecda9c225dc0c774d325c5fa3612340407eb65697fb8beb9c3b6b4"
    );
}

#[test]
fn spellings_of_one_request_share_a_digest_and_differences_do_not() {
    let d = |r: &Request<'_>| request_digest(r);
    let base = d(&net("api.github.com", "PATCH", "/repos/o/r/pulls/3"));
    assert_eq!(
        base,
        d(&net("API.GitHub.com.", "PATCH", "/repos/o/r/pulls/3"))
    );
    for other in [
        net("api.github.com", "PUT", "/repos/o/r/pulls/3"),
        net("api.github.com", "PATCH", "/repos/o/r/pulls/4"),
        net("api.github.com", "PATCH", "/repos/o/r/pulls/3/"),
        net("uploads.github.com", "PATCH", "/repos/o/r/pulls/3"),
    ] {
        assert_ne!(base, d(&other), "{other:?}");
    }
    let fs = |path| Request::Filesystem {
        path,
        access: Access::WRITE,
    };
    assert_eq!(d(&fs("/w/src/../a.rs")), d(&fs("/w//a.rs")));
    assert_ne!(
        d(&fs("/w/a.rs")),
        d(&Request::Filesystem {
            path: "/w/a.rs",
            access: Access::READ
        })
    );
    let ip = |ip| Request::Network {
        host: None,
        ip: Some(ip),
        port: None,
        http: None,
    };
    assert_eq!(d(&ip("127.1")), d(&ip("127.0.0.1")));
    let mcp = |server, tool| Request::Mcp {
        server,
        tool: Some(tool),
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    assert_eq!(
        d(&mcp("GitHub", "Create_Issue")),
        d(&mcp("github", "create_issue"))
    );
    assert_ne!(
        d(&mcp("github", "create_issue")),
        d(&mcp("github", "delete_issue"))
    );
}

/// `ask "reason"` on one tool, a plain ask on another, a deny, an mcp
/// default of ask.
fn asking() -> Policy {
    let mut b = B::new();
    let m = Surface::Mcp;
    let server = b.rule("github", m, Effect::Allow, Condition::None);
    let review = b.rule("review", m, Effect::Ask, Condition::None);
    b.art.rules[review as usize].ask_reason = "the agent edits an issue".into();
    let plain = b.rule("plain", m, Effect::Ask, Condition::None);
    let deny = b.rule("nodelete", m, Effect::Deny, Condition::None);
    let (lr, lp, ld) = (b.list(&[review]), b.list(&[plain]), b.list(&[deny]));
    b.art.defaults[Surface::Mcp as usize] = Effect::Ask;
    b.art.mcp.servers.push(McpServer {
        name: "github".into(),
        source: None,
        rule: server,
        tools: NameTables {
            exact: vec![
                ("delete_repo".into(), ld),
                ("edit_issue".into(), lr),
                ("merge".into(), lp),
            ],
            ..NameTables::default()
        },
        constrained: Vec::new(),
        pins: Vec::new(),
        resources: Default::default(),
        prompts: Default::default(),
    });
    b.policy()
}

#[test]
fn only_ask_decisions_carry_an_approval_with_the_rule_reason() {
    let p = asking();
    let tool = |t| Request::Mcp {
        server: "github",
        tool: Some(t),
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    let ctx = Context::default();
    let approval = |t| {
        let r = tool(t);
        p.approval(&r, &p.decide(&r, &ctx))
    };
    let a = approval("edit_issue").expect("ask");
    assert_eq!(a.reason.as_deref(), Some("the agent edits an issue"));
    assert_eq!(a.digest, request_digest(&tool("edit_issue")));
    assert_eq!(approval("merge").expect("ask").reason, None);
    assert_eq!(approval("delete_repo"), None);
    assert_eq!(approval(""), None, "an invalid request is a deny");
    // Unknown server: the mcp default asks, without a reason.
    let other = Request::Mcp {
        server: "other",
        tool: None,
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    let d = p.decide(&other, &ctx);
    assert_eq!(p.approval(&other, &d).expect("default ask").reason, None);
    // JSON carries it, text for text.
    let out = p.decide_json(r#"{"surface":"mcp","server":"github","tool":"edit_issue"}"#);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["approval"]["reason"], "the agent edits an issue");
    assert_eq!(v["approval"]["digest"], a.digest.as_str());
}

#[test]
fn a_reason_loads_only_on_an_ask_rule_and_within_its_limit() {
    let mut b = B::new();
    let r = b.rule("r", Surface::Network, Effect::Allow, Condition::None);
    b.art.rules[r as usize].ask_reason = "why".into();
    assert!(Policy::from_bytes(&b.art.to_bytes()).is_err());
    b.art.rules[r as usize].effect = Effect::Ask;
    assert!(Policy::from_bytes(&b.art.to_bytes()).is_ok());
    b.art.rules[r as usize].ask_reason = "a\nb".into();
    assert!(Policy::from_bytes(&b.art.to_bytes()).is_err());
    b.art.rules[r as usize].ask_reason = "x".repeat(crate::limits::MAX_ASK_REASON_LEN + 1);
    assert!(Policy::from_bytes(&b.art.to_bytes()).is_err());
    b.art.rules[r as usize].ask_reason = "x".repeat(crate::limits::MAX_ASK_REASON_LEN);
    let p = Policy::from_bytes(&b.art.to_bytes()).unwrap();
    assert_eq!(p.artifact(), &b.art);
}
