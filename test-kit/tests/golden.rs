//! Golden artifacts (`tests/golden/`): the compiled bundled examples as
//! committed bytes, each with the decisions it gave when it was committed.
//! Each is loaded from its bytes, as a runtime loads a deployed artifact,
//! and must still give every one of those decisions, so a later change of
//! the format or of the loader proves it still reads these bytes.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use policy_eval::wire::MAGIC;
use policy_eval::Policy;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The golden artifacts of the current format, by example name, sorted.
fn golden() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".apol").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Format version of an artifact (the `u32` after the magic).
fn version(bytes: &[u8]) -> u32 {
    assert!(bytes.starts_with(&MAGIC), "not an artifact");
    u32::from_le_bytes(bytes[8..12].try_into().unwrap())
}

#[test]
fn every_bundled_example_has_a_golden_artifact() {
    let mut examples: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".policy").map(str::to_owned))
        .collect();
    examples.sort();
    assert_eq!(golden(), examples);
}

/// Loads `DIR/NAME.apol` for every golden name it holds (an example added
/// after a version has no artifact of that version), checks its format
/// version and every decision recorded in `tests/golden/NAME.decisions.jsonl`.
fn decide_as_recorded(dir: &str, expected_version: u32) {
    let mut checked = 0;
    for name in golden() {
        if !root().join(format!("{dir}/{name}.apol")).exists() {
            continue;
        }
        let bytes = std::fs::read(root().join(format!("{dir}/{name}.apol"))).unwrap();
        assert_eq!(
            version(&bytes),
            expected_version,
            "{dir}/{name}.apol is format version {expected_version}"
        );
        let policy =
            Policy::from_bytes(&bytes).unwrap_or_else(|e| panic!("{dir}/{name}.apol: {e}"));
        let expected =
            std::fs::read_to_string(root().join(format!("tests/golden/{name}.decisions.jsonl")))
                .unwrap_or_else(|e| panic!("{name}.decisions.jsonl: {e}"));
        let mut cases = 0;
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            let request = case["request"].to_string();
            let got: serde_json::Value =
                serde_json::from_str(&policy.decide_json(&request)).unwrap();
            assert_eq!(
                got, case["decision"],
                "{dir}/{name}: {} ({request})",
                case["name"]
            );
            cases += 1;
        }
        assert!(cases > 0, "{name}.decisions.jsonl has no decisions");
        checked += cases;
    }
    assert!(checked >= 50, "only {checked} golden decisions");
}

#[test]
fn golden_artifacts_load_from_bytes_and_decide_as_recorded() {
    decide_as_recorded("tests/golden", 7);
}

/// Format version 7 only allowed the default byte 3 (`pass`): the version 6
/// artifacts (`tests/golden/v6/`) still load and give every recorded
/// decision.
#[test]
fn format_version_6_artifacts_still_decide_as_recorded() {
    decide_as_recorded("tests/golden/v6", 6);
}

/// Format version 6 only added each MCP server's tool pins: the version 5
/// artifacts (`tests/golden/v5/`) still load and give every recorded
/// decision.
#[test]
fn format_version_5_artifacts_still_decide_as_recorded() {
    decide_as_recorded("tests/golden/v5", 5);
}

/// Format version 5 only added tool rules with argument constraints (a
/// condition and a per-server list): the version 4 artifacts
/// (`tests/golden/v4/`) still load and give every recorded decision.
#[test]
fn format_version_4_artifacts_still_decide_as_recorded() {
    decide_as_recorded("tests/golden/v4", 4);
}

/// Format version 4 only added a section (HTTP rules): the version 3
/// artifacts (`tests/golden/v3/`) still load and give every recorded
/// decision.
#[test]
fn format_version_3_artifacts_still_decide_as_recorded() {
    decide_as_recorded("tests/golden/v3", 3);
}

/// While the compiler writes the same format version, it writes the same
/// bytes for the examples: an encoding change without a version bump would
/// show here. (After a deliberate version bump this test stops comparing;
/// the golden bytes stay as they are, and the test above keeps reading them.)
#[test]
fn the_compiler_still_writes_the_golden_bytes_within_a_version() {
    for name in golden() {
        let golden = std::fs::read(root().join(format!("tests/golden/{name}.apol"))).unwrap();
        let source =
            std::fs::read_to_string(root().join(format!("examples/{name}.policy"))).unwrap();
        let b = policy_lang::build(&source);
        let bytes = b
            .bytes
            .unwrap_or_else(|| panic!("{name}: {:?}", b.diagnostics));
        if version(&bytes) == version(&golden) {
            assert!(
                bytes == golden,
                "examples/{name}.policy compiles to other bytes"
            );
        }
    }
}

/// The format version 2 artifacts (`tests/golden/v2/`, the goldens before
/// the automata of version 3) are refused like any other version, never
/// misread.
#[test]
fn format_version_2_artifacts_are_refused_by_version() {
    let mut seen = 0;
    for name in golden() {
        let path = root().join(format!("tests/golden/v2/{name}.apol"));
        if !path.exists() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(version(&bytes), 2);
        match Policy::from_bytes(&bytes) {
            Err(policy_eval::LoadError::UnsupportedVersion {
                found: 2,
                supported: 3,
            }) => seen += 1,
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(seen, 5);
}
