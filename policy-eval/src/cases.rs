//! Policy test cases and conformance vectors (`spec/tests.md`): the one
//! runner every runtime's tests go through (feature `cases`).
//!
//! ```text
//! NAME.tests.jsonl ──TestsFile::parse──▶ Case (FILE:LINE, name, Vector)
//! Vector ──run(&Policy)──▶ Outcome (decision JSON, keys of `expect` that differ)
//! TestsFile ──flatten──▶ vectors.tsv (for the C and Go tests)
//! ```
//!
//! * [`TestsFile::parse`] reads one JSON object per non-blank line.
//! * [`Vector::request`] is the exact text every runtime sends: `raw`
//!   verbatim, or the `request` object re-serialized by `serde_json`
//!   (compact, keys sorted, numbers and escapes as `serde_json` writes
//!   them). Key order and number spelling change which error a malformed
//!   request reports, so no runtime re-serializes a request itself.
//! * [`Vector::run`] decides it with [`Policy::decide_json`] and compares
//!   only the keys present in `expect`, each for exact JSON equality.
//! * [`flatten`] writes the cases as tab-separated lines for runtimes
//!   without a JSON parser (the C suite) or that must not re-serialize
//!   requests (the Go tests).
//!
//! * [`listing`]: the tool-listing vectors (`tests/listing/`), loaded and
//!   flattened the same way.
//! * [`pins`]: the tool-digest vectors (`tests/pins/`), loaded and flattened
//!   the same way.
//! * [`stacks`]: the stack vectors (`tests/stacks/`): a stack file naming the
//!   layers, and cases in this format decided by the [`crate::Stack`].
//!
//! Rendering results is the caller's job (`polc test`, the WASM console).

use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

use crate::{Decision, Policy};

pub mod listing;
pub mod pins;
pub mod stacks;

/// A parsed tests file: every non-blank line, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct TestsFile {
    /// The file's name as given to [`TestsFile::parse`] (`FILE` of `FILE:LINE`).
    pub file: String,
    /// One case per non-blank line.
    pub cases: Vec<Case>,
}

/// One non-blank line of a tests file.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// 1-based line in the tests file (blank lines count).
    pub line: usize,
    /// The case's `name`, `(unnamed)` when missing or not a string.
    pub name: String,
    /// What to send and what to expect, or why the line is not a case.
    pub vector: Result<Vector, CaseError>,
}

/// What a case sends and what it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    /// The exact request text every runtime sends (see the module docs).
    pub request: String,
    /// The `expect` object: the keys compared with the decision JSON.
    pub expect: Map<String, Value>,
}

/// Why a line of a tests file is not a test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseError {
    /// The line is not JSON (the `serde_json` error).
    Json(String),
    /// Neither a `raw` string nor a `request` object.
    NoRequest,
    /// No `expect` object.
    NoExpect,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::Json(e) => write!(f, "malformed test line: {e}"),
            CaseError::NoRequest => f.write_str("test needs `request` (object) or `raw` (string)"),
            CaseError::NoExpect => f.write_str("test needs `expect` (object)"),
        }
    }
}

impl std::error::Error for CaseError {}

/// The result of running one vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The structured decision.
    pub decision: Decision,
    /// The decision JSON, exactly as [`Policy::decide_json`] writes it.
    pub json: String,
    /// `json`, parsed.
    pub actual: Value,
    /// The keys of `expect` whose values differ from the decision's (a key
    /// the decision lacks differs), in `expect`'s key order.
    pub wrong: Vec<String>,
}

impl Outcome {
    /// Whether every key of `expect` equals the decision's.
    pub fn passed(&self) -> bool {
        self.wrong.is_empty()
    }
}

impl TestsFile {
    /// Parses a tests file; `file` names it in [`TestsFile::place`].
    pub fn parse(file: impl Into<String>, text: &str) -> TestsFile {
        let cases = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| Case::parse(n + 1, l))
            .collect();
        TestsFile {
            file: file.into(),
            cases,
        }
    }

    /// `FILE:LINE` of a case of this file.
    pub fn place(&self, case: &Case) -> String {
        format!("{}:{}", self.file, case.line)
    }
}

