//! `polc test POLICY...`: the tests written next to each policy.

use std::io::Write;
use std::path::{Path, PathBuf};

use policy_eval::cases::{Case, CaseError, TestsFile};
use policy_eval::Policy;

use crate::input::from_source;
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
        let file = TestsFile::parse(tests.display().to_string(), &text);
        for case in &file.cases {
            match case_report(&loaded.policy, case) {
                None => passed += 1,
                Some(report) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {}\n{report}", file.place(case));
                }
            }
        }
    }
    let _ = writeln!(out, "{}", policy_eval::cases::summary(passed, failed));
    if failed > 0 {
        code = code.max(EXIT_FAIL);
    }
    code
}

/// Runs one case of a tests file (`policy_eval::cases`); `None` when it
/// passed, else the failure report (spec/tests.md, "Output and exit code").
fn case_report(policy: &Policy, case: &Case) -> Option<String> {
    let name = &case.name;
    let vector = match &case.vector {
        Ok(v) => v,
        Err(e @ CaseError::Json(_)) => return Some(format!("  {e}")),
        Err(e) => return Some(format!("  {name}: {e}")),
    };
    let outcome = vector.run(policy);
    if outcome.passed() {
        return None;
    }
    let rule = outcome
        .decision
        .rule
        .and_then(|i| policy.rule(i))
        .map(|r| format!("`{}` at line {}", r.id, r.line))
        .unwrap_or_else(|| "none".to_string());
    Some(format!(
        "  {name}\n  request:  {}\n  expected: {}\n  actual:   {}\n  deciding rule: {rule}",
        vector.request,
        vector.expect_json(),
        outcome.json
    ))
}
