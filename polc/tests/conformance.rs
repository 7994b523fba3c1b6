//! Runs every conformance vector (`tests/conformance/NAME.tests.jsonl`), the
//! bypass corpus (`tests/bypass/NAME.tests.jsonl`) and every example's tests
//! through `polc test`, i.e. through the compiler, an artifact-equivalent
//! `Policy` and the JSON entry point; then checks that the reference
//! interpreter gives the same decision for every vector. The C, Go and WASM
//! runtimes run the same files.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::policies;
use policy_eval::cases::TestsFile;
use policy_eval::json::parse_request;
use policy_lang::reference;

fn run(files: &[PathBuf]) -> (u8, String, usize) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut stdin = std::io::BufReader::new(std::io::empty());
    let args = ["polc", "test"]
        .into_iter()
        .map(String::from)
        .chain(files.iter().map(|p| p.to_str().expect("utf8").to_string()));
    let code = polc::run(args.map(Into::into), &mut stdin, &mut out, &mut err);
    let out = String::from_utf8(out).expect("utf8") + &String::from_utf8(err).expect("utf8");
    let passed = out
        .lines()
        .find_map(|l| l.strip_prefix("tests: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (code, out, passed)
}

#[test]
fn conformance_vectors_pass() {
    let files = policies("tests/conformance");
    assert!(files.len() >= 8, "conformance policies: {}", files.len());
    let (code, out, passed) = run(&files);
    assert_eq!(code, 0, "{out}");
    assert!(passed >= 200, "only {passed} vectors ran:\n{out}");
}

#[test]
fn example_tests_pass() {
    let files = policies("examples");
    let (code, out, passed) = run(&files);
    assert_eq!(code, 0, "{out}");
    assert!(passed >= 30, "only {passed} example tests ran:\n{out}");
}

#[test]
fn bypass_vectors_pass() {
    let files = policies("tests/bypass");
    assert!(!files.is_empty(), "no bypass policies");
    let (code, out, passed) = run(&files);
    assert_eq!(code, 0, "{out}");
    assert!(passed >= 400, "only {passed} bypass vectors ran:\n{out}");
}

/// Every case whose input parses: the reference interpreter (a plain loop
/// over the checked rules) must decide exactly as the compiled tables do,
/// invalid requests included. Returns the number of cases compared.
fn agree_with_reference(policy: &Path) -> usize {
    let source = std::fs::read_to_string(policy).expect("read policy");
    let build = policy_lang::build(&source);
    let (Some(checked), Some(runtime)) = (build.checked, build.policy) else {
        panic!(
            "{}: does not build: {:?}",
            policy.display(),
            build.diagnostics
        );
    };
    let tests = policy.with_extension("tests.jsonl");
    let text = std::fs::read_to_string(&tests).expect("read tests");
    let file = TestsFile::parse(tests.display().to_string(), &text);
    let mut compared = 0;
    for case in &file.cases {
        let place = file.place(case);
        let vector = case
            .vector
            .as_ref()
            .unwrap_or_else(|e| panic!("{place}: {e}"));
        let input = &vector.request;
        let Ok(parsed) = parse_request(input) else {
            continue;
        };
        let compiled = parsed.with(|r, c| runtime.decide(r, c));
        let reference = parsed.with(|r, c| reference::decide(&checked, r, c));
        assert_eq!(
            compiled, reference,
            "{place}: the compiled tables and the reference interpreter disagree on {input}"
        );
        compared += 1;
    }
    compared
}

#[test]
fn reference_interpreter_agrees_on_every_vector() {
    let mut compared = 0;
    for dir in ["tests/conformance", "tests/bypass"] {
        for policy in policies(dir) {
            compared += agree_with_reference(&policy);
        }
    }
    assert!(compared >= 800, "only {compared} vectors compared");
}

/// `polc test` renders what the runner (`policy_eval::cases`) found:
/// malformed lines, missing keys and wrong values, exactly as
/// `spec/tests.md` shows them.
#[test]
fn failure_reports_are_rendered_exactly() {
    let dir = std::env::temp_dir().join(format!("polc-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("m.policy");
    std::fs::write(
        &policy,
        "policy mini\nnetwork {\n  web: allow example.com port 443\n}\n",
    )
    .unwrap();
    let request = r#""request":{"surface":"network","port":443,"host":"example.com"}"#;
    let lines = [
        format!(r#"{{"name":"https ok",{request},"expect":{{"decision":"allow","rule":"web"}}}}"#),
        String::new(),
        "{not json".into(),
        r#"{"name":"no expect","raw":"x"}"#.into(),
        r#"{"name":"no req","request":"x","expect":{}}"#.into(),
        "[1,2]".into(),
        format!(r#"{{"name":"wrong",{request},"expect":{{"rule":null,"decision":"deny"}}}}"#),
        r#"{"name":"lifetime","raw":"{x","expect":{"lifetime":null}}"#.into(),
    ];
    std::fs::write(dir.join("m.tests.jsonl"), lines.join("\n") + "\n").unwrap();
    let (code, out, passed) = run(std::slice::from_ref(&policy));
    let tests = dir.join("m.tests.jsonl").display().to_string();
    let want = format!(
        "FAIL {tests}:3\n  malformed test line: key must be a string at line 1 column 2\n\
         FAIL {tests}:4\n  no expect: test needs `expect` (object)\n\
         FAIL {tests}:5\n  no req: test needs `request` (object) or `raw` (string)\n\
         FAIL {tests}:6\n  (unnamed): test needs `request` (object) or `raw` (string)\n\
         FAIL {tests}:7\n  wrong\n  \
         request:  {{\"host\":\"example.com\",\"port\":443,\"surface\":\"network\"}}\n  \
         expected: {{\"decision\":\"deny\",\"rule\":null}}\n  \
         actual:   {{\"decision\":\"allow\",\"rule\":\"web\",\"reason\":\"rule\"}}\n  \
         deciding rule: `web` at line 3\n\
         FAIL {tests}:8\n  lifetime\n  request:  {{x\n  expected: {{\"lifetime\":null}}\n  \
         actual:   {{\"decision\":\"deny\",\"rule\":null,\"reason\":\"invalid\",\
         \"message\":\"request is not well-formed JSON\"}}\n  deciding rule: none\n\
         tests: 1 passed, 6 failed\n"
    );
    assert_eq!((code, passed), (1, 1));
    assert_eq!(out, want);
    std::fs::remove_dir_all(&dir).unwrap();
}
