//! `polc test --coverage` (`spec/tests.md`, "Coverage"): which rules no
//! test case is decided by, and what the tests matching them decided.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::polc;
use serde_json::{json, Value};

const POLICY: &str = "policy cov
network {
  allow **.example.com port 443
  deny bad.example.com
  ask chat.example.com
}
";

/// One test: `bad.example.com` is denied (the allow matched it too); the
/// ask is never reached, and neither is the default.
const TESTS: &str = r#"{"name": "bad is denied", "request": {"surface": "network", "host": "bad.example.com", "port": 443}, "expect": {"decision": "deny"}}
{"name": "www is allowed", "request": {"surface": "network", "host": "www.example.com", "port": 443}, "expect": {"decision": "allow"}}
"#;

fn setup() -> String {
    let dir = std::env::temp_dir().join(format!("polc-coverage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cov.policy"), POLICY).unwrap();
    std::fs::write(dir.join("cov.tests.jsonl"), TESTS).unwrap();
    dir.join("cov.policy").to_str().unwrap().to_string()
}

#[test]
fn coverage_names_the_rule_no_test_reaches_and_what_matched_rules_lost_to() {
    let p = setup();
    let (code, out, _) = polc(&["test", &p, "--coverage", "--format", "json"], "");
    assert_eq!(code, 0, "{out}");
    let line = out.lines().last().unwrap();
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!((&v["rules_deciding"], &v["rules"]), (&json!(2), &json!(3)));
    assert_eq!(v["percent"], 66.7);
    let by: Vec<(&str, u64, u64)> = v["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap(),
                r["decided"].as_u64().unwrap(),
                r["matched_not_deciding"]["deny"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("network.allow.**.example.com", 1, 1),
            ("network.deny.bad.example.com", 1, 0),
            ("network.ask.chat.example.com", 0, 0),
        ]
    );
    assert_eq!(v["defaults"]["network"], 0);

    let (_, human, _) = polc(&["test", &p, "--coverage"], "");
    assert!(
        human.contains("2 of 3 rules decide some test (66.7%)")
            && human.contains(
                "never decides: line 5 `network.ask.chat.example.com` (ask): no test matches it"
            )
            && human.contains("no test reaches the default of: network"),
        "{human}"
    );
}

#[test]
fn min_coverage_fails_below_the_threshold() {
    let p = setup();
    let (code, out, _) = polc(&["test", &p, "--min-coverage", "70"], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("coverage below --min-coverage 70%"), "{out}");
    let (code, _, _) = polc(&["test", &p, "--min-coverage", "60"], "");
    assert_eq!(code, 0);
}
