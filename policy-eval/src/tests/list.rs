//! `Policy::list_tools` and its JSON form (`spec/requests.md`, "Listing
//! tools"): hidden exactly when a call would be denied, in input order.

use super::decide::mcp_policy;
use crate::artifact::{Effect, Surface};
use crate::decision::{Context, Decision, Invalid, Reason, Request};
use crate::limits::{MAX_JSON_LIST_BYTES, MAX_LISTED_TOOLS};
use crate::{ListError, Listed, Policy};

const SRC: Option<&str> = Some("ghcr.io/github/mcp");

fn call(p: &Policy, server: &str, source: Option<&str>, tool: &str) -> Decision {
    p.decide(
        &Request::Mcp {
            server,
            tool: Some(tool),
            source,
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        },
        &Context::default(),
    )
}

#[test]
fn listed_means_allow_or_ask_hidden_means_deny() {
    let p = mcp_policy().policy();
    let tools = [
        "list_issues",
        "create_issue",
        "delete_repo",
        "DELETE_x",
        "create_issue",
    ];
    let got = p.list_tools("GitHub", SRC, &tools).unwrap();
    let want = |effect, rule| Listed {
        listed: effect != Effect::Deny,
        decision: Decision {
            effect,
            rule: Some(rule),
            reason: Reason::Rule,
            lifetime: None,
        },
    };
    assert_eq!(
        got,
        vec![
            want(Effect::Allow, 2),
            want(Effect::Ask, 3),
            want(Effect::Deny, 1),
            want(Effect::Deny, 1),
            want(Effect::Ask, 3),
        ]
    );
}

#[test]
fn unapproved_server_or_source_hides_everything_by_the_default() {
    let p = mcp_policy().policy();
    for (server, source) in [
        ("other", SRC),
        ("github", None),
        ("github", Some("ghcr.io/evil/mcp")),
    ] {
        let got = p
            .list_tools(server, source, &["list", "create_issue"])
            .unwrap();
        assert_eq!(got.len(), 2);
        for l in got {
            assert!(!l.listed);
            assert_eq!(l.decision, Decision::default_effect(Effect::Deny));
        }
    }
    // An `ask` default lists the tools of an unknown server.
    let mut b = mcp_policy();
    b.art.defaults[Surface::Mcp as usize] = Effect::Ask;
    let p = b.policy();
    let got = p.list_tools("other", None, &["x"]).unwrap();
    assert!(got[0].listed);
    assert_eq!(got[0].decision, Decision::default_effect(Effect::Ask));
}

#[test]
fn invalid_names_hide_with_the_reason_in_decide_order() {
    let p = mcp_policy().policy();
    let got = p
        .list_tools("github", SRC, &["", "bad name", "list"])
        .unwrap();
    assert_eq!(got[0].decision, Decision::invalid(Invalid::NameEmpty));
    assert_eq!(got[1].decision, Decision::invalid(Invalid::NameCharacter));
    assert!(got[2].listed);
    // A bad server name beats a bad tool name; a bad tool beats a bad source.
    let got = p.list_tools("git hub", Some(""), &["", "list"]).unwrap();
    assert!(got
        .iter()
        .all(|l| !l.listed && l.decision == Decision::invalid(Invalid::NameCharacter)));
    let got = p.list_tools("github", Some(""), &["", "list"]).unwrap();
    assert_eq!(got[0].decision, Decision::invalid(Invalid::NameEmpty));
    assert_eq!(got[1].decision, Decision::invalid(Invalid::Source));
}

#[test]
fn every_entry_is_the_decision_of_that_call() {
    let p = mcp_policy().policy();
    let tools = [
        "list",
        "create_issue",
        "CREATE_ISSUE",
        "delete_",
        "delete_a/b",
        "",
        "a b",
        "x/y",
        "é",
    ];
    for server in ["github", "GITHUB", "fs", "nope", "", "a b"] {
        for source in [None, SRC, Some(""), Some("x")] {
            let got = p.list_tools(server, source, &tools).unwrap();
            assert_eq!(got.len(), tools.len());
            for (t, l) in tools.iter().zip(&got) {
                let d = call(&p, server, source, t);
                assert_eq!(l.decision, d, "{server} {source:?} {t}");
                assert_eq!(l.listed, d.effect != Effect::Deny);
            }
        }
    }
}

#[test]
fn too_many_tools_is_an_error_not_a_truncation() {
    let p = mcp_policy().policy();
    let at = vec!["list"; MAX_LISTED_TOOLS];
    assert_eq!(
        p.list_tools("github", SRC, &at).unwrap().len(),
        MAX_LISTED_TOOLS
    );
    let over = vec!["list"; MAX_LISTED_TOOLS + 1];
    assert_eq!(
        p.list_tools("github", SRC, &over),
        Err(ListError::TooManyTools {
            given: MAX_LISTED_TOOLS + 1,
            max: MAX_LISTED_TOOLS
        })
    );
    let mut buf = vec![];
    p.list_tools_into("github", SRC, ["list"].into_iter(), &mut buf)
        .unwrap();
    assert_eq!(buf.len(), 1);
    assert!(p
        .list_tools_into("github", SRC, over.iter().copied(), &mut buf)
        .is_err());
    assert!(buf.is_empty());
    assert!(p.list_tools("github", SRC, &[]).unwrap().is_empty());
}