impl Case {
    /// Parses one line (`line` is its 1-based number).
    pub fn parse(line: usize, text: &str) -> Case {
        let mut case = Case {
            line,
            name: "(unnamed)".to_string(),
            vector: Err(CaseError::NoRequest),
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                case.vector = Err(CaseError::Json(e.to_string()));
                return case;
            }
        };
        if let Some(name) = value.get("name").and_then(Value::as_str) {
            case.name = name.to_string();
        }
        case.vector = Vector::from_case(&value);
        case
    }
}

impl Vector {
    /// The vector of a parsed case object: `raw` wins over `request`.
    fn from_case(case: &Value) -> Result<Vector, CaseError> {
        let request = match (case.get("raw"), case.get("request")) {
            (Some(Value::String(raw)), _) => raw.clone(),
            (_, Some(req)) if req.is_object() => req.to_string(),
            _ => return Err(CaseError::NoRequest),
        };
        let expect = case
            .get("expect")
            .and_then(Value::as_object)
            .ok_or(CaseError::NoExpect)?;
        Ok(Vector {
            request,
            expect: expect.clone(),
        })
    }

    /// Decides the request with `policy` and compares with `expect`.
    pub fn run(&self, policy: &Policy) -> Outcome {
        let out = policy.decide_json_detailed(&self.request);
        self.compare(out.decision, policy.outcome_json(&out))
    }

    /// The outcome of `decision`, whose decision JSON is `json`.
    pub fn compare(&self, decision: Decision, json: String) -> Outcome {
        let actual: Value = serde_json::from_str(&json).unwrap_or_default();
        let wrong = wrong_keys(&self.expect, &actual);
        Outcome {
            decision,
            json,
            actual,
            wrong,
        }
    }

    /// `expect` as a JSON object, as failure reports print it.
    pub fn expect_json(&self) -> String {
        Value::Object(self.expect.clone()).to_string()
    }
}

/// The keys of `expect` whose values differ from `actual`'s: exact JSON
/// equality (`1` and `1.0` differ), a missing key differs even from `null`.
pub fn wrong_keys(expect: &Map<String, Value>, actual: &Value) -> Vec<String> {
    expect
        .iter()
        .filter(|(k, v)| actual.get(k.as_str()) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The cases of a JSON-lines vectors file: each non-blank line parsed as
/// JSON and given to `case` with its place (`FILE:LINE`); a line that is
/// not JSON, or that `case` refuses, is an error naming its place.
pub(crate) fn json_lines<T>(
    file: &str,
    text: &str,
    mut case: impl FnMut(String, &Value) -> Result<T, String>,
) -> Result<Vec<T>, FlattenError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let place = format!("{file}:{}", n + 1);
        let parsed = serde_json::from_str::<Value>(line)
            .map_err(|e| e.to_string())
            .and_then(|v| case(place.clone(), &v));
        match parsed {
            Ok(c) => out.push(c),
            Err(message) => return Err(FlattenError { place, message }),
        }
    }
    Ok(out)
}

/// Why a tests file cannot be flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlattenError {
    /// `FILE:LINE` of the case, or the file name.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FlattenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for FlattenError {}

/// Appends one line per case of `tests` to `out`, deciding with `policy`
/// (loaded from the artifact named `artifact`); returns the case count.
///
/// Fields are separated by TAB (`spec/tests.md`, "Flattened vectors"):
///
/// 1. `FILE:LINE` of the case;
/// 2. `artifact`;
/// 3. [`Vector::request`] in lowercase hex (NUL, TAB and newline survive);
/// 4. the decision JSON the Rust runtime gives ([`Policy::decide_json`]),
///    which the other runtime must reproduce byte for byte;
/// 5. and on: one fragment per key of `expect`, `"key":VALUE` in compact
///    `serde_json`, the form the member takes in the decision JSON.
///
/// A malformed case, or a file or artifact name with a TAB or newline, is
/// an error: a vectors file never silently drops a case.
pub fn flatten(
    tests: &TestsFile,
    artifact: &str,
    policy: &Policy,
    out: &mut String,
) -> Result<usize, FlattenError> {
    flatten_with(tests, artifact, |request| policy.decide_json(request), out)
}

