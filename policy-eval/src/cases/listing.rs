//! Listing vectors (`tests/listing/`, `spec/requests.md` "Listing tools"):
//! the one loader every runtime's listing tests go through.
//!
//! ```text
//! NAME.listing.jsonl ──ListingFile::parse──▶ ListingCase (FILE:LINE, name, request text, expect)
//! ListingCase ──check(listing JSON)──▶ Ok or what differs
//! ListingFile ──flatten(&Policy)──▶ listing.tsv (for the C and Go tests)
//! ```
//!
//! A line is `{"name", "request": OBJECT | "raw": TEXT, "expect": OBJECT}`;
//! `expect` is the whole listing (`{"tools": [...]}`) or error object. The
//! request text is `raw` verbatim or `request` re-serialized by
//! `serde_json`, as in [`super::Vector::request`].

use std::fmt::Write as _;

use serde_json::Value;

use super::FlattenError;
use crate::Policy;

/// A parsed listing vectors file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFile {
    /// The file's name as given to [`ListingFile::parse`].
    pub file: String,
    /// One case per non-blank line.
    pub cases: Vec<ListingCase>,
}

/// One listing vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCase {
    /// `FILE:LINE` of the vector.
    pub place: String,
    /// Its `name`.
    pub name: String,
    /// The exact listing request text every runtime sends.
    pub request: String,
    /// The expected listing or error object.
    pub expect: Value,
}

impl ListingFile {
    /// Parses a vectors file; a malformed line is an error naming it.
    pub fn parse(file: impl Into<String>, text: &str) -> Result<ListingFile, FlattenError> {
        let file = file.into();
        let cases = super::json_lines(&file, text, |place, v| {
            let request = match (v.get("request"), v.get("raw")) {
                (Some(r @ Value::Object(_)), None) => r.to_string(),
                (None, Some(Value::String(raw))) => raw.clone(),
                _ => return Err("needs `request` (object) or `raw` (string)".into()),
            };
            let Some(expect @ Value::Object(_)) = v.get("expect") else {
                return Err("needs `expect` (object)".into());
            };
            Ok(ListingCase {
                name: v
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("(unnamed)")
                    .to_string(),
                place,
                request,
                expect: expect.clone(),
            })
        })?;
        Ok(ListingFile { file, cases })
    }
}

impl ListingCase {
    /// Compares a runtime's answer (the listing or error JSON text) with the
    /// expected object, for JSON equality. The error says what differs.
    pub fn check(&self, got: &str) -> Result<(), String> {
        match serde_json::from_str::<Value>(got) {
            Ok(v) if v == self.expect => Ok(()),
            _ => Err(format!(
                "{}: {}: expected {}, got {got}",
                self.place, self.name, self.expect
            )),
        }
    }

    /// Runs [`Policy::list_tools_json`] and [`ListingCase::check`]s it.
    pub fn check_rust(&self, policy: &Policy) -> Result<(), String> {
        self.check(&policy.list_tools_json(&self.request))
    }
}

/// Appends one TAB-separated line per vector to `out`, for runtimes
/// without a JSON parser: `FILE:LINE`, the request in lowercase hex, then
/// the exact text the Rust runtime answers, which the other runtime must
/// reproduce byte for byte. A vector the Rust runtime does not pass is an
/// error. Returns the vector count.
pub fn flatten(
    file: &ListingFile,
    policy: &Policy,
    out: &mut String,
) -> Result<usize, FlattenError> {
    let mut lines = String::new();
    for case in &file.cases {
        let fail = |message: String| FlattenError {
            place: case.place.clone(),
            message,
        };
        case.check_rust(policy).map_err(fail)?;
        let got = policy.list_tools_json(&case.request);
        let _ = writeln!(
            lines,
            "{}\t{}\t{got}",
            case.place,
            super::hex(case.request.as_bytes())
        );
    }
    out.push_str(&lines);
    Ok(file.cases.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn parse_and_check_report_places() {
        let f = ListingFile::parse(
            "l.jsonl",
            "\n{\"name\":\"a\",\"raw\":\"[]\",\"expect\":{\"error\":\"invalid\",\"message\":\"listing request must be one JSON object\"}}\n",
        )
        .unwrap();
        let c = &f.cases[0];
        assert_eq!((c.place.as_str(), c.request.as_str()), ("l.jsonl:2", "[]"));
        assert_eq!(
            c.check(r#"{"message":"listing request must be one JSON object","error":"invalid"}"#),
            Ok(())
        );
        assert!(c
            .check(r#"{"tools":[]}"#)
            .unwrap_err()
            .starts_with("l.jsonl:2: a:"));
        assert!(ListingFile::parse("l", "{\"raw\":\"{}\"}").is_err());
        assert!(ListingFile::parse("l", "{\"expect\":{}}").is_err());
        assert!(ListingFile::parse("l", "nope").is_err());
    }
}
