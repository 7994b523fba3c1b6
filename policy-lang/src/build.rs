//! The one pipeline from source to loaded policy: check, lint, compile,
//! encode, and load the bytes back as a runtime would.
//!
//! Every caller (the CLI, the WASM console, fuzz targets, benchmarks and
//! tests) goes through [`build`], so all of them test the path production
//! takes: the policy they decide with was loaded from the artifact bytes.

use policy_eval::artifact::Artifact;
use policy_eval::limits;
use policy_eval::Policy;

use crate::check::{self, CheckResult};
use crate::compile::{self, CompileError};
use crate::diag::{Code, Diagnostic, Severity, Span};
use crate::model::CheckedPolicy;

/// Everything one build produced. When any diagnostic is an error, only
/// `diagnostics` (and `checked`, when checking passed) are set.
#[derive(Debug)]
pub struct Build {
    /// The checked policy, `None` when checking found an error.
    pub checked: Option<CheckedPolicy>,
    /// The compiled tables, `None` on any error.
    pub artifact: Option<Artifact>,
    /// The artifact's bytes (`spec/artifact.md`), what `polc compile` writes.
    pub bytes: Option<Vec<u8>>,
    /// The policy loaded from `bytes` with `Policy::from_bytes`.
    pub policy: Option<Policy>,
    /// Check, lint and compile diagnostics: check diagnostics sorted by
    /// position, then compile errors (E0006, E0008).
    pub diagnostics: Vec<Diagnostic>,
}

impl Build {
    /// A build that stopped at `diagnostics` before anything was checked
    /// (e.g. a source too large to read, E0003).
    pub fn failed(diagnostics: Vec<Diagnostic>) -> Build {
        Build {
            checked: None,
            artifact: None,
            bytes: None,
            policy: None,
            diagnostics,
        }
    }

