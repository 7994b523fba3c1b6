//! `check` and `compile` for the full build: diagnostics as data, with the
//! positions an editor needs (1-based line and character column like `polc`,
//! and UTF-16 offsets for JavaScript strings).

use policy_eval::Policy;
use policy_lang::check::{check_source, CheckResult};
use policy_lang::diag::{floor_char_boundary, Diagnostic, LineIndex, Severity, Span};
use serde::Serialize;

use crate::engine::{Engine, Range, Source};

/// One diagnostic, positioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticInfo {
    /// Stable code, e.g. `E0101` (documented in `spec/language.md`).
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
    /// Where it points (flattened: `line`, `column`, `end_line`,
    /// `end_column`, `start`, `end`).
    #[serde(flatten)]
    pub range: Range,
    /// Secondary locations (e.g. the first definition of a duplicate).
    pub notes: Vec<Note>,
}

/// A secondary location of a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The note.
    pub message: String,
    /// Where it points.
    pub range: Range,
}

/// Name, version and size of a policy that checked without errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `policy NAME`.
    pub name: String,
    /// `version`, empty when absent.
    pub version: String,
    /// Number of rules.
    pub rules: usize,
}

/// The result of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutput {
    /// No errors (warnings allowed).
    pub ok: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<DiagnosticInfo>,
    /// The policy, when there is no error.
    pub policy: Option<Summary>,
}

/// The result of [`compile`] and [`from_source`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompileOutput {
    /// The artifact was produced.
    pub ok: bool,
    /// Check diagnostics, then compiler warnings.
    pub diagnostics: Vec<DiagnosticInfo>,
    /// A problem that is not a diagnostic (the table budget, or the runtime
    /// refusing the compiled artifact).
    pub error: Option<String>,
    /// The policy, when compiled.
    pub policy: Option<Summary>,
    /// The artifact bytes (passed to JavaScript as a `Uint8Array`).
    #[serde(skip)]
    pub artifact: Option<Vec<u8>>,
}

/// A [`Range`] for a byte span of `src`.
pub fn range(src: &str, lines: &LineIndex, span: Span) -> Range {
    let (line, column) = lines.line_col(src, span.start);
    let (end_line, end_column) = lines.line_col(src, span.end);
    Range {
        line,
        column,
        end_line,
        end_column,
        start: utf16(src, span.start),
        end: utf16(src, span.end),
    }
}

/// UTF-16 offset of byte offset `at` (clamped, floored to a char boundary).
fn utf16(src: &str, at: usize) -> usize {
    let at = floor_char_boundary(src, at.min(src.len()));
    src.get(..at).map_or(0, |s| s.encode_utf16().count())
}

fn diagnostic(src: &str, lines: &LineIndex, d: &Diagnostic) -> DiagnosticInfo {
    let r = range(src, lines, d.span);
    DiagnosticInfo {
        code: d.code.as_str(),
        severity: d.severity().as_str(),
        message: d.message.clone(),
        help: d.help.clone(),
        range: r,
        notes: d
            .notes
            .iter()
            .map(|(span, message)| Note {
                message: message.clone(),
                range: range(src, lines, *span),
            })
            .collect(),
    }
}

fn diagnostics(src: &str, lines: &LineIndex, ds: &[Diagnostic]) -> Vec<DiagnosticInfo> {
    ds.iter().map(|d| diagnostic(src, lines, d)).collect()
}

fn summary(result: &CheckResult) -> Option<Summary> {
    result.policy.as_ref().map(|p| Summary {
        name: p.name.clone(),
        version: p.version.clone(),
        rules: p.rules.len(),
    })
}

/// Checks a source: every diagnostic, positioned.
pub fn check(source: &str) -> CheckOutput {
    let result = check_source(source);
    let lines = LineIndex::new(source);
    let errors = result
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    CheckOutput {
        ok: errors == 0,
        errors,
        warnings: result.diagnostics.len() - errors,
        diagnostics: diagnostics(source, &lines, &result.diagnostics),
        policy: summary(&result),
    }
}

/// Checks, compiles and loads a source; the engine keeps the source for
/// explanations. Without errors the output carries the artifact bytes.
pub fn from_source(source: &str) -> (CompileOutput, Option<Engine>) {
    let result = check_source(source);
    let lines = LineIndex::new(source);
    let mut out = CompileOutput {
        ok: false,
        diagnostics: diagnostics(source, &lines, &result.diagnostics),
        error: None,
        policy: summary(&result),
        artifact: None,
    };
    let Some(checked) = result.policy else {
        return (out, None);
    };
    let compiled = match policy_lang::compile::compile(&checked, source) {
        Ok(c) => c,
        Err(e) => {
            out.error = Some(e.to_string());
            return (out, None);
        }
    };
    out.diagnostics
        .extend(diagnostics(source, &lines, &compiled.warnings));
    let bytes = compiled.artifact.to_bytes();
    let policy = match Policy::from_artifact(compiled.artifact) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(format!("compiled artifact refused: {e}"));
            return (out, None);
        }
    };
    out.ok = true;
    out.artifact = Some(bytes);
    let engine = Engine::with_source(
        policy,
        Source {
            text: source.to_string(),
            checked,
            lines,
        },
    );
    (out, Some(engine))
}

