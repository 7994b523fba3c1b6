//! `check` and `compile` for the full build, through [`policy_lang::build()`]:
//! diagnostics as [`DiagnosticJson`] (the shape `polc check --format json`
//! prints), with the positions an editor needs (1-based line and character
//! column, and UTF-16 offsets for JavaScript strings).

use policy_lang::diag::{Diagnostic, DiagnosticJson, LineIndex, Severity};
use policy_lang::model::CheckedPolicy;
use serde::Serialize;

use crate::engine::{Engine, Source};

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
    /// Every diagnostic: check diagnostics sorted by position, then compile
    /// diagnostics (E0006, E0008).
    pub diagnostics: Vec<DiagnosticJson>,
    /// The policy, when there is no error.
    pub policy: Option<Summary>,
}

/// The result of [`compile`] and [`from_source`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompileOutput {
    /// The artifact was produced.
    pub ok: bool,
    /// Check diagnostics, then compile diagnostics (the table budget E0006,
    /// a too complex glob group E0008).
    pub diagnostics: Vec<DiagnosticJson>,
    /// The policy, when it checked without errors.
    pub policy: Option<Summary>,
    /// The artifact bytes (passed to JavaScript as a `Uint8Array`).
    #[serde(skip)]
    pub artifact: Option<Vec<u8>>,
}

fn diagnostics(src: &str, lines: &LineIndex, ds: &[Diagnostic]) -> Vec<DiagnosticJson> {
    ds.iter()
        .map(|d| DiagnosticJson::new(src, lines, d))
        .collect()
}

fn summary(checked: Option<&CheckedPolicy>) -> Option<Summary> {
    checked.map(|p| Summary {
        name: p.name.clone(),
        version: p.version.clone(),
        rules: p.rules.len(),
    })
}

/// Checks a source: every diagnostic, positioned. Compiles it too
/// ([`policy_lang::build_checked()`]), so that the table budget (E0006),
/// compile warnings and the rule lints are reported as `polc check`
/// reports them.
pub fn check(source: &str) -> CheckOutput {
    let build = policy_lang::build_checked(source);
    let lines = LineIndex::new(source);
    let errors = build
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    CheckOutput {
        ok: errors == 0,
        errors,
        warnings: build.diagnostics.len() - errors,
        diagnostics: diagnostics(source, &lines, &build.diagnostics),
        policy: if errors == 0 {
            summary(build.checked.as_ref())
        } else {
            None
        },
    }
}

/// Checks, compiles and loads a source ([`policy_lang::build()`]); the engine
/// keeps the source for explanations. Without errors the output carries the
/// artifact bytes.
pub fn from_source(source: &str) -> (CompileOutput, Option<Engine>) {
    let build = policy_lang::build(source);
    let lines = LineIndex::new(source);
    let mut out = CompileOutput {
        ok: false,
        diagnostics: diagnostics(source, &lines, &build.diagnostics),
        policy: summary(build.checked.as_ref()),
        artifact: None,
    };
    let (false, Some(checked), Some(policy), Some(bytes)) =
        (build.has_errors(), build.checked, build.policy, build.bytes)
    else {
        return (out, None);
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