    /// Whether any diagnostic is an error (then there is no artifact).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Builds a policy from source text.
pub fn build(source: &str) -> Build {
    build_with_budget(source, limits::MAX_TABLE_ENTRIES)
}

/// Builds a policy from raw bytes: invalid UTF-8 is E0002, an oversized
/// source E0003, before anything else.
pub fn build_bytes(bytes: &[u8]) -> Build {
    match std::str::from_utf8(bytes) {
        Ok(source) => build(source),
        Err(_) => from_check(
            check::check_bytes(bytes),
            "",
            limits::MAX_TABLE_ENTRIES,
            limits::MAX_ARTIFACT_BYTES,
        ),
    }
}

/// [`build`] with a custom table budget (for tests of the budget itself).
pub fn build_with_budget(source: &str, budget: usize) -> Build {
    from_check(
        check::check_source(source),
        source,
        budget,
        limits::MAX_ARTIFACT_BYTES,
    )
}

fn from_check(result: CheckResult, source: &str, budget: usize, artifact_limit: usize) -> Build {
    let CheckResult {
        policy: checked,
        mut diagnostics,
    } = result;
    let mut build = Build::failed(Vec::new());
    let Some(checked) = checked else {
        build.diagnostics = diagnostics;
        return build;
    };
    match compile::compile_with_budget(&checked, source, budget) {
        Ok(compiled) => {
            diagnostics.extend(compiled.warnings);
            let bytes = compiled.artifact.to_bytes();
            if bytes.len() > artifact_limit {
                // No runtime would load it: a size limit, not a compiler bug.
                diagnostics.push(
                    Diagnostic::new(
                        Code::TooLarge,
                        Span::new(0, 0),
                        artifact_too_large(bytes.len(), artifact_limit),
                    )
                    .with_help("split the policy into several"),
                );
                build.checked = Some(checked);
                build.diagnostics = diagnostics;
                return build;
            }
            match Policy::from_bytes(&bytes) {
                Ok(policy) => {
                    build.policy = Some(policy);
                    build.bytes = Some(bytes);
                    build.artifact = Some(compiled.artifact);
                }
                // A compiler bug, never a user error; reported, not hidden.
                Err(e) => diagnostics.push(Diagnostic::new(
                    Code::Internal,
                    Span::new(0, 0),
                    format!("the runtime refused the compiled artifact: {e}"),
                )),
            }
        }
        Err(e) => diagnostics.push(compile_diagnostic(&e, &checked)),
    }
    build.checked = Some(checked);
    build.diagnostics = diagnostics;
    build
}

/// [`build`] with the shadowed and redundant rule lints (W0111, W0112,
/// `spec/analysis.md`), as `polc check` and the console report them. They
/// run on a policy that compiled, within the diagnostics limit: past it
/// they are not run, as W0108 already says.
pub fn build_checked(source: &str) -> Build {
    let mut b = build(source);
    add_rule_lints(&mut b);
    b
}

/// Adds the rule lints to a build that compiled (see [`build_checked`]).
pub fn add_rule_lints(b: &mut Build) {
    let (Some(checked), Some(policy)) = (&b.checked, &b.policy) else {
        return;
    };
    let Some(room) = limits::MAX_DIAGNOSTICS
        .checked_sub(b.diagnostics.len())
        .filter(|&r| r > 0)
    else {
        return;
    };
    let mut lints = crate::analysis::cover::lint(checked, policy);
    if lints.len() > room {
        let dropped = lints.len() - room;
        lints.truncate(room);
        let at = lints.last().map_or(Span::default(), |d| d.span);
        lints.push(crate::check::truncated(at, dropped));
    }
    b.diagnostics.extend(lints);
}

/// The message for a compiled artifact over `limit` bytes
/// (`MAX_ARTIFACT_BYTES`: the most a runtime loads).
pub fn artifact_too_large(size: usize, limit: usize) -> String {
    format!("compiled artifact is {size} bytes, more than the limit of {limit} bytes that runtimes load")
}

fn compile_diagnostic(e: &CompileError, checked: &CheckedPolicy) -> Diagnostic {
    // The first rule responsible, or 1:1 when the index is out of range.
    let rule_span = |i: usize| checked.rules.get(i).map_or(Span::new(0, 0), |r| r.span);
    match e {
        CompileError::Budget { rules, .. } => {
            Diagnostic::new(Code::TableBudget, Span::new(0, 0), e.to_string()).with_help(format!(
                "split the policy, or narrow the rules with the largest candidate lists ({})",
                rules.join(", ")
            ))
        }
        CompileError::Cost { first, .. } => {
            Diagnostic::new(Code::CostBound, rule_span(*first), e.to_string()).with_help(
                "fewer general globs along one path or host: move globs under distinct \
                 directories or anchors, or use literal, `dir/**` or `dir/**/*.ext` \
                 patterns (looked up by hash)",
            )
        }
        CompileError::TooComplex { first, .. } => {
            Diagnostic::new(Code::TooComplex, rule_span(*first), e.to_string()).with_help(
                "use literal, `dir/**` or `dir/**/*.ext` patterns (looked up by hash), \
                 or give the globs distinct literal prefixes (directories, domain \
                 anchors) so they form smaller groups; globs with `*` on both sides \
                 of a literal (`*_x_*`) combine worst",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "policy p\nnetwork {\n  allow a.com, b.com\n}\n";

    #[test]
    fn a_clean_policy_builds_loads_and_round_trips() {
        let b = build(SOURCE);
        assert!(!b.has_errors(), "{:?}", b.diagnostics);
        let bytes = b.bytes.as_deref().expect("bytes");
        assert_eq!(b.artifact.expect("artifact").to_bytes(), bytes);
        assert_eq!(b.policy.expect("policy").artifact().to_bytes(), bytes);
    }

    #[test]
    fn a_check_error_gives_diagnostics_only() {
        let b = build("policy p\nnetwork {\n  alow a.com\n}\n");
        assert!(b.has_errors());
        assert!(b.checked.is_none() && b.bytes.is_none() && b.policy.is_none());
        assert!(b.diagnostics.iter().any(|d| d.code == Code::Syntax));
    }

    #[test]
    fn the_table_budget_is_a_coded_diagnostic() {
        let b = build_with_budget(SOURCE, 1);
        assert!(b.checked.is_some() && b.bytes.is_none() && b.policy.is_none());
        let d = b.diagnostics.last().expect("a diagnostic");
        assert_eq!(d.code, Code::TableBudget);
        assert!(
            d.message.contains("more than the budget of 1"),
            "{}",
            d.message
        );
    }

    #[test]
    fn an_artifact_no_runtime_would_load_is_e0003_not_an_internal_error() {
        let size = build(SOURCE).bytes.expect("bytes").len();
        let check = || check::check_source(SOURCE);
        let at = from_check(check(), SOURCE, limits::MAX_TABLE_ENTRIES, size);
        assert!(!at.has_errors() && at.policy.is_some());
        let over = from_check(check(), SOURCE, limits::MAX_TABLE_ENTRIES, size - 1);
        assert!(over.bytes.is_none() && over.policy.is_none() && over.checked.is_some());
        let d = over.diagnostics.last().expect("a diagnostic");
        assert_eq!(d.code, Code::TooLarge);
        assert_eq!(d.message, artifact_too_large(size, size - 1));
    }

    #[test]
    fn invalid_utf8_is_e0002() {
        let b = build_bytes(b"policy p\n\xff\n");
        assert_eq!(b.diagnostics[0].code, Code::NotUtf8);
        assert!(b.checked.is_none());
    }

    /// Globs under `n` nested directories: a path below all of them meets
    /// `n` automata per access part.
    fn nested_globs(n: usize) -> String {
        let mut src = String::from("policy p\nfilesystem {\n");
        let mut dir = String::new();
        for k in 1..=n {
            dir.push_str(&format!("/d{k}"));
            src.push_str(&format!("  allow read {dir}/*x{k}*\n"));
        }
        src + "}\n"
    }

    #[test]
    fn a_policy_over_the_decision_cost_bound_is_refused_naming_rules() {
        // 2 parts x 16 depths x (1 + 4096 bytes) = 131,104 steps: over the
        // bound of 131,072 by one group; 15 depths fit.
        let ok = build(&nested_globs(15));
        assert!(ok.policy.is_some(), "{:?}", ok.diagnostics);
        let cost = policy_eval::cost::Cost::of(ok.artifact.as_ref().expect("artifact"));
        assert_eq!(cost.surfaces[1].automaton_steps, 2 * 15 * 4097);
        let b = build(&nested_globs(16));
        let d = b
            .diagnostics
            .iter()
            .find(|d| d.code == Code::CostBound)
            .unwrap_or_else(|| panic!("{:?}", b.diagnostics));
        assert!(
            d.message.contains("131104 automaton steps"),
            "{}",
            d.message
        );
        assert!(
            d.message.contains("filesystem.allow./d1/*x1*"),
            "{}",
            d.message
        );
        assert_eq!(d.span.start, nested_globs(16).find("allow").unwrap_or(0));
    }
}
