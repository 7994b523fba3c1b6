//! End-to-end tests of `polc compile`, `eval`, `explain` and `test`, run
//! in-process on the bundled example.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{polc, polc_bytes};
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
    assert_eq!(lines.len(), 5, "the blank line is answered too:\n{out}");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["rule"], "github");
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["rule"], "no-local");
    assert_eq!(lines[2]["message"], "request is not well-formed JSON");
    assert_eq!(lines[3]["reason"], "invalid");
    assert_eq!(lines[4]["lifetime"], "session");
}

const GITHUB: &str =
    r#"{"surface":"network","host":"api.github.com","ip":"140.82.112.3","port":443}"#;
const ALLOW_GITHUB: &str = r#"{"decision":"allow","rule":"github","reason":"rule"}"#;
const MALFORMED: &str = r#"{"decision":"deny","rule":null,"reason":"invalid","message":"request is not well-formed JSON"}"#;
const TOO_LARGE: &str = r#"{"decision":"deny","rule":null,"reason":"invalid","message":"request is larger than 64 KiB"}"#;

/// The example policy, compiled and loaded as the runtimes load it.
fn example_policy() -> policy_eval::Policy {
    let art = tmp("entry-point.apol");
    let (code, _, err) = polc(&["compile", &example(), "-o", art.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    policy_eval::Policy::from_bytes(&std::fs::read(&art).unwrap()).unwrap()
}

/// Runs `polc eval` on the example with `input` and checks that it answers
/// with exactly the `expected` lines, in order.
fn assert_eval_answers(input: &[u8], expected: &[&str]) {
    let (code, out, err) = polc_bytes(&["eval", &example()], input);
    assert_eq!(code, 0, "{err}");
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got, expected);
    // Each answer ends with a newline, nothing else is written.
    let lines: String = expected.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(out, lines);
}

#[test]
fn eval_answers_every_line_in_order_blank_and_unicode_space_lines_included() {
    // (line, answer): only what JSON itself allows around the object (ASCII
    // space, tab, CR) is ignored; a `\r\n` ending is not part of the line.
    let cases = [
        (GITHUB.to_string(), ALLOW_GITHUB),
        (String::new(), MALFORMED),
        (" ".to_string(), MALFORMED),
        ("\t \t".to_string(), MALFORMED),
        ("\r".to_string(), MALFORMED),
        ("\u{3000}".to_string(), MALFORMED),
        ("\u{a0}".to_string(), MALFORMED),
        ("\u{2028}".to_string(), MALFORMED),
        (format!("\u{3000}{GITHUB}"), MALFORMED),
        (format!("\u{a0}{GITHUB}\u{a0}"), MALFORMED),
        (format!("\x0c{GITHUB}"), MALFORMED),
        (format!(" \t{GITHUB} \t"), ALLOW_GITHUB),
        (format!("{GITHUB}\r"), ALLOW_GITHUB),
        ("not json".to_string(), MALFORMED),
        (GITHUB.to_string(), ALLOW_GITHUB),
    ];
    let input: String = cases.iter().map(|(line, _)| format!("{line}\n")).collect();
    let expected: Vec<&str> = cases.iter().map(|(_, answer)| *answer).collect();
    assert_eval_answers(input.as_bytes(), &expected);
    // The same answers as the JSON entry point given the line without its
    // ending.
    let policy = example_policy();
    for (line, answer) in &cases {
        let request = line.strip_suffix('\r').unwrap_or(line);
        assert_eq!(policy.decide_json(request), *answer, "{line:?}");
    }
    // The last line needs no newline; an empty last line is still a line.
    assert_eval_answers(format!("{GITHUB}\n{GITHUB}").as_bytes(), &[ALLOW_GITHUB; 2]);
    assert_eval_answers(
        format!("{GITHUB}\n\n").as_bytes(),
        &[ALLOW_GITHUB, MALFORMED],
    );
    assert_eval_answers(b"", &[]);
}

#[test]
fn eval_counts_spaces_in_the_request_size_like_the_json_entry_point() {
    let limit = policy_eval::limits::MAX_JSON_REQUEST_BYTES;
    let pad = |n: usize| " ".repeat(n);
    let cases = [
        // At the limit with its padding: decided, also with a `\r\n` ending.
        (
            format!("{}{GITHUB}\n", pad(limit - GITHUB.len())),
            ALLOW_GITHUB,
        ),
        (
            format!("{}{GITHUB}\r\n", pad(limit - GITHUB.len())),
            ALLOW_GITHUB,
        ),
        // A byte over: too large, however small the request after the spaces.
        (
            format!("{}{GITHUB}\n", pad(limit + 1 - GITHUB.len())),
            TOO_LARGE,
        ),
        (format!("{}{GITHUB}\n", pad(limit)), TOO_LARGE),
        (
            format!("{}{GITHUB}\r\n", pad(limit + 1 - GITHUB.len())),
            TOO_LARGE,
        ),
        // Spaces only: not JSON at the limit, too large past it, also past
        // the part of a line that polc keeps.
        (format!("{}\n", pad(limit)), MALFORMED),
        (format!("{}\n", pad(limit + 1)), TOO_LARGE),
        (format!("{}\n", pad(200_000)), TOO_LARGE),
        (format!("{}\r\n", pad(limit)), MALFORMED),
        // Cut inside a character when kept: still too large, not malformed.
        (format!("{}\n", "é".repeat(40_000)), TOO_LARGE),
        (format!("{GITHUB}\n"), ALLOW_GITHUB),
    ];
    let input: String = cases.iter().map(|(line, _)| line.as_str()).collect();
    let expected: Vec<&str> = cases.iter().map(|(_, answer)| *answer).collect();
    assert_eval_answers(input.as_bytes(), &expected);
    let policy = example_policy();
    for (line, answer) in &cases {
        let request = line.trim_end_matches('\n');
        let request = request.strip_suffix('\r').unwrap_or(request);
        assert_eq!(policy.decide_json(request), *answer, "{} bytes", line.len());
    }
}

#[test]
fn eval_decides_invalid_utf8_as_malformed_json_never_as_replacement_characters() {
    let roots = r#""context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}"#;
    let read = |path: &[u8]| {
        let mut line = br#"{"surface":"filesystem","path":""#.to_vec();
        line.extend_from_slice(path);
        line.extend_from_slice(format!(r#"","access":"read",{roots}}}"#).as_bytes());
        line
    };
    // With U+FFFD in place of the bad byte, the request is allowed.
    let replaced = String::from_utf8(read("/usr/lib/\u{fffd}".as_bytes())).unwrap();
    let (_, out, _) = polc(&["eval", &example()], &replaced);
    assert_eq!(
        out,
        "{\"decision\":\"allow\",\"rule\":\"toolchains\",\"reason\":\"rule\"}\n"
    );
    let mut input = Vec::new();
    for line in [
        read(b"/usr/lib/\xff"),
        b"\xff".to_vec(),
        // A truncated sequence, then a lone continuation byte.
        [&GITHUB.as_bytes()[..GITHUB.len() - 1], b"\xc3"].concat(),
        br#"{"surface":"network","host":"api.github.com\x80"}"#.to_vec(),
        // An over-long encoding of `/` and an encoded surrogate (U+D800).
        read(b"/usr/lib/\xc0\xaf"),
        read(b"/usr/lib/\xed\xa0\x80"),
        GITHUB.as_bytes().to_vec(),
    ] {
        input.extend_from_slice(&line);
        input.push(b'\n');
    }
    assert_eval_answers(
        &input,
        &[
            MALFORMED,
            MALFORMED,
            MALFORMED,
            MALFORMED,
            MALFORMED,
            MALFORMED,
            ALLOW_GITHUB,
        ],
    );
}

#[test]
fn eval_events_answer_every_line_in_order_too() {
    let mut input = format!("{GITHUB}\n\n \t\n\u{3000}\n").into_bytes();
    input.extend_from_slice(b"{\"surface\":\"mcp\",\"server\":\"git\xffhub\"}\n");
    input.extend_from_slice(format!("{}{GITHUB}\n{GITHUB}", " ".repeat(1 << 16)).as_bytes());
    let (code, out, err) = polc_bytes(&["eval", "--events", &example()], &input);
    assert_eq!(code, 0, "{err}");
    let events = json_lines(&out);
    let summary: Vec<(&str, &str, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e["decision"].as_str().unwrap(),
                e["reason"].as_str().unwrap(),
                e["message"].as_str(),
            )
        })
        .collect();
    let malformed = ("deny", "invalid", Some("request is not well-formed JSON"));
    assert_eq!(
        summary,
        [
            ("allow", "rule", None),
            malformed,
            malformed,
            malformed,
            malformed,
            ("deny", "invalid", Some("request is larger than 64 KiB")),
            ("allow", "rule", None),
        ]
    );
    assert_eq!(events[0]["rule"]["id"], "github");
    assert_eq!(events[6]["rule"]["id"], "github");
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
    let art = tmp("coding-agent.apol");
    let (code, out, err) = polc(&["compile", &example(), "-o", art.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("compiled"), "{out}");
    let from_source = polc(&["eval", &example()], REQUESTS).1;
    let from_artifact = polc(&["eval", art.to_str().unwrap()], REQUESTS).1;
    assert_eq!(from_source, from_artifact);
}

#[test]
fn corrupted_artifact_is_refused() {
    let art = tmp("corrupt.apol");
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
    let (code, out, err, path, len) = eval_damaged("truncated.apol", |b| b.truncate(b.len() - 7));
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "error: {path}: artifact truncated: expected {len} bytes, got {}\n",
            len - 7
        )
    );
    // One bit flipped in the payload.
    let (code, out, err, path, _) = eval_damaged("flipped.apol", |b| b[100] ^= 0x01);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with(&format!(
            "error: {path}: artifact checksum mismatch: header says 0x"
        )) && err.ends_with("(file corrupted)\n"),
        "{err}"
    );
    // Format version bumped (the checksum covers the payload, so it still
    // matches: only the version differs).
    let (code, out, err, path, _) = eval_damaged("newer.apol", |b| b[8] += 1);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "error: {path}: artifact format version 8 is newer than this runtime supports \
             (version 7); upgrade the runtime or compile with a matching compiler\n"
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
        vec!["compile", &path, "-o", "/nonexistent/never-written.apol"],
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
    let magic = policy_eval::wire::MAGIC;
    let limit = MAX_ARTIFACT_BYTES as u64;
    for size in [limit + 1, 16 << 30] {
        let path = sparse("over.apol", &magic, size);
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
    let path = sparse("over-source.apol", b"policy big\n", limit + 1);
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
    let art = tmp("padded.apol");
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

#[test]
fn json_diagnostics_carry_utf16_offsets_and_notes() {
    // The shape of the WASM diagnostics, with the file name first.
    let path = tmp("dup.policy");
    std::fs::write(
        &path,
        "policy d\n# é\nnetwork {\n  web: allow a.com\n  web: allow b.com\n}\n",
    )
    .unwrap();
    let (code, out, _) = polc(&["check", "--format", "json", path.to_str().unwrap()], "");
    assert_eq!(code, 1);
    let d: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "column",
            "end",
            "end_column",
            "end_line",
            "file",
            "help",
            "line",
            "message",
            "notes",
            "severity",
            "start"
        ]
    );
    assert!(out.starts_with(r#"{"file":"#), "{out}");
    assert_eq!(d["code"], "E0015");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(3))
    );
    // `é` is two bytes but one UTF-16 unit: offset 44, byte 45.
    assert_eq!(
        (d["start"].as_u64(), d["end"].as_u64()),
        (Some(44), Some(47))
    );
    let note = &d["notes"][0];
    assert_eq!(note["message"], "first used here");
    assert_eq!(note["range"]["line"], 4);
    assert_eq!(note["range"]["start"], 25);
}

