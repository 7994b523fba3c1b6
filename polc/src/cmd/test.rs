//! `polc test POLICY...`: the tests written next to each policy.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::input::{from_source, FromSource};
use crate::{EXIT_FAIL, EXIT_OK};

/// The tests file of a policy: `NAME.tests.jsonl` beside `NAME.policy`.
pub fn tests_path(policy: &Path) -> PathBuf {
    let stem = policy.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    policy.with_file_name(format!("{stem}.tests.jsonl"))
}

/// `polc test POLICY...`.
pub(crate) fn test(policies: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut code = EXIT_OK;
    for path in policies {
        let loaded = match from_source(path, err) {
            Ok(l) => l,
            Err(c) => {
                code = code.max(c);
                failed += 1;
                continue;
            }
        };
        let tests = tests_path(path);
        let text = match std::fs::read_to_string(&tests) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read tests `{}`: {e}", tests.display());
                code = code.max(EXIT_FAIL);
                failed += 1;
                continue;
            }
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let place = format!("{}:{}", tests.display(), n + 1);
            match run_case(&loaded, line) {
                Ok(()) => passed += 1,
                Err(report) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {place}\n{report}");
                }
            }
        }
    }
    let _ = writeln!(out, "tests: {passed} passed, {failed} failed");
    if failed > 0 {
        code = code.max(EXIT_FAIL);
    }
    code
}

/// Runs one test line: `{"name", "request" | "raw", "expect"}`; the keys of
/// `expect` are compared with the decision JSON.
fn run_case(loaded: &FromSource, line: &str) -> Result<(), String> {
    let case: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("  malformed test line: {e}"))?;
    let name = case["name"].as_str().unwrap_or("(unnamed)");
    let input = match (&case["raw"], &case["request"]) {
        (serde_json::Value::String(raw), _) => raw.clone(),
        (_, req) if req.is_object() => req.to_string(),
        _ => {
            return Err(format!(
                "  {name}: test needs `request` (object) or `raw` (string)"
            ))
        }
    };
    let Some(expect) = case["expect"].as_object() else {
        return Err(format!("  {name}: test needs `expect` (object)"));
    };
    let outcome = loaded.policy.decide_json_detailed(&input);
    let actual_text = loaded.policy.decision_json(&outcome.decision);
    let actual: serde_json::Value = serde_json::from_str(&actual_text).unwrap_or_default();
    let wrong: Vec<&String> = expect
        .keys()
        .filter(|k| actual.get(k.as_str()) != expect.get(k.as_str()))
        .collect();
    if wrong.is_empty() {
        return Ok(());
    }
    let rule = outcome
        .decision
        .rule
        .and_then(|i| loaded.checked.rules.get(i as usize))
        .map(|r| format!("`{}` at line {}", r.id, r.line))
        .unwrap_or_else(|| "none".to_string());
    Err(format!(
        "  {name}\n  request:  {input}\n  expected: {}\n  actual:   {actual_text}\n  deciding rule: {rule}",
        serde_json::Value::Object(expect.clone())
    ))
}