#[test]
fn json_listing_in_input_order() {
    let p = mcp_policy().policy();
    let out = p.list_tools_json(
        r#"{"server":"github","source":"ghcr.io/github/mcp","tools":["list","delete_x","create_issue","","list"]}"#,
    );
    assert_eq!(
        out,
        concat!(
            r#"{"tools":[{"name":"list","listed":true,"decision":"allow","rule":"tools","reason":"rule"},"#,
            r#"{"name":"delete_x","listed":false,"decision":"deny","rule":"nodelete","reason":"rule"},"#,
            r#"{"name":"create_issue","listed":true,"decision":"ask","rule":"issues","reason":"rule"},"#,
            r#"{"name":"","listed":false,"decision":"deny","rule":null,"reason":"invalid","message":"name is empty"},"#,
            r#"{"name":"list","listed":true,"decision":"allow","rule":"tools","reason":"rule"}]}"#
        )
    );
    assert_eq!(
        p.list_tools_json(r#"{"server":"fs","source":null,"tools":[]}"#),
        r#"{"tools":[]}"#
    );
    assert_eq!(
        p.list_tools_json(r#"{"server":"nope","tools":["a\u0062"]}"#),
        r#"{"tools":[{"name":"ab","listed":false,"decision":"deny","rule":null,"reason":"default"}]}"#
    );
}

#[test]
fn json_listing_errors_at_the_boundary() {
    let p = mcp_policy().policy();
    let err = |input: &str| -> serde_json::Value {
        let out = p.list_tools_json_detailed(input).unwrap_err();
        assert_eq!(p.list_tools_json(input), out);
        serde_json::from_str(&out).unwrap()
    };
    let cases: &[(&str, &str)] = &[
        ("", "listing request is not well-formed JSON"),
        ("[]", "listing request must be one JSON object"),
        (
            r#"{"server":"a","tools":[],"x":1}"#,
            "listing request has an unknown field",
        ),
        (
            r#"{"server":"a"}"#,
            "listing request needs `server` (string) and `tools` (array of strings)",
        ),
        (
            r#"{"tools":[]}"#,
            "listing request needs `server` (string) and `tools` (array of strings)",
        ),
        (
            r#"{"server":1,"tools":[]}"#,
            "listing request field has the wrong type",
        ),
        (
            r#"{"server":"a","tools":"x"}"#,
            "listing request field has the wrong type",
        ),
        (
            r#"{"server":"a","tools":[null]}"#,
            "listing request field has the wrong type",
        ),
        (
            r#"{"server":"a","source":2,"tools":[]}"#,
            "listing request field has the wrong type",
        ),
        (
            r#"{"server":"a","server":"b","tools":[]}"#,
            "listing request repeats a field",
        ),
        (
            r#"{"server":"a","tools":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}"#,
            "listing request is nested deeper than 16 levels",
        ),
    ];
    for (input, message) in cases {
        let v = err(input);
        assert_eq!(v["error"], "invalid", "{input}");
        assert_eq!(v["message"], *message, "{input}");
    }
    let many = format!(
        r#"{{"server":"github","tools":[{}]}}"#,
        vec![r#""a""#; MAX_LISTED_TOOLS + 1].join(",")
    );
    let v = err(&many);
    assert_eq!(v["error"], "too_many_tools");
    assert_eq!(
        v["message"],
        "listing has 4097 tools, more than the limit of 4096"
    );
    let big = format!(
        r#"{{"server":"a","tools":[],"x":"{}"}}"#,
        "y".repeat(MAX_JSON_LIST_BYTES)
    );
    assert_eq!(err(&big)["message"], "listing request is larger than 2 MiB");
    assert!(p.list_tools_json_bytes(big.as_bytes()).is_err());
    assert_eq!(
        p.list_tools_json_bytes(b"{\"server\":\"a\xff\",\"tools\":[]}"),
        Err(r#"{"error":"invalid","message":"listing request is not well-formed JSON"}"#.into())
    );
    // At the limit of names, at their longest, the request still fits.
    let name = "n".repeat(crate::limits::MAX_NAME_LEN);
    let full = format!(
        r#"{{"server":"github","source":"ghcr.io/github/mcp","tools":[{}]}}"#,
        vec![format!("\"{name}\""); MAX_LISTED_TOOLS].join(",")
    );
    assert!(full.len() <= MAX_JSON_LIST_BYTES);
    let v: serde_json::Value = serde_json::from_str(&p.list_tools_json(&full)).unwrap();
    assert_eq!(v["tools"].as_array().unwrap().len(), MAX_LISTED_TOOLS);
}
