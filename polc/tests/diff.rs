//! `polc diff` on small policies whose change sets are known by hand
//! (`spec/analysis.md`): the exact classes, cells, witnesses and exit codes.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::polc;
use serde_json::{json, Value};

/// Writes the two policies (bodies after a `policy` line) to a fresh
/// directory; their paths.
fn write_pair(name: &str, old: &str, new: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("polc-diff-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("old.policy"), dir.join("new.policy"));
    std::fs::write(&a, format!("policy old\n{old}")).unwrap();
    std::fs::write(&b, format!("policy new\n{new}")).unwrap();
    (
        a.to_str().unwrap().to_string(),
        b.to_str().unwrap().to_string(),
    )
}

/// Writes the two policies and runs `polc diff --format json` on them.
fn diff(name: &str, old: &str, new: &str) -> (u8, Value) {
    let (a, b) = write_pair(name, old, new);
    let (code, out, err) = polc(&["diff", &a, &b, "--format", "json"], "");
    assert!(err.is_empty(), "{err}");
    (code, serde_json::from_str(&out).expect("one JSON object"))
}

#[test]
fn a_wider_host_pattern_grants_exactly_its_new_hosts_on_its_port() {
    let (code, d) = diff(
        "hosts",
        "network {\n  allow a.example.com port 443\n}\n",
        "network {\n  allow *.example.com port 443\n}\n",
    );
    assert_eq!(code, 4, "widening");
    // `a.example.com` stays allowed (another rule, same effect); a request
    // without a port is not granted by a port-limited allow.
    assert_eq!(
        d["changes"],
        json!([{
            "surface": "network",
            "change": "widening",
            "old": {"decision": "deny", "rule": null},
            "new": {"decision": "allow", "rule": "network.allow.*.example.com"},
            "cells": [{
                "what": "host matching `*.example.com`, port 443",
                "witness": {"surface": "network", "host": "b.example.com", "port": 443}
            }]
        }])
    );
    assert_eq!(d["result"], "widening");
    assert_eq!(d["unknown"], json!([]));
}

#[test]
fn a_new_deny_narrows_writes_below_it_only() {
    let (code, d) = diff(
        "fs",
        "filesystem {\n  allow read write $workspace/**\n}\n",
        "filesystem {\n  allow read write $workspace/**\n  deny write $workspace/.git/**\n}\n",
    );
    assert_eq!(code, 3, "only narrowing");
    let changes = d["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(
        c["old"],
        json!({"decision": "allow", "rule": "filesystem.allow.$workspace/**"})
    );
    assert_eq!(
        c["new"],
        json!({"decision": "deny", "rule": "filesystem.deny.$workspace/.git/**"})
    );
    let what: Vec<&str> = c["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        [
            "path matching `$workspace/**` and `$workspace/.git/**`, read write",
            "path matching `$workspace/**` and `$workspace/.git/**`, write",
        ]
    );
    let w = &c["cells"][1]["witness"];
    assert_eq!(w["path"], "/home/user/workspace/.git");
    assert_eq!(w["context"]["roots"]["workspace"], "/home/user/workspace");
}

#[test]
fn a_longer_lifetime_widens_seeing_and_sending() {
    let (code, d) = diff(
        "lifetime",
        "credentials {\n  allow TOKEN to api.example.com for 1h\n}\n",
        "credentials {\n  allow TOKEN to api.example.com for session\n}\n",
    );
    assert_eq!(code, 4);
    let changes = d["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["old"]["lifetime"], 3600);
    assert_eq!(changes[0]["new"]["lifetime"], "session");
    let what: Vec<&str> = changes[0]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["what"].as_str().unwrap())
        .collect();
    // Seeing, sending to the host alone, and to the host at any address
    // that is not local (a local one needs a `to` naming it).
    assert!(what.contains(&"see secret matching `token`"), "{what:?}");
    assert!(
        what.contains(&"send secret matching `token` to host matching `api.example.com`"),
        "{what:?}"
    );
    assert!(
        what.iter()
            .all(|w| w.starts_with("see") || w.contains("`api.example.com`")),
        "only sends to the named host change: {what:?}"
    );
}