/// [`flatten`] with `decide` giving the decision JSON of a request and
/// `artifact` the second field.
pub(crate) fn flatten_with(
    tests: &TestsFile,
    artifact: &str,
    decide: impl Fn(&str) -> String,
    out: &mut String,
) -> Result<usize, FlattenError> {
    let plain = |s: &str| !s.contains(['\t', '\n', '\r']);
    if !plain(&tests.file) || !plain(artifact) {
        return Err(FlattenError {
            place: tests.file.clone(),
            message: format!("names must not contain TAB or newline: {artifact:?}"),
        });
    }
    let mut lines = String::new();
    for case in &tests.cases {
        let vector = case.vector.as_ref().map_err(|e| FlattenError {
            place: tests.place(case),
            message: e.to_string(),
        })?;
        let _ = write!(
            lines,
            "{}\t{artifact}\t{}\t{}",
            tests.place(case),
            hex(vector.request.as_bytes()),
            decide(&vector.request)
        );
        for (k, v) in &vector.expect {
            let _ = write!(lines, "\t{}:{v}", Value::String(k.clone()));
        }
        lines.push('\n');
    }
    out.push_str(&lines);
    Ok(tests.cases.len())
}

/// The last line of a test run (`spec/tests.md`): `tests: N passed, M failed`.
pub fn summary(passed: usize, failed: usize) -> String {
    format!("tests: {passed} passed, {failed} failed")
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::{Artifact, Effect};

    /// A policy without rules: everything gets the default, deny.
    fn empty_policy() -> Policy {
        let art = Artifact {
            candidates: vec![vec![]],
            defaults: [Effect::Deny; 4],
            ..Artifact::default()
        };
        Policy::from_bytes(&art.to_bytes()).unwrap()
    }

    fn vector(line: &str) -> Vector {
        Case::parse(1, line).vector.unwrap()
    }

    #[test]
    fn request_objects_are_reserialized_with_sorted_keys() {
        let v = vector(
            r#"{"name":"n","request":{"surface":"network","port":4.0e2,"host":"\u0061"},"expect":{}}"#,
        );
        assert_eq!(
            v.request,
            r#"{"host":"a","port":400.0,"surface":"network"}"#
        );
    }

    #[test]
    fn raw_is_sent_verbatim_and_wins_over_request() {
        let v = vector(r#"{"name":"r","raw":"{x\u0000 ","request":{"a":1},"expect":{}}"#);
        assert_eq!(v.request, "{x\0 ");
    }

    #[test]
    fn blank_lines_are_skipped_and_keep_the_numbering() {
        let t = TestsFile::parse(
            "dir/a.tests.jsonl",
            "\n  \r\n{\"name\":\"r\",\"raw\":\"\",\"expect\":{}}\n\n",
        );
        assert_eq!(t.cases.len(), 1);
        assert_eq!(t.cases[0].line, 3);
        assert_eq!(t.cases[0].name, "r");
        assert_eq!(t.place(&t.cases[0]), "dir/a.tests.jsonl:3");
    }

    #[test]
    fn a_bad_json_line_reports_file_and_line() {
        let t = TestsFile::parse(
            "x.tests.jsonl",
            "\n{not json\n{\"name\":\"x\",\"raw\":\"\"}\n",
        );
        let [bad, no_expect] = &t.cases[..] else {
            panic!("{t:?}")
        };
        assert_eq!(t.place(bad), "x.tests.jsonl:2");
        assert_eq!(bad.name, "(unnamed)");
        let e = bad.vector.as_ref().unwrap_err();
        assert!(matches!(e, CaseError::Json(_)));
        assert!(e
            .to_string()
            .starts_with("malformed test line: key must be a string"));
        assert_eq!(no_expect.vector, Err(CaseError::NoExpect));
        assert_eq!(
            Case::parse(1, r#"{"name":"n","request":"text","expect":{}}"#).vector,
            Err(CaseError::NoRequest)
        );
        let err = flatten(&t, "a.apol", &empty_policy(), &mut String::new()).unwrap_err();
        assert_eq!(err.to_string(), format!("x.tests.jsonl:2: {e}"));
    }

    #[test]
    fn a_key_missing_from_the_decision_fails() {
        let p = empty_policy();
        let v = vector(
            r#"{"name":"n","request":{"surface":"network","host":"a.com"},"expect":{"decision":"deny","lifetime":null}}"#,
        );
        let out = v.run(&p);
        assert_eq!(
            out.json,
            r#"{"decision":"deny","rule":null,"reason":"default"}"#
        );
        assert_eq!(out.wrong, vec!["lifetime".to_string()]);
        assert!(!out.passed());
    }

    #[test]
    fn only_the_expected_keys_are_compared_exactly() {
        let p = empty_policy();
        let run = |expect: &str| {
            vector(&format!(r#"{{"name":"n","raw":"{{x","expect":{expect}}}"#))
                .run(&p)
                .wrong
        };
        // Invalid: deny, no rule, reason and message.
        assert!(run(r#"{"decision":"deny"}"#).is_empty());
        assert!(run(r#"{"decision":"deny","rule":null,"reason":"invalid"}"#).is_empty());
        assert!(run(r#"{"message":"request is not well-formed JSON"}"#).is_empty());
        assert_eq!(
            run(r#"{"decision":"allow","reason":"invalid"}"#),
            ["decision"]
        );
        assert_eq!(
            run(r#"{"message":"request is not well-formed"}"#),
            ["message"]
        );
    }

    #[test]
    fn rule_null_requires_that_no_rule_decided() {
        let expect: Map<String, Value> =
            serde_json::from_str(r#"{"decision":"deny","rule":null}"#).unwrap();
        let by_rule = serde_json::json!({"decision":"deny","rule":"x","reason":"rule"});
        let by_default = serde_json::json!({"decision":"deny","rule":null,"reason":"default"});
        assert_eq!(wrong_keys(&expect, &by_rule), ["rule"]);
        assert!(wrong_keys(&expect, &by_default).is_empty());
        // Exact JSON equality: an integer is not a float.
        let expect: Map<String, Value> = serde_json::from_str(r#"{"lifetime":3600}"#).unwrap();
        assert_eq!(
            wrong_keys(&expect, &serde_json::json!({"lifetime":3600.0})),
            ["lifetime"]
        );
        assert!(wrong_keys(&expect, &serde_json::json!({"lifetime":3600})).is_empty());
    }

    #[test]
    fn flatten_writes_one_line_per_case() {
        let t = TestsFile::parse(
            "t/a.tests.jsonl",
            concat!(
                r#"{"name":"a","raw":"{\t\n","expect":{"reason":"invalid","rule":null}}"#,
                "\n\n",
                r#"{"name":"b","request":{"surface":"network","host":"a.com"},"expect":{}}"#,
                "\n"
            ),
        );
        let mut out = String::new();
        assert_eq!(flatten(&t, "out/a.apol", &empty_policy(), &mut out), Ok(2));
        let invalid = r#"{"decision":"deny","rule":null,"reason":"invalid","message":"request is not well-formed JSON"}"#;
        let default = r#"{"decision":"deny","rule":null,"reason":"default"}"#;
        let b = hex(br#"{"host":"a.com","surface":"network"}"#);
        assert_eq!(
            out,
            format!(
                "t/a.tests.jsonl:1\tout/a.apol\t7b090a\t{invalid}\t\"reason\":\"invalid\"\t\"rule\":null\n\
                 t/a.tests.jsonl:3\tout/a.apol\t{b}\t{default}\n"
            )
        );
        let bad = flatten(&t, "a\tb", &empty_policy(), &mut out).unwrap_err();
        assert_eq!(bad.place, "t/a.tests.jsonl");
    }
}