#[test]
fn digest_tool_prints_the_pin_of_every_vector() {
    use policy_eval::cases::pins::{PinExpect, PinFile};
    let path = common::root().join("tests/pins/tool-digest.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = PinFile::parse("tool-digest.jsonl", &text).unwrap();
    for case in &file.cases {
        let (code, out, err) = polc_bytes(&["digest", "tool"], &case.definition);
        let (ccode, cout, _) =
            polc_bytes(&["digest", "tool", "-", "--canonical"], &case.definition);
        match &case.expect {
            PinExpect::Digest { canonical, digest } => {
                assert_eq!((code, out), (0, format!("{digest}\n")), "{}", case.place);
                assert_eq!(
                    (ccode, cout),
                    (0, format!("{canonical}\n")),
                    "{}",
                    case.place
                );
            }
            PinExpect::Error(_) => {
                assert_eq!((code, out.as_str()), (1, ""), "{}", case.place);
                assert!(err.starts_with("error: <stdin>: tool definition "), "{err}");
            }
        }
    }
}

#[test]
fn digest_tool_reads_a_file_and_reports_errors_like_other_commands() {
    let f = tmp("tool.json");
    std::fs::write(&f, "{ \"name\": \"a\",\n  \"name\": \"b\" }").unwrap();
    let (code, out, err) = polc(&["digest", "tool", f.to_str().unwrap()], "");
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "error: {}: tool definition has the key \"name\" twice in one object; each key may appear once\n",
            f.display()
        )
    );
    std::fs::write(&f, "{\"b\":1, \"a\":[1.50,-0]}").unwrap();
    let (code, out, _) = polc(&["digest", "tool", "--canonical", f.to_str().unwrap()], "");
    assert_eq!((code, out.as_str()), (0, "{\"a\":[1.5,0],\"b\":1}\n"));
    let (code, _, err) = polc(&["digest", "tool", "/nonexistent/tool.json"], "");
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read `/nonexistent/tool.json`"),
        "{err}"
    );
    // Over the limit: refused after reading one byte past it, never more.
    let big = format!("{{\"d\":\"{}\"}}", "x".repeat(300_000));
    let (code, _, err) = polc(&["digest", "tool"], &big);
    assert_eq!(code, 1);
    assert!(
        err.contains("tool definition is 262145 bytes, more than the limit"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// list-tools
// ---------------------------------------------------------------------------

fn listing_policy() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/listing/mcp.policy")
        .to_str()
        .expect("utf8")
        .to_string()
}

#[test]
fn list_tools_gives_one_listing_per_line_from_source_artifact_file_or_stdin() {
    let input = concat!(
        r#"{"server":"github","source":"ghcr.io/github/github-mcp-server:v0.8.0","tools":["get_issue","create_issue","delete_repo","merge"]}"#,
        "\n\n",
        r#"{"server":"github","source":"ghcr.io/evil/github:latest","tools":["get_issue"]}"#,
        "\r\n",
        r#"{"server":"github","tools":[],"x":1}"#,
        "\n"
    );
    let want = concat!(
        r#"{"tools":[{"name":"get_issue","listed":true,"decision":"allow","rule":"mcp.github.allow.get_*","reason":"rule"},{"name":"create_issue","listed":true,"decision":"ask","rule":"mcp.github.ask.create_*","reason":"rule"},{"name":"delete_repo","listed":false,"decision":"deny","rule":"mcp.github.deny.delete_*","reason":"rule"},{"name":"merge","listed":false,"decision":"deny","rule":null,"reason":"default"}]}"#,
        "\n",
        r#"{"error":"invalid","message":"listing request is not well-formed JSON"}"#,
        "\n",
        r#"{"tools":[{"name":"get_issue","listed":false,"decision":"deny","rule":null,"reason":"default"}]}"#,
        "\n",
        r#"{"error":"invalid","message":"listing request has an unknown field"}"#,
        "\n"
    );
    let (code, out, err) = polc(&["list-tools", &listing_policy()], input);
    assert_eq!((code, out.as_str()), (0, want), "{err}");
    let (code, out, _) = polc(&["list-tools", &listing_policy(), "-"], input);
    assert_eq!((code, out.as_str()), (0, want));
    let art = tmp("listing.apol");
    let (code, _, err) = polc(
        &["compile", &listing_policy(), "-o", art.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let file = tmp("listing.jsonl");
    std::fs::write(&file, input).unwrap();
    let (code, out, _) = polc(
        &["list-tools", art.to_str().unwrap(), file.to_str().unwrap()],
        "",
    );
    assert_eq!((code, out.as_str()), (0, want));
    let (code, _, err) = polc(&["list-tools", &listing_policy(), "/nonexistent/x"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn list_tools_refuses_a_line_over_the_size_limit_and_goes_on() {
    let big = format!(
        r#"{{"server":"a","tools":["{}"]}}"#,
        "x".repeat(policy_eval::limits::MAX_JSON_LIST_BYTES)
    );
    let input = format!("{big}\n{{\"server\":\"a\",\"tools\":[]}}\n");
    let (code, out, err) = polc(&["list-tools", &listing_policy()], &input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"error\":\"invalid\",\"message\":\"listing request is larger than 2 MiB\"}\n{\"tools\":[]}\n"
    );
}