#[test]
fn a_deny_inside_a_server_narrows_that_tool_from_every_source() {
    let (code, d) = diff(
        "mcp",
        "mcp {\n  server github {\n    allow get_*\n  }\n}\n",
        "mcp {\n  server github {\n    allow get_*\n    deny get_secret\n  }\n}\n",
    );
    assert_eq!(code, 3);
    assert_eq!(
        d["changes"],
        json!([{
            "surface": "mcp",
            "change": "narrowing",
            "old": {"decision": "allow", "rule": "mcp.github.allow.get_*"},
            "new": {"decision": "deny", "rule": "mcp.github.deny.get_secret"},
            "cells": [
                {"what": "server `github` with another source, tool matching `get_*` and `get_secret`",
                 "witness": {"surface": "mcp", "server": "github", "source": "example.invalid/another-source", "tool": "get_secret"}},
                {"what": "server `github` with no source, tool matching `get_*` and `get_secret`",
                 "witness": {"surface": "mcp", "server": "github", "tool": "get_secret"}}
            ]
        }])
    );
}

#[test]
fn renamed_and_reordered_rules_change_nothing() {
    let (code, d) = diff(
        "same",
        "network {\n  allow a.com\n  deny b.com\n}\n",
        "network {\n  no-b: deny b.com\n  yes-a: allow a.com\n}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(d["result"], "none");
    assert_eq!(d["changes"], json!([]));
}

#[test]
fn a_changed_default_reaches_every_request_no_rule_matches() {
    let (code, d) = diff(
        "default",
        "network {\n  default deny\n  deny a.com\n}\n",
        "network {\n  default ask\n  deny a.com\n}\n",
    );
    assert_eq!(code, 4);
    let changes = d["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    for c in changes {
        assert_eq!(c["old"], json!({"decision": "deny", "rule": null}));
        assert_eq!(c["new"], json!({"decision": "ask", "rule": null}));
        for cell in c["cells"].as_array().unwrap() {
            assert!(
                !cell["what"].as_str().unwrap().contains("`a.com`"),
                "{cell}"
            );
        }
    }
}

#[test]
fn human_output_names_each_class_and_its_witness() {
    let (a, b) = write_pair(
        "human",
        "network {\n  allow a.example.com port 443\n}\n",
        "network {\n  allow *.example.com port 443\n}\n",
    );
    let (code, out, _) = polc(&["diff", &a, &b], "");
    assert_eq!(code, 4);
    assert!(
        out.contains("  widening: deny (default) -> allow (`network.allow.*.example.com`)\n    host matching `*.example.com`, port 443\n      e.g. {\"host\":\"b.example.com\",\"port\":443,\"surface\":\"network\"}\n"),
        "{out}"
    );
    assert!(out.ends_with("widening: 1 change class (1 widening, 0 narrowing), 0 unknown parts; 16 witness requests decided\n"), "{out}");
}

#[test]
fn the_bundled_candidate_policy_shows_its_four_changes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (old, new) = (
        root.join("examples/coding-agent.policy"),
        root.join("examples/diff/coding-agent.next.policy"),
    );
    let (code, out, err) = polc(
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 4, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    let summary: Vec<(String, String, String, String)> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["surface"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
                c["old"]["rule"].as_str().unwrap_or("default").to_string(),
                c["new"]["rule"].as_str().unwrap_or("default").to_string(),
            )
        })
        .collect();
    let want = [
        ("network", "widening", "default", "registries"),
        ("filesystem", "narrowing", "workspace", "hooks"),
        (
            "credential",
            "widening",
            "credential.allow.NPM_TOKEN",
            "credential.allow.NPM_TOKEN",
        ),
        (
            "mcp",
            "narrowing",
            "mcp.github.ask.create_*",
            "mcp.github.deny.create_repository",
        ),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(summary, want);
    assert_eq!(d["changes"][2]["old"]["lifetime"], 3600);
    assert_eq!(d["changes"][2]["new"]["lifetime"], 28800);
    assert_eq!(d["unknown"], json!([]));
}
