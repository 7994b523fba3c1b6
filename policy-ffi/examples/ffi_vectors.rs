//! Writes the flattened vectors file (`spec/tests.md`, "Flattened vectors")
//! read by the C suite (`tests/ffi/ffi_test.c`) and the Go tests
//! (`policy-ffi/go/policy_test.go`), so neither parses a tests file itself
//! and both send exactly the request bytes `polc test` sends.
//!
//! ```text
//! cargo run -p policy-ffi --example ffi_vectors -- MANIFEST OUT [PINS.jsonl PINS_OUT [LISTING.jsonl LISTING.apol LISTING_OUT]]
//! ```
//!
//! `MANIFEST` has one line per tests file: `TESTS.jsonl<TAB>ARTIFACT`, or
//! for stack vectors `TESTS.jsonl<TAB>STACK` (`LEVEL:NAME:AUDIT:ARTIFACT`
//! per layer, joined by `;`). Each tests file is parsed by
//! `policy_eval::cases` and its cases are decided with the artifact loaded
//! by `Policy::from_bytes` (or the stack of such artifacts); `OUT` gets one line per
//! case, in the format of `policy_eval::cases::flatten`. With `PINS.jsonl`
//! (`tests/pins/tool-digest.jsonl`), `PINS_OUT` gets its tool-digest vectors
//! as `policy_eval::cases::pins::flatten` writes them. With `LISTING.jsonl`
//! (`tests/listing/mcp.listing.jsonl`) and its compiled policy,
//! `LISTING_OUT` gets the listing vectors as
//! `policy_eval::cases::listing::flatten` writes them.

// A tool for the test suite: it fails loudly on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::cases::listing::{self, ListingFile};
use policy_eval::cases::pins::{self, PinFile};
use policy_eval::cases::{flatten, stacks, TestsFile};
use policy_eval::{Layer, Policy, Stack};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (manifest, out, pins, listings) = match &args[..] {
        [_, manifest, out] => (manifest, out, None, None),
        [_, manifest, out, pins, pins_out] => (manifest, out, Some((pins, pins_out)), None),
        [_, manifest, out, pins, pins_out, l, la, lo] => {
            (manifest, out, Some((pins, pins_out)), Some((l, la, lo)))
        }
        _ => panic!(
            "usage: ffi_vectors MANIFEST OUT [PINS.jsonl PINS_OUT [LISTING.jsonl LISTING.apol LISTING_OUT]]"
        ),
    };
    let manifest = std::fs::read_to_string(manifest).expect("read manifest");
    let mut lines = String::new();
    let mut cases = 0usize;
    let load = |artifact: &str| {
        let bytes = std::fs::read(artifact).unwrap_or_else(|e| panic!("{artifact}: {e}"));
        Policy::from_bytes(&bytes).unwrap_or_else(|e| panic!("{artifact}: {e}"))
    };
    for entry in manifest.lines().filter(|l| !l.is_empty()) {
        let (tests, artifact) = entry.split_once('\t').expect("TESTS<TAB>ARTIFACT");
        let text = std::fs::read_to_string(tests).unwrap_or_else(|e| panic!("{tests}: {e}"));
        let file = TestsFile::parse(tests, &text);
        cases += if artifact.contains(':') {
            // A stack: LEVEL:NAME:AUDIT:ARTIFACT, joined by `;`.
            let layers = artifact
                .split(';')
                .map(|l| {
                    let f: Vec<&str> = l.splitn(4, ':').collect();
                    let [level, name, audit, path] = f[..] else {
                        panic!("{tests}: bad layer `{l}`");
                    };
                    Layer {
                        name: name.to_string(),
                        level: level.parse().expect("level"),
                        audit: audit == "1",
                        policy: load(path),
                    }
                })
                .collect();
            let stack = Stack::new(layers).unwrap_or_else(|e| panic!("{tests}: {e}"));
            stacks::flatten(&file, artifact, &stack, &mut lines)
        } else {
            flatten(&file, artifact, &load(artifact), &mut lines)
        }
        .unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(out, lines).expect("write vectors");
    println!("ffi_vectors: {cases} cases written to {out}");
    if let Some((pins, pins_out)) = pins {
        let text = std::fs::read_to_string(pins).unwrap_or_else(|e| panic!("{pins}: {e}"));
        let file = PinFile::parse(pins.as_str(), &text).unwrap_or_else(|e| panic!("{e}"));
        let mut lines = String::new();
        let n = pins::flatten(&file, &mut lines).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(pins_out, lines).expect("write pin vectors");
        println!("ffi_vectors: {n} tool-digest vectors written to {pins_out}");
    }
    if let Some((file, artifact, out)) = listings {
        let bytes = std::fs::read(artifact).unwrap_or_else(|e| panic!("{artifact}: {e}"));
        let policy = Policy::from_bytes(&bytes).unwrap_or_else(|e| panic!("{artifact}: {e}"));
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let parsed = ListingFile::parse(file.as_str(), &text).unwrap_or_else(|e| panic!("{e}"));
        let mut lines = String::new();
        let n = listing::flatten(&parsed, &policy, &mut lines).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(out, lines).expect("write listing vectors");
        println!("ffi_vectors: {n} listing vectors written to {out}");
    }
}
