//! Tool-digest vectors (`tests/pins/tool-digest.jsonl`, `spec/pins.md`):
//! the one loader every runtime's pin tests go through.
//!
//! ```text
//! tool-digest.jsonl ──PinFile::parse──▶ PinCase (FILE:LINE, name, definition bytes, expected)
//! PinCase ──check(canonical, digest | error kind)──▶ Ok or what differs
//! PinFile ──flatten──▶ pins.tsv (for the C and Go tests)
//! ```
//!
//! A line is `{"name", "definition": TEXT | "definition_hex": HEX, then
//! "canonical" and "digest", or "error": KIND}` ([`crate::pin::PinError::kind`]).

use std::fmt::Write as _;

use serde_json::Value;

use super::FlattenError;
use crate::pin::canonical_json;
#[cfg(doc)]
use crate::pin::PinError;

/// A parsed vectors file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFile {
    /// The file's name as given to [`PinFile::parse`].
    pub file: String,
    /// One case per non-blank line.
    pub cases: Vec<PinCase>,
}

/// One vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinCase {
    /// `FILE:LINE` of the vector.
    pub place: String,
    /// Its `name`.
    pub name: String,
    /// The definition's bytes (`definition` as UTF-8, or `definition_hex`).
    pub definition: Vec<u8>,
    /// What every runtime must answer.
    pub expect: PinExpect,
}

/// The expected answer of a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinExpect {
    /// The canonical JSON and its digest.
    Digest {
        /// RFC 8785 text.
        canonical: String,
        /// `sha256:` and 64 lower-case hex digits.
        digest: String,
    },
    /// Refused, with this [`PinError::kind`].
    Error(String),
}

impl PinFile {
    /// Parses a vectors file; a malformed line is an error naming it.
    pub fn parse(file: impl Into<String>, text: &str) -> Result<PinFile, FlattenError> {
        let file = file.into();
        let cases = super::json_lines(&file, text, |place, v| {
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let definition = match (text("definition"), text("definition_hex")) {
                (Some(d), None) => d.into_bytes(),
                (None, Some(h)) => unhex(&h).ok_or("bad `definition_hex`")?,
                _ => return Err("needs `definition` or `definition_hex` (string)".into()),
            };
            let expect = match (text("canonical"), text("digest"), text("error")) {
                (Some(canonical), Some(digest), None) => PinExpect::Digest { canonical, digest },
                (None, None, Some(kind)) => PinExpect::Error(kind),
                _ => return Err("needs `canonical` and `digest`, or `error`".into()),
            };
            Ok(PinCase {
                name: text("name").unwrap_or_else(|| "(unnamed)".into()),
                place,
                definition,
                expect,
            })
        })?;
        Ok(PinFile { file, cases })
    }
}

impl PinCase {
    /// Compares a runtime's answer with the expected one: `Ok((canonical,
    /// digest))` (`canonical` `None` when the runtime returns only the
    /// digest) or `Err(kind)`. The error says what differs.
    pub fn check(&self, got: Result<(Option<&str>, &str), &str>) -> Result<(), String> {
        let same = match (&self.expect, got) {
            (PinExpect::Digest { canonical, digest }, Ok((c, d))) => {
                d == digest && c.is_none_or(|c| c == canonical)
            }
            (PinExpect::Error(kind), Err(k)) => k == kind,
            _ => false,
        };
        if same {
            Ok(())
        } else {
            Err(format!(
                "{}: {}: expected {:?}, got {got:?}",
                self.place, self.name, self.expect
            ))
        }
    }

    /// Runs the Rust function ([`canonical_json`]) and [`PinCase::check`]s it.
    pub fn check_rust(&self) -> Result<(), String> {
        match canonical_json(&self.definition) {
            Ok(c) => {
                let d = crate::pin::digest_of_canonical(&c);
                self.check(Ok((Some(&c), &d)))
            }
            Err(e) => self.check(Err(e.kind())),
        }
    }
}

/// Appends one TAB-separated line per vector to `out`, for runtimes
/// without a JSON parser: `FILE:LINE`, the definition in lowercase hex,
/// then `digest` and the expected digest, or `error` and the message the
/// Rust runtime gives ([`PinError`]'s `Display`), which the other runtime
/// must reproduce byte for byte. A vector the Rust runtime does not pass
/// is an error. Returns the vector count.
pub fn flatten(pins: &PinFile, out: &mut String) -> Result<usize, FlattenError> {
    let mut lines = String::new();
    for case in &pins.cases {
        let fail = |message: String| FlattenError {
            place: case.place.clone(),
            message,
        };
        case.check_rust().map_err(fail)?;
        let _ = write!(lines, "{}\t{}\t", case.place, super::hex(&case.definition));
        match canonical_json(&case.definition) {
            Ok(c) => {
                let _ = writeln!(lines, "digest\t{}", crate::pin::digest_of_canonical(&c));
            }
            Err(e) => {
                let message = e.to_string();
                if message.contains(['\t', '\n', '\r']) {
                    return Err(fail(format!("message has a TAB or newline: {message:?}")));
                }
                let _ = writeln!(lines, "error\t{message}");
            }
        }
    }
    out.push_str(&lines);
    Ok(pins.cases.len())
}

fn unhex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const VECTORS: &str = include_str!("../../../tests/pins/tool-digest.jsonl");

    #[test]
    fn every_vector_passes_in_rust() {
        let file = PinFile::parse("tests/pins/tool-digest.jsonl", VECTORS).unwrap();
        assert!(file.cases.len() >= 70, "{}", file.cases.len());
        let failures: Vec<String> = file
            .cases
            .iter()
            .filter_map(|c| c.check_rust().err())
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let mut tsv = String::new();
        assert_eq!(flatten(&file, &mut tsv), Ok(file.cases.len()));
        assert_eq!(tsv.lines().count(), file.cases.len());
    }

    #[test]
    fn check_reports_what_differs() {
        let file = PinFile::parse(
            "p.jsonl",
            "\n{\"name\":\"e\",\"definition\":\"{}\",\"canonical\":\"{}\",\"digest\":\"sha256:00\"}\n\
             {\"name\":\"x\",\"definition_hex\":\"5b5d\",\"error\":\"not_object\"}\n",
        )
        .unwrap();
        let [wrong, arr] = &file.cases[..] else {
            panic!()
        };
        assert_eq!(wrong.place, "p.jsonl:2");
        assert!(wrong
            .check_rust()
            .unwrap_err()
            .starts_with("p.jsonl:2: e: expected"));
        assert_eq!(wrong.check(Ok((None, "sha256:00"))), Ok(()));
        assert!(wrong.check(Ok((Some("{ }"), "sha256:00"))).is_err());
        assert_eq!(arr.definition, b"[]");
        assert_eq!(arr.check_rust(), Ok(()));
        assert!(arr.check(Err("syntax")).is_err());
        assert!(flatten(&file, &mut String::new()).is_err());
        let mut tsv = String::new();
        let ok = PinFile {
            cases: vec![arr.clone()],
            ..file.clone()
        };
        flatten(&ok, &mut tsv).unwrap();
        assert_eq!(
            tsv,
            "p.jsonl:3\t5b5d\terror\ttool definition must be a JSON object, not an array\n"
        );
        assert!(PinFile::parse("p", "{\"name\":\"n\",\"definition\":\"{}\"}").is_err());
        assert!(PinFile::parse("p", "{\"definition_hex\":\"5\",\"error\":\"x\"}").is_err());
    }
}
