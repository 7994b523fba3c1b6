//! End-to-end tests of `polc compile`, `eval`, `explain` and `test`, run
//! in-process on the bundled example.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::polc;
use policy_eval::limits::{MAX_ARTIFACT_BYTES, MAX_POLICY_SOURCE_BYTES};

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

/// Each line of `polc eval` output, parsed as JSON.
fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
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
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "blank lines are skipped:\n{out}");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["rule"], "github");
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["rule"], "no-local");
    assert_eq!(lines[2]["reason"], "invalid");
    assert_eq!(lines[3]["lifetime"], "session");
}

#[test]
fn eval_refuses_an_oversized_line_and_goes_on_with_the_next() {
    let ok = r#"{"surface":"network","host":"api.github.com","ip":"140.82.112.3","port":443}"#;
    let huge = format!(
        r#"{{"surface":"network","host":"{}"}}"#,
        "a".repeat(1 << 20)
    );
    // The last line has no newline.
    let (code, out, err) = polc(&["eval", &example()], &format!("{ok}\n{huge}\n{ok}"));
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[1]["reason"], "invalid");
    assert!(out.contains("larger than 64 KiB"), "{out}");
    assert_eq!(lines[2]["decision"], "allow");
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

/// A sparse file of `size` bytes starting with `head`: its size is known
/// from its metadata, but reading it would take `size` bytes of memory.
fn sparse(name: &str, head: &[u8], size: u64) -> String {
    use std::io::Write;
    let path = tmp(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(head).unwrap();
    f.set_len(size).expect("a sparse file (File::set_len)");
    path.to_str().unwrap().to_string()
}

/// The E0003 diagnostic of a source of `size` bytes whose first line is
/// `policy big`, as `polc check` renders it.
fn too_large_diagnostic(path: &str, size: u64) -> String {
    format!(
        "error[E0003]: source is {size} bytes, more than the limit of 8388608 bytes\n \
         --> {path}:1:1\n  |\n1 | policy big\n  | ^\n  |\n  = help: split the policy or move \
         large lists out of it\n\n"
    )
}

#[test]
fn oversized_sources_are_refused_from_their_size_without_being_read() {
    // One byte over the limit: the diagnostic the checker gives for that
    // text (E0003, snippet of the first line), from the size alone.
    let over = MAX_POLICY_SOURCE_BYTES as u64 + 1;
    let path = sparse("over.policy", b"policy big\nnetwork {\n", over);
    let (code, out, err) = polc(&["check", &path], "");
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, too_large_diagnostic(&path, over));
    assert_eq!(err, "checked 1 file(s): 1 error(s), 0 warning(s)\n");
    let text = std::fs::read(&path).unwrap();
    let checked = policy_lang::check::check_bytes(&text);
    drop(text);
    let (code, out, _) = polc(&["check", "--format", "json", &path], "");
    assert_eq!(code, 1);
    let d: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(d["code"], "E0003");
    assert_eq!(d["message"], checked.diagnostics[0].message);
    assert_eq!(d["help"].as_str(), checked.diagnostics[0].help.as_deref());
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(1))
    );
    // 16 GiB: refused as quickly, never read (reading would need 16 GiB).
    let huge = 16 << 30;
    let path = sparse("huge.policy", b"policy big\nnetwork {\n", huge);
    let expected = too_large_diagnostic(&path, huge);
    let (code, out, _) = polc(&["check", &path], "");
    assert_eq!((code, out.as_str()), (1, expected.as_str()));
    for args in [
        vec!["compile", &path, "-o", "/nonexistent/never-written.art"],
        vec!["eval", &path],
        vec!["explain", &path, r#"{"surface":"network","host":"a.b"}"#],
        vec!["test", &path],
    ] {
        let (code, _, err) = polc(&args, "");
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.starts_with(&expected), "{args:?}: {err}");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn oversized_artifacts_are_refused_from_their_size_without_being_read() {
    let magic = policy_eval::codec::MAGIC;
    let limit = MAX_ARTIFACT_BYTES as u64;
    for size in [limit + 1, 16 << 30] {
        let path = sparse("over.art", &magic, size);
        let (code, out, err) = polc(&["eval", &path], REQUESTS);
        assert_eq!((code, out.as_str()), (1, ""));
        // The error `Policy::from_bytes` gives for that many bytes.
        let load = policy_eval::LoadError::TooLarge { size, limit };
        assert_eq!(err, format!("error: {path}: {load}\n"));
        assert_eq!(
            err,
            format!("error: {path}: artifact too large: {size} bytes exceeds the limit of 268435456 bytes\n")
        );
        std::fs::remove_file(&path).unwrap();
    }
    // Without the magic bytes, a file of that size is an oversized source.
    let path = sparse("over-source.art", b"policy big\n", limit + 1);
    let (code, _, err) = polc(&["eval", &path], REQUESTS);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&too_large_diagnostic(&path, limit + 1)),
        "{err}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn sources_and_artifacts_within_their_limits_are_read_whole() {
    // An artifact over the source limit is still loaded (and checked).
    let art = tmp("padded.art");
    let (code, _, err) = polc(&["compile", &example(), "-o", art.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let mut bytes = std::fs::read(&art).unwrap();
    let len = bytes.len();
    bytes.resize(MAX_POLICY_SOURCE_BYTES + 1, 0);
    std::fs::write(&art, &bytes).unwrap();
    let (code, _, err) = polc(&["eval", art.to_str().unwrap()], REQUESTS);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error: {}: artifact has trailing data: expected {len} bytes, got {}\n",
            art.display(),
            MAX_POLICY_SOURCE_BYTES + 1
        )
    );
}
