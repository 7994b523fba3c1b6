//! End-to-end tests of `polc compile`, `eval`, `explain` and `test`, run
//! in-process on the bundled example.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::polc;

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/coding-agent.policy")
        .to_str()
        .expect("utf8")
        .to_string()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(name)
}

const REQUESTS: &str = r#"{"surface":"network","host":"api.github.com","ip":"140.82.112.3","port":443}
{"surface":"network","host":"api.github.com","ip":"169.254.169.254","port":443}

not json
{"surface":"credential","name":"GITHUB_TOKEN","host":"api.github.com"}
"#;

#[test]
fn eval_gives_one_decision_per_line_and_continues_after_a_malformed_one() {
    let (code, out, err) = polc(&["eval", &example()], REQUESTS);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 4, "blank lines are skipped:\n{out}");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["rule"], "github");
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["rule"], "no-local");
    assert_eq!(lines[2]["reason"], "invalid");
    assert_eq!(lines[3]["lifetime"], "session");
}

#[test]
fn compiled_artifact_decides_like_the_source() {
    let art = tmp("coding-agent.art");
    let (code, out, err) = polc(&["compile", &example(), "-o", art.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("compiled"), "{out}");
    let from_source = polc(&["eval", &example()], REQUESTS).1;
    let from_artifact = polc(&["eval", art.to_str().unwrap()], REQUESTS).1;
    assert_eq!(from_source, from_artifact);
}

#[test]
fn corrupted_artifact_is_refused() {
    let art = tmp("corrupt.art");
    polc(&["compile", &example(), "-o", art.to_str().unwrap()], "");
    let mut bytes = std::fs::read(&art).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&art, &bytes).unwrap();
    let (code, out, err) = polc(&["eval", art.to_str().unwrap()], REQUESTS);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("checksum"), "{err}");
}

/// `polc eval` on the compiled example after `damage`: (exit code, stdout,
/// stderr, artifact path, undamaged length).
fn eval_damaged(name: &str, damage: impl Fn(&mut Vec<u8>)) -> (u8, String, String, String, usize) {
    let art = tmp(name);
    let path = art.to_str().unwrap().to_string();
    let (code, _, err) = polc(&["compile", &example(), "-o", &path], "");
    assert_eq!(code, 0, "{err}");
    let mut bytes = std::fs::read(&art).unwrap();
    let len = bytes.len();
    damage(&mut bytes);
    std::fs::write(&art, &bytes).unwrap();
    let (code, out, err) = polc(&["eval", &path], REQUESTS);
    (code, out, err, path, len)
}

#[test]
fn damaged_artifacts_are_refused_saying_what_is_wrong() {
    // Truncated.
    let (code, out, err, path, len) = eval_damaged("truncated.art", |b| b.truncate(b.len() - 7));
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "error: {path}: artifact truncated: expected {len} bytes, got {}\n",
            len - 7
        )
    );
    // One bit flipped in the payload.
    let (code, out, err, path, _) = eval_damaged("flipped.art", |b| b[100] ^= 0x01);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with(&format!(
            "error: {path}: artifact checksum mismatch: header says 0x"
        )) && err.ends_with("(file corrupted)\n"),
        "{err}"
    );
    // Format version bumped (the checksum covers the payload, so it still
    // matches: only the version differs).
    let (code, out, err, path, _) = eval_damaged("newer.art", |b| b[8] += 1);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "error: {path}: artifact format version 2 is newer than this runtime supports \
             (version 1); upgrade the runtime or compile with a matching compiler\n"
        )
    );
}

#[test]
fn events_carry_identity_policy_and_rule() {
    let req = r#"{"surface":"mcp","server":"github","tool":"get_me","source":"ghcr.io/github/github-mcp-server:v0.8.0","context":{"user":"alice","session":"s-1","agent":"coder"}}"#;
    let (code, out, _) = polc(&["eval", "--events", &example()], req);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);
    let e: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(e["policy"]["name"], "coding-agent");
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["rule"]["id"], "mcp.github.allow.get_*");
    assert_eq!(e["user"], "alice");
    assert_eq!(e["session"], "s-1");
    assert_eq!(e["agent"], "coder");
}

#[test]
fn explain_shows_the_winner_and_why_others_lost() {
    let req = r#"{"surface":"network","host":"api.github.com","ip":"169.254.169.254","port":443}"#;
    let (code, out, err) = polc(&["explain", &example(), req], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deciding rule `no-local` (deny)"), "{out}");
    assert!(out.contains("no-local: deny @metadata"), "{out}");
    assert!(
        out.contains("- `github` (allow, line 33): lost: `deny` beats `allow`"),
        "{out}"
    );
}

#[test]
fn explain_names_conditions_that_failed() {
    let req = r#"{"surface":"network","host":"api.github.com","port":80}"#;
    let (_, out, _) = polc(&["explain", &example(), req], "");
    assert!(out.contains("no rule applies"), "{out}");
    assert!(out.contains("port not in the rule's port list"), "{out}");
}

#[test]
fn test_command_reports_failures_with_request_expected_actual_and_rule() {
    let policy = tmp("mini.policy");
    std::fs::write(
        &policy,
        "policy mini\nnetwork {\n  web: allow example.com port 443\n}\n",
    )
    .unwrap();
    std::fs::write(
        tmp("mini.tests.jsonl"),
        concat!(
            r#"{"name":"https ok","request":{"surface":"network","host":"example.com","port":443},"expect":{"decision":"allow","rule":"web"}}"#,
            "\n",
            r#"{"name":"wrong on purpose","request":{"surface":"network","host":"example.com","port":443},"expect":{"decision":"deny"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let (code, out, _) = polc(&["test", policy.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(out.contains("tests: 1 passed, 1 failed"), "{out}");
    assert!(out.contains("wrong on purpose"), "{out}");
    assert!(out.contains(r#"expected: {"decision":"deny"}"#), "{out}");
    assert!(
        out.contains(r#"actual:   {"decision":"allow","rule":"web","reason":"rule"}"#),
        "{out}"
    );
    assert!(out.contains("deciding rule: `web` at line 3"), "{out}");
}
