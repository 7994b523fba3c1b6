//! Policy test files (`spec/tests.md`): one JSON object per non-blank line,
//! `{"name", "request" | "raw", "expect"}`.
//!
//! Parsed with `serde_json` exactly as `polc test` parses them, so the text
//! sent to the JSON entry point is byte for byte the same as in the native
//! run: a `request` object is re-serialized by `serde_json` (keys sorted),
//! which JavaScript's `JSON.stringify` would not reproduce (key order and
//! number spelling change which error a malformed request reports).

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
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| parse_line(n + 1, l))
        .collect()
}

fn parse_line(line: usize, text: &str) -> ParsedCase {
    let mut case = ParsedCase {
        line,
        name: "(unnamed)".to_string(),
        input: None,
        expect: None,
        error: None,
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            case.error = Some(format!("malformed test line: {e}"));
            return case;
        }
    };
    if let Some(name) = value.get("name").and_then(Value::as_str) {
        case.name = name.to_string();
    }
    let input = match (value.get("raw"), value.get("request")) {
        (Some(Value::String(raw)), _) => raw.clone(),
        (_, Some(req)) if req.is_object() => req.to_string(),
        _ => {
            case.error = Some("test needs `request` (object) or `raw` (string)".into());
            return case;
        }
    };
    let Some(expect) = value.get("expect").and_then(Value::as_object) else {
        case.error = Some("test needs `expect` (object)".into());
        return case;
    };
    case.input = Some(input);
    case.expect = Some(expect.clone());
    case
}

/// The keys of `expect` whose values differ from `actual`'s.
pub fn wrong_keys(expect: &Map<String, Value>, actual: &Value) -> Vec<String> {
    expect
        .iter()
        .filter(|(k, v)| actual.get(k.as_str()) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Runs a tests file; `decide` gives the decision JSON and deciding rule.
pub fn run(jsonl: &str, decide: impl Fn(&str) -> (String, Option<RuleInfo>)) -> TestReport {
    let cases: Vec<CaseResult> = parse(jsonl)
        .into_iter()
        .map(|c| {
            let (Some(input), Some(expect)) = (c.input, c.expect) else {
                return CaseResult {
                    line: c.line,
                    name: c.name,
                    passed: false,
                    input: None,
                    expected: None,
                    actual: None,
                    wrong: Vec::new(),
                    rule: None,
                    error: c.error,
                };
            };
            let (json, rule) = decide(&input);
            let actual: Value = serde_json::from_str(&json).unwrap_or_default();
            let wrong = wrong_keys(&expect, &actual);
            CaseResult {
                line: c.line,
                name: c.name,
                passed: wrong.is_empty(),
                input: Some(input),
                expected: Some(expect),
                actual: Some(actual),
                wrong,
                rule,
                error: None,
            }
        })
        .collect();
    let passed = cases.iter().filter(|c| c.passed).count();
    let failed = cases.len() - passed;
    TestReport {
        passed,
        failed,
        summary: format!("tests: {passed} passed, {failed} failed"),
        cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let r = run("{not json\n{\"name\":\"x\",\"expect\":{}}\n", |_| {
            (String::new(), None)
        });
        assert_eq!((r.passed, r.failed), (0, 2));
        assert!(r.cases[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("malformed"));
        assert!(r.cases[1].error.as_deref().unwrap().contains("`request`"));
    }

    #[test]
    fn only_expected_keys_are_compared() {
        let line = r#"{"name":"n","raw":"","expect":{"decision":"deny","rule":null}}"#;
        let r = run(line, |_| {
            (
                r#"{"decision":"deny","rule":null,"reason":"invalid","message":"m"}"#.into(),
                None,
            )
        });
        assert_eq!(r.summary, "tests: 1 passed, 0 failed");
        let r = run(line, |_| {
            (
                r#"{"decision":"deny","rule":"x","reason":"rule"}"#.into(),
                None,
            )
        });
        assert_eq!(r.cases[0].wrong, vec!["rule".to_string()]);
    }
}
