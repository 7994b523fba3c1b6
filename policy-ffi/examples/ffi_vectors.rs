//! Flattens policy test files (`spec/tests.md`) into the vectors file read by
//! the C suite (`tests/ffi/ffi_test.c`), so the C side needs no JSON parser.
//!
//! ```text
//! cargo run -p policy-ffi --example ffi_vectors -- MANIFEST OUT
//! ```
//!
//! `MANIFEST` has one line per tests file: `TESTS.jsonl<TAB>ARTIFACT`. `OUT`
//! gets one line per case, fields separated by TAB:
//!
//! 1. `FILE:LINE` of the case;
//! 2. the artifact path;
//! 3. the request text in hex (exactly the bytes `polc test` sends: `raw`
//!    verbatim, or `request` re-serialized by serde_json);
//! 4. the decision JSON the Rust runtime gives for it (`Policy::decide_json`
//!    on the loaded artifact), which C must reproduce byte for byte;
//! 5. and on: one fragment per key of `expect`, `"key":VALUE` in compact
//!    serde_json, the form the key takes in the decision JSON.
//!
//! The fragments check the cases' own expectations independently of the Rust
//! runtime: the decision JSON is a flat compact object whose string values
//! escape every `"`, so `"key":` occurs only as a real key; the C test also
//! requires the fragment to end at `,` or `}` (so `3600` does not match
//! `36000`). A key the decision lacks never matches, as in `polc test`.

// A tool for the test suite: it fails loudly on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

use policy_eval::Policy;
use serde_json::Value;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, manifest, out] = &args[..] else {
        panic!("usage: ffi_vectors MANIFEST OUT");
    };
    let manifest = std::fs::read_to_string(manifest).expect("read manifest");
    let mut lines = String::new();
    let mut cases = 0usize;
    for entry in manifest.lines().filter(|l| !l.is_empty()) {
        let (tests, artifact) = entry.split_once('\t').expect("TESTS<TAB>ARTIFACT");
        let bytes = std::fs::read(artifact).unwrap_or_else(|e| panic!("{artifact}: {e}"));
        let policy = Policy::from_bytes(&bytes).unwrap_or_else(|e| panic!("{artifact}: {e}"));
        let text = std::fs::read_to_string(tests).unwrap_or_else(|e| panic!("{tests}: {e}"));
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{tests}:{}: {e}", n + 1));
            let input = match (&case["raw"], &case["request"]) {
                (Value::String(raw), _) => raw.clone(),
                (_, req) if req.is_object() => req.to_string(),
                _ => panic!("{tests}:{}: needs `raw` or `request`", n + 1),
            };
            let expect = case["expect"]
                .as_object()
                .unwrap_or_else(|| panic!("{tests}:{}: needs `expect`", n + 1));
            let _ = write!(
                lines,
                "{tests}:{}\t{artifact}\t{}\t{}",
                n + 1,
                hex(input.as_bytes()),
                policy.decide_json(&input)
            );
            for (k, v) in expect {
                let _ = write!(lines, "\t{}:{v}", Value::String(k.clone()));
            }
            lines.push('\n');
            cases += 1;
        }
    }
    std::fs::write(out, lines).expect("write vectors");
    println!("ffi_vectors: {cases} cases written to {out}");
}
