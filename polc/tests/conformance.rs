//! Runs every conformance vector (`tests/conformance/NAME.tests.jsonl`) and
//! every example's tests through `polc test`, i.e. through the compiler, an
//! artifact-equivalent `Policy` and the JSON entry point. The C, Go and WASM
//! runtimes run the same files.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::policies;

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
