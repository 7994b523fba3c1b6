//! `polc replay` on the bundled events (`examples/diff/`), whose impact
//! under the candidate policy is known by hand (`spec/analysis.md`).

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::polc;
use serde_json::{json, Value};

fn example(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "examples", name]
        .iter()
        .collect();
    p.to_str().unwrap().to_string()
}

fn replay(extra: &[&str]) -> Value {
    let (events, policy) = (
        example("diff/coding-agent.events.jsonl"),
        example("diff/coding-agent.next.policy"),
    );
    let mut args = vec!["replay", &events, "--policy", &policy, "--format", "json"];
    args.extend(extra);
    let (code, out, err) = polc(&args, "");
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_candidate_allows_one_recorded_request_and_denies_two() {
    let r = replay(&["--root", "home=/home/u", "--root", "workspace=/home/u/w"]);
    assert_eq!(
        (
            &r["events"],
            &r["unchanged"],
            &r["newly_allowed"],
            &r["newly_denied"],
            &r["newly_asked"]
        ),
        (&json!(6), &json!(3), &json!(1), &json!(2), &json!(0))
    );
    assert_eq!(
        r["not_replayable"],
        json!({"events": 1, "reasons": {"schema 2 (this polc reads schema 1)": 1}})
    );
    let changed: Vec<(u64, &str, &str)> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["line"].as_u64().unwrap(),
                c["old"]["decision"].as_str().unwrap(),
                c["new"]["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            (2, "deny", "registries"),
            (3, "allow", "hooks"),
            (5, "ask", "mcp.github.deny.create_repository"),
        ]
    );
    let workspace = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "workspace")
        .unwrap();
    assert_eq!(workspace["newly_denied"], 1);
}

#[test]
fn filesystem_events_need_the_root_bindings() {
    let r = replay(&[]);
    assert_eq!(r["events"], 5);
    assert_eq!(
        r["not_replayable"]["reasons"]["root bindings are not recorded: pass --root home=PATH"],
        1
    );
}
