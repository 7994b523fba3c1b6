//! Policy test files (`spec/tests.md`) for the console and the JS tests:
//! the runner of `policy_eval::cases` (the one `polc test`, the C and the Go
//! tests use), with results shaped for JavaScript.
//!
//! So the text sent to the JSON entry point is byte for byte the same as in
//! every native run: a `request` object is re-serialized by `serde_json`
//! (keys sorted), which JavaScript's `JSON.stringify` would not reproduce
//! (key order and number spelling change which error a malformed request
//! reports).

use policy_eval::cases::{Outcome, TestsFile, Vector};
use policy_eval::Policy;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::RuleInfo;

/// One line of a tests file, ready to run, or why it cannot run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedCase {
    /// 1-based line in the tests file.
    pub line: usize,
    /// The case's `name` (`(unnamed)` when missing).
    pub name: String,
    /// The text to decide: `raw` verbatim, or `request` serialized.
    pub input: Option<String>,
    /// The `expect` object: keys compared with the decision JSON.
    pub expect: Option<Map<String, Value>>,
    /// Why the line is not a valid test case (then `input`/`expect` are null).
    pub error: Option<String>,
}

/// The outcome of one test case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// 1-based line in the tests file.
    pub line: usize,
    /// The case's name.
    pub name: String,
    /// Whether every key of `expect` equals the decision's.
    pub passed: bool,
    /// The text decided.
    pub input: Option<String>,
    /// The `expect` object.
    pub expected: Option<Map<String, Value>>,
    /// The decision JSON, parsed.
    pub actual: Option<Value>,
    /// Keys of `expect` that differ.
    pub wrong: Vec<String>,
    /// The deciding rule, if a rule decided.
    pub rule: Option<RuleInfo>,
    /// Why the line could not run.
    pub error: Option<String>,
}

/// The outcome of a tests file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (malformed lines included).
    pub failed: usize,
    /// `tests: N passed, M failed`, as `polc test` ends.
    pub summary: String,
    /// Every case, in file order.
    pub cases: Vec<CaseResult>,
}

/// Parses every non-blank line of a tests file.
pub fn parse(jsonl: &str) -> Vec<ParsedCase> {
    TestsFile::parse("", jsonl)
        .cases
        .into_iter()
        .map(|c| {
            let (input, expect, error) = match c.vector {
                Ok(v) => (Some(v.request), Some(v.expect), None),
                Err(e) => (None, None, Some(e.to_string())),
            };
            ParsedCase {
                line: c.line,
                name: c.name,
                input,
                expect,
                error,
            }
        })
        .collect()
}

/// Runs a tests file against `policy`; `rule_info` describes the deciding
/// rule.
pub fn run(
    jsonl: &str,
    policy: &Policy,
    rule_info: impl Fn(u32) -> Option<RuleInfo>,
) -> TestReport {
    run_with(jsonl, |v| {
        let outcome = v.run(policy);
        let rule = outcome.decision.rule.and_then(&rule_info);
        (outcome, rule)
    })
}

/// [`run`] with `decide` giving each vector's outcome and deciding rule (a
/// stack's cases: `crate::stack`).
pub fn run_with(
    jsonl: &str,
    decide: impl Fn(&Vector) -> (Outcome, Option<RuleInfo>),
) -> TestReport {
    let cases: Vec<CaseResult> = TestsFile::parse("", jsonl)
        .cases
        .into_iter()
        .map(|c| {
            let vector = match c.vector {
                Ok(v) => v,
                Err(e) => {
                    return CaseResult {
                        line: c.line,
                        name: c.name,
                        passed: false,
                        input: None,
                        expected: None,
                        actual: None,
                        wrong: Vec::new(),
                        rule: None,
                        error: Some(e.to_string()),
                    }
                }
            };
            let (outcome, rule) = decide(&vector);
            CaseResult {
                line: c.line,
                name: c.name,
                passed: outcome.passed(),
                rule,
                input: Some(vector.request),
                expected: Some(vector.expect),
                actual: Some(outcome.actual),
                wrong: outcome.wrong,
                error: None,
            }
        })
        .collect();
    let passed = cases.iter().filter(|c| c.passed).count();
    let failed = cases.len() - passed;
    TestReport {
        passed,
        failed,
        summary: policy_eval::cases::summary(passed, failed),
        cases,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use policy_eval::{Artifact, Effect};

    /// A policy without rules: everything gets the default, deny.
    fn empty_policy() -> Policy {
        let art = Artifact {
            candidates: vec![vec![]],
            defaults: [Effect::Deny; 4],
            ..Artifact::default()
        };
        Policy::from_bytes(&art.to_bytes()).unwrap()
    }

    #[test]
    fn request_objects_are_serialized_like_polc_with_sorted_keys() {
        let c = parse(r#"{"name":"n","request":{"surface":"network","host":"a"},"expect":{}}"#);
        assert_eq!(
            c[0].input.as_deref(),
            Some(r#"{"host":"a","surface":"network"}"#)
        );
    }

    #[test]
    fn raw_wins_over_request_and_blank_lines_keep_numbering() {
        let c = parse("\n{\"name\":\"r\",\"raw\":\"{x\",\"expect\":{\"decision\":\"deny\"}}\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].line, 2);
        assert_eq!(c[0].input.as_deref(), Some("{x"));
    }

    #[test]
    fn malformed_lines_are_failures_with_a_reason() {
        let r = run(
            "{not json\n{\"name\":\"x\",\"expect\":{}}\n",
            &empty_policy(),
            |_| None,
        );
        assert_eq!((r.passed, r.failed), (0, 2));
        assert!(r.cases[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("malformed"));
        assert!(r.cases[1].error.as_deref().unwrap().contains("`request`"));
        assert_eq!(r.cases[1].name, "x");
    }

    #[test]
    fn only_expected_keys_are_compared() {
        let p = empty_policy();
        let line = r#"{"name":"n","raw":"","expect":{"decision":"deny","rule":null}}"#;
        let r = run(line, &p, |_| None);
        assert_eq!(r.summary, "tests: 1 passed, 0 failed");
        let actual = r.cases[0].actual.as_ref().unwrap();
        assert_eq!(actual["reason"], "invalid");
        let line =
            r#"{"name":"n","raw":"","expect":{"decision":"deny","reason":"rule","lifetime":null}}"#;
        let r = run(line, &p, |_| None);
        assert_eq!(r.summary, "tests: 0 passed, 1 failed");
        assert_eq!(r.cases[0].wrong, ["lifetime", "reason"]);
        assert_eq!(r.cases[0].input.as_deref(), Some(""));
    }
}
