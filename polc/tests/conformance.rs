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
use policy_eval::json::parse_request;
use policy_eval::Policy;
use policy_lang::check::check_bytes;
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
    let source = std::fs::read(policy).expect("read policy");
    let checked = check_bytes(&source)
        .policy
        .unwrap_or_else(|| panic!("{}: does not check", policy.display()));
    let text = String::from_utf8(source).expect("utf8");
    let compiled = policy_lang::compile::compile(&checked, &text).expect("compile");
    let runtime = Policy::from_artifact(compiled.artifact).expect("load");
    let tests = policy.with_extension("tests.jsonl");
    let cases = std::fs::read_to_string(&tests).expect("read tests");
    let mut compared = 0;
    for (n, line) in cases.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: serde_json::Value = serde_json::from_str(line).expect("test line");
        let input = match (&case["raw"], &case["request"]) {
            (serde_json::Value::String(raw), _) => raw.clone(),
            (_, req) => req.to_string(),
        };
        let Ok(parsed) = parse_request(&input) else {
            continue;
        };
        let compiled = parsed.with(|r, c| runtime.decide(r, c));
        let reference = parsed.with(|r, c| reference::decide(&checked, r, c));
        assert_eq!(
            compiled,
            reference,
            "{}:{}: the compiled tables and the reference interpreter disagree on {input}",
            tests.display(),
            n + 1
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
