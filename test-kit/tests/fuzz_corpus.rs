//! Replays the fuzz corpora on stable: every committed seed
//! (`fuzz/corpus/<target>/`) and every saved crash
//! (`fuzz/regressions/<target>/`) goes through the same target body the
//! cargo-fuzz binary calls (`test_kit::fuzz`), so a crash found once is
//! a regression test of `cargo test` from then on.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use test_kit::fuzz::{Target, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    out
}

fn target(name: &str) -> Target {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

/// Runs every seed and regression of `name`; reports all failing files.
fn replay(name: &str) {
    let run = target(name);
    let seeds = files(&fuzz_dir().join("corpus").join(name));
    assert!(!seeds.is_empty(), "fuzz/corpus/{name}/ has no seeds");
    let regressions = files(&fuzz_dir().join("regressions").join(name));
    let mut failed = Vec::new();
    for file in seeds.iter().chain(&regressions) {
        let data = std::fs::read(file).unwrap();
        if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{name}: {} of {} inputs failed (messages above):\n{}",
        failed.len(),
        seeds.len() + regressions.len(),
        failed.join("\n")
    );
}

#[test]
fn parse_check() {
    replay("parse_check");
}

#[test]
fn compile() {
    replay("compile");
}

#[test]
fn artifact_load() {
    replay("artifact_load");
}

#[test]
fn json_request() {
    replay("json_request");
}

#[test]
fn differential() {
    replay("differential");
}

/// Every target has a cargo-fuzz binary that calls it (and a test above);
/// the fuzz crate declares no other binary.
#[test]
fn targets_match_the_fuzz_crate() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "policy-fuzz")
        .collect();
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        bins, names,
        "fuzz/Cargo.toml [[bin]]s vs test_kit::fuzz::TARGETS"
    );
    for name in names {
        let body =
            std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs")))
                .unwrap();
        assert!(
            body.contains(&format!("test_kit::fuzz::{name}(data)")),
            "fuzz_targets/{name}.rs must call test_kit::fuzz::{name}"
        );
    }
}

/// The fixed policies behind artifact_load and json_request check clean and
/// load (the targets would panic on every input otherwise).
#[test]
fn fixed_policies_load() {
    let fixed = test_kit::fixed::fixed();
    assert_eq!(fixed.len(), test_kit::fixed::FIXED_POLICIES.len());
}
