use proptest::prelude::*;

use super::decide::{cred_policy, fs_policy, mcp_policy, network_policy};
use crate::decision::{Invalid, Request};
use crate::json::parse_request;
use crate::Policy;

fn v(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn network_request_and_decision() {
    let p = network_policy().policy();
    let out = p
        .decide_json(r#"{"surface":"network","host":"github.com","ip":"140.82.112.3","port":443}"#);
    assert_eq!(
        v(&out),
        v(r#"{"decision":"allow","rule":"gh","reason":"rule"}"#)
    );
    let out = p.decide_json(r#"{"surface":"network","host":"nowhere.org"}"#);
    assert_eq!(
        v(&out),
        v(r#"{"decision":"deny","rule":null,"reason":"default"}"#)
    );
}

#[test]
fn filesystem_request_with_context() {
    let p = fs_policy().policy();
    let out = p.decide_json(
        r#"{"surface":"filesystem","path":"/home/u/w/src/main.rs","access":"read",
            "context":{"roots":{"home":"/home/u","workspace":"/home/u/w"},"user":"alice","session":"s-1","agent":"coder"}}"#,
    );
    assert_eq!(
        v(&out),
        v(r#"{"decision":"allow","rule":"ws","reason":"rule"}"#)
    );
    let out = p.decide_json(r#"{"surface":"filesystem","path":"/x","access":"read"}"#);
    let want = Invalid::UnboundRoot.message();
    assert_eq!(
        v(&out),
        serde_json::json!({"decision":"deny","rule":null,"reason":"invalid","message":want})
    );
}

#[test]
fn credential_grant_carries_lifetime() {
    let p = cred_policy().policy();
    let out =
        p.decide_json(r#"{"surface":"credential","name":"GITHUB_TOKEN","host":"github.com"}"#);
    assert_eq!(
        v(&out),
        v(r#"{"decision":"allow","rule":"gh","reason":"rule","lifetime":3600}"#)
    );
    let out = p.decide_json(r#"{"surface":"credential","name":"HOME"}"#);
    assert_eq!(
        v(&out),
        v(r#"{"decision":"allow","rule":"visible","reason":"rule","lifetime":"session"}"#)
    );
}

#[test]
fn mcp_request() {
    let p = mcp_policy().policy();
    let out = p.decide_json(r#"{"surface":"mcp","server":"github","tool":"create_issue","source":"ghcr.io/github/mcp"}"#);
    assert_eq!(
        v(&out),
        v(r#"{"decision":"ask","rule":"issues","reason":"rule","approval":{"digest":"sha256:DIGEST"}}"#
            .replace("sha256:DIGEST", &crate::approval::request_digest(&Request::Mcp {
                server: "github",
                tool: Some("create_issue"),
                source: Some("ghcr.io/github/mcp"),
                arguments: None,
                definition: None,
                resource: None,
                prompt: None,
            }))
            .as_str())
    );
}

#[test]
fn malformed_requests_are_invalid() {
    let cases: &[(&str, Invalid)] = &[
        ("", Invalid::JsonSyntax),
        ("{", Invalid::JsonSyntax),
        ("[1]", Invalid::JsonNotObject),
        ("\"network\"", Invalid::JsonNotObject),
        (
            r#"{"surface":"network","host":"a.b"} x"#,
            Invalid::JsonSyntax,
        ),
        (
            r#"{"surface":"network","hots":"a.b"}"#,
            Invalid::JsonUnknownField,
        ),
        (r#"{"surface":"network","host":5}"#, Invalid::JsonType),
        (
            r#"{"surface":"network","port":-1,"host":"a.b"}"#,
            Invalid::JsonType,
        ),
        (
            r#"{"surface":"network","port":"443","host":"a.b"}"#,
            Invalid::JsonType,
        ),
        (r#"{"host":"a.b"}"#, Invalid::JsonMissingField),
        (r#"{"surface":"dns","host":"a.b"}"#, Invalid::JsonSurface),
        (
            r#"{"surface":"network","host":"a.b","access":"read"}"#,
            Invalid::JsonFieldForSurface,
        ),
        (
            r#"{"surface":"network","host":"a.b","path":"/x"}"#,
            Invalid::HttpIncomplete,
        ),
        (
            r#"{"surface":"network","host":"a.b","method":"GET"}"#,
            Invalid::HttpIncomplete,
        ),
        (
            r#"{"surface":"network","host":"a.b","method":1,"path":"/"}"#,
            Invalid::JsonType,
        ),
        (
            r#"{"surface":"filesystem","path":"/x","access":"read","method":"GET"}"#,
            Invalid::JsonFieldForSurface,
        ),
        (
            r#"{"surface":"mcp","server":"s","method":"GET"}"#,
            Invalid::JsonFieldForSurface,
        ),
        (
            r#"{"surface":"filesystem","path":"/x"}"#,
            Invalid::JsonMissingField,
        ),
        (
            r#"{"surface":"filesystem","path":"/x","access":"exec"}"#,
            Invalid::JsonAccess,
        ),
        (r#"{"surface":"credential"}"#, Invalid::JsonMissingField),
        (r#"{"surface":"mcp","tool":"x"}"#, Invalid::JsonMissingField),
        (
            r#"{"surface":"network","host":"a.b","host":"c.d"}"#,
            Invalid::JsonDuplicateField,
        ),
        (
            r#"{"surface":"network","host":"a.b","context":{"uid":1}}"#,
            Invalid::JsonUnknownField,
        ),
        (
            r#"{"surface":"network","host":"a.b","context":{"roots":{"home":1}}}"#,
            Invalid::JsonType,
        ),
    ];
    for (input, want) in cases {
        assert_eq!(parse_request(input).err(), Some(*want), "{input}");
    }
    let p = network_policy().policy();
    let out = v(&p.decide_json(r#"{"surface":"network","hots":"a.b"}"#));
    assert_eq!(out["decision"], "deny");
    assert_eq!(out["reason"], "invalid");
    assert_eq!(out["rule"], serde_json::Value::Null);
    assert_eq!(out["message"], Invalid::JsonUnknownField.message());
}

#[test]
fn oversize_and_deep_requests_are_invalid() {
    let big = format!(r#"{{"surface":"network","host":"{}"}}"#, "a".repeat(70_000));
    assert_eq!(parse_request(&big).err(), Some(Invalid::JsonTooLarge));
    let deep = format!("{}{}", "[".repeat(17), "]".repeat(17));
    assert_eq!(parse_request(&deep).err(), Some(Invalid::JsonTooDeep));
    let deep = format!(
        r#"{{"surface":"network","host":"a.b","context":{}}}"#,
        "{\"a\":".repeat(20)
    );
    assert_eq!(parse_request(&deep).err(), Some(Invalid::JsonTooDeep));
    // Brackets inside strings do not count.
    let s = format!(r#"{{"surface":"network","host":"{}"}}"#, "[".repeat(40));
    assert_eq!(parse_request(&s).err(), None);
}

#[test]
fn escaped_strings_and_large_ports() {
    let p = network_policy().policy();
    let out = v(&p.decide_json(r#"{"surface":"network","host":"git\u0068ub.com"}"#));
    assert_eq!(out["rule"], "gh");
    let out = v(&p.decide_json(r#"{"surface":"network","host":"github.com","port":99999999999}"#));
    assert_eq!(out["message"], Invalid::Port.message());
}

#[test]
fn detailed_outcome_keeps_the_request() {
    let p = fs_policy().policy();
    let out = p.decide_json_detailed(
        r#"{"surface":"filesystem","path":"/etc/passwd","access":"write","context":{"roots":{"home":"/h","workspace":"/w"},"user":"alice"}}"#,
    );
    let req = out.request.expect("parsed");
    assert_eq!(req.context.user.as_deref(), Some("alice"));
    let ev =
        req.with(|r, c| crate::event::Event::at(&p, r, c, &out.decision, std::time::UNIX_EPOCH));
    let line = ev.to_json_line();
    assert!(line.ends_with('\n'));
    let e = v(&line);
    assert_eq!(e["schema"], 1);
    assert_eq!(e["time"], "1970-01-01T00:00:00.000Z");
    assert_eq!(e["policy"]["name"], "test");
    assert_eq!(e["policy"]["hash"], "ab".repeat(32));
    assert_eq!(e["surface"], "filesystem");
    assert_eq!(
        e["request"],
        serde_json::json!({"path":"/etc/passwd","access":"write"})
    );
    assert_eq!(e["decision"], "deny");
    assert_eq!(
        e["rule"],
        serde_json::json!({"id":"etc","index":3,"line":4})
    );
    assert_eq!(e["reason"], "rule");
    assert_eq!(e["user"], "alice");
    assert_eq!(e["session"], serde_json::Value::Null);
    assert!(e.get("message").is_none());
}

#[test]
fn events_record_normalized_fields_and_messages() {
    let p: Policy = network_policy().policy();
    let out = p.decide_json_detailed(
        r#"{"surface":"network","host":"GitHub.com.","ip":"0x7f.1","port":443}"#,
    );
    let req = out.request.expect("parsed");
    let e =
        req.with(|r, c| crate::event::Event::at(&p, r, c, &out.decision, std::time::UNIX_EPOCH));
    let e = v(&e.to_json_line());
    assert_eq!(
        e["request"],
        serde_json::json!({"host":"github.com","ip":"127.0.0.1","port":443})
    );
    let bad = p.decide_json_detailed("nope");
    let e = crate::event::Event::unparsed(&p, &bad.decision, std::time::UNIX_EPOCH);
    let e = v(&e.to_json_line());
    assert_eq!(e["surface"], serde_json::Value::Null);
    assert_eq!(e["message"], Invalid::JsonSyntax.message());
}

proptest! {
    #[test]
    fn arbitrary_json_lines_never_panic(s in ".{0,200}") {
        let p = network_policy().policy();
        let out = p.decide_json(&s);
        prop_assert!(out.starts_with('{'), "not an object: {}", out);
    }

    #[test]
    fn arbitrary_requests_never_panic(host in ".{0,80}", ip in ".{0,40}", path in ".{0,80}", port in any::<u32>()) {
        let p = network_policy().policy();
        let _ = p.decide(&crate::Request::Network { host: Some(&host), ip: Some(&ip), port: Some(port), http: None }, &crate::Context::default());
        let f = fs_policy().policy();
        let ctx = crate::Context { roots: &[("home", "/h"), ("workspace", &path)], ..Default::default() };
        let _ = f.decide(&crate::Request::Filesystem { path: &path, access: crate::Access::READ }, &ctx);
        let c = cred_policy().policy();
        let _ = c.decide(&crate::Request::Credential { name: &host, host: Some(&host), ip: None }, &ctx);
    }
}