/// Checks and compiles a source to artifact bytes.
pub fn compile(source: &str) -> CompileOutput {
    from_source(source).0
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str =
        "policy t\n\nnetwork {\n  gh: allow github.com port 443\n  deny **.github.com\n}\n";

    #[test]
    fn diagnostics_have_lines_columns_and_utf16_offsets() {
        let src = "policy t\n# é\nnetwork {\n  allow exa mple.com\n}\n";
        let out = check(src);
        assert!(!out.ok);
        let d = out
            .diagnostics
            .iter()
            .find(|d| d.severity == "error")
            .unwrap();
        assert_eq!(d.range.line, 4);
        // UTF-16 offsets count `é` as one unit, bytes count it as two.
        let prefix: String = src.chars().take(d.range.start).collect();
        assert_eq!(prefix.lines().count(), 4);
    }

    #[test]
    fn compile_gives_bytes_the_runtime_loads() {
        let out = compile(POLICY);
        assert!(out.ok, "{out:?}");
        let engine = Engine::from_bytes(out.artifact.as_deref().unwrap()).unwrap();
        let d = engine.decide_json(r#"{"surface":"network","host":"github.com","port":443}"#);
        assert_eq!(
            d,
            r#"{"decision":"deny","rule":"network.deny.**.github.com","reason":"rule"}"#
        );
    }

    #[test]
    fn a_broken_policy_compiles_to_diagnostics_not_bytes() {
        let out = compile("policy t\nnetwork {\n  allow\n");
        assert!(!out.ok);
        assert!(out.artifact.is_none());
        assert!(!out.diagnostics.is_empty());
    }

    #[test]
    fn explanation_lists_losing_matches_like_polc_explain() {
        let (_, engine) = from_source(POLICY);
        let engine = engine.unwrap();
        let v = engine.decide(r#"{"surface":"network","host":"github.com","port":443}"#);
        assert_eq!(v["decision"], "deny");
        assert_eq!(v["deciding"]["line"], 5);
        assert_eq!(v["deciding"]["range"]["line"], 5);
        let ex = &v["explanation"];
        assert_eq!(
            ex["summary"],
            "deciding rule `network.deny.**.github.com` (deny)"
        );
        assert_eq!(ex["reference_agrees"], true);
        assert_eq!(ex["matches"][0]["rule"]["id"], "gh");
        assert_eq!(ex["matches"][0]["why"], "lost: `deny` beats `allow`");
    }

    #[test]
    fn invalid_requests_are_decisions() {
        let (_, engine) = from_source(POLICY);
        let v = engine.unwrap().decide("{nope");
        assert_eq!(v["decision"], "deny");
        assert_eq!(v["reason"], "invalid");
        assert!(v["deciding"].is_null());
        assert_eq!(v["explanation"]["matches"], serde_json::json!([]));
    }

    #[test]
    fn refused_requests_are_decided_like_malformed_json() {
        // What the JS layer gives for a value JSON cannot carry.
        let why = policy_eval::Invalid::JsonSyntax;
        let (_, engine) = from_source(POLICY);
        let engine = engine.unwrap();
        assert_eq!(
            engine.decide_json_refused(why),
            r#"{"decision":"deny","rule":null,"reason":"invalid","message":"request is not well-formed JSON"}"#
        );
        assert_eq!(engine.decide_json_refused(why), engine.decide_json("{nope"));
        assert_eq!(engine.decide_refused(why), engine.decide("{nope"));
        let out = compile(POLICY);
        let engine = Engine::from_bytes(out.artifact.as_deref().unwrap()).unwrap();
        assert_eq!(engine.decide_refused(why), engine.decide("{nope"));
    }

    #[test]
    fn explanation_without_source_has_no_matches() {
        let out = compile(POLICY);
        let engine = Engine::from_bytes(out.artifact.as_deref().unwrap()).unwrap();
        let v = engine.decide(r#"{"surface":"network","host":"x.org"}"#);
        assert_eq!(v["reason"], "default");
        assert!(v["explanation"]["matches"].is_null());
        assert!(!engine.info().has_source);
    }
}
