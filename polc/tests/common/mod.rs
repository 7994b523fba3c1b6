//! Helpers shared by polc's integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `*.policy` files of a directory under the repository root, sorted.
pub fn policies(dir: &str) -> Vec<PathBuf> {
    let dir = root().join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    out.sort();
    out
}

/// Runs polc in-process with `stdin`; returns (exit code, stdout, stderr).
pub fn polc(args: &[&str], stdin: &str) -> (u8, String, String) {
    polc_bytes(args, stdin.as_bytes())
}

/// [`polc`] with a `stdin` that need not be UTF-8.
pub fn polc_bytes(args: &[&str], stdin: &[u8]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut input = std::io::Cursor::new(stdin.to_vec());
    let code = polc::run(
        std::iter::once("polc")
            .chain(args.iter().copied())
            .map(Into::into),
        &mut input,
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).expect("utf8 stdout"),
        String::from_utf8(err).expect("utf8 stderr"),
    )
}
