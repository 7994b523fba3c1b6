//! `polc test POLICY...`: the tests written next to each policy.

use std::io::Write;
use std::path::{Path, PathBuf};

use policy_eval::cases::{Case, CaseError, Outcome, TestsFile, Vector};
use policy_eval::{Policy, Reason};
use policy_lang::explain::explain_json;
use policy_lang::model::CheckedPolicy;
use serde_json::{json, Value};

use crate::input::from_source;
use crate::{Format, EXIT_FAIL, EXIT_OK};

/// What `polc test --coverage` reports (`spec/tests.md`, "Coverage").
#[derive(Debug, Clone, Copy)]
pub(crate) struct CoverageOptions {
    /// Print the coverage report.
    pub report: bool,
    /// Human or JSON report.
    pub format: Format,
    /// Fail (exit 1) when fewer rules than this percentage decide a test.
    pub min: Option<f64>,
}

/// Per rule: how many tests it decided, and the decisions of the tests it
/// matched without deciding, by effect (deny, ask, allow).
#[derive(Debug, Default, Clone)]
struct RuleCoverage {
    decided: usize,
    overridden: [usize; 3],
}

/// Records which rules decide or match each case.
struct Coverage<'a> {
    checked: &'a CheckedPolicy,
    rules: Vec<RuleCoverage>,
    /// Tests decided by each surface's default.
    defaults: [usize; 4],
}

impl<'a> Coverage<'a> {
    fn new(checked: &'a CheckedPolicy) -> Self {
        Coverage {
            checked,
            rules: vec![RuleCoverage::default(); checked.rules.len()],
            defaults: [0; 4],
        }
    }

    fn record(&mut self, policy: &Policy, request: &str, surface: Option<policy_eval::Surface>) {
        let ex = explain_json(self.checked, policy, request);
        match (ex.decision.reason, ex.deciding) {
            (Reason::Rule, Some(i)) => {
                if let Some(r) = self.rules.get_mut(i) {
                    r.decided += 1;
                }
            }
            (Reason::Default, _) => {
                if let Some(s) = surface {
                    self.defaults[s as usize] += 1;
                }
            }
            _ => {}
        }
        for m in &ex.matches {
            if let Some(r) = self.rules.get_mut(m.rule) {
                r.overridden[ex.decision.effect as usize] += 1;
            }
        }
    }

    fn covered(&self) -> usize {
        self.rules.iter().filter(|r| r.decided > 0).count()
    }

    fn percent(&self) -> f64 {
        if self.rules.is_empty() {
            return 100.0;
        }
        self.covered() as f64 * 100.0 / self.rules.len() as f64
    }

    fn json(&self, file: &str) -> Value {
        let rules: Vec<Value> = self
            .checked
            .rules
            .iter()
            .zip(&self.rules)
            .map(|(r, c)| {
                json!({
                    "rule": r.id,
                    "line": r.line,
                    "effect": r.effect.as_str(),
                    "decided": c.decided,
                    "matched_not_deciding": {
                        "deny": c.overridden[0], "ask": c.overridden[1], "allow": c.overridden[2]
                    },
                })
            })
            .collect();
        let surfaces = ["network", "filesystem", "credential", "mcp"];
        let defaults: serde_json::Map<String, Value> = surfaces
            .iter()
            .zip(self.defaults)
            .map(|(s, n)| (s.to_string(), json!(n)))
            .collect();
        json!({
            "policy": file,
            "rules_deciding": self.covered(),
            "rules": self.rules.len(),
            "percent": (self.percent() * 10.0).round() / 10.0,
            "by_rule": rules,
            "defaults": defaults,
        })
    }

    fn human(&self, file: &str) -> String {
        let mut out = format!(
            "coverage {file}: {} of {} rules decide some test ({:.1}%)\n",
            self.covered(),
            self.rules.len(),
            self.percent()
        );
        for (r, c) in self.checked.rules.iter().zip(&self.rules) {
            if c.decided > 0 {
                continue;
            }
            let matched: usize = c.overridden.iter().sum();
            let why = if matched == 0 {
                "no test matches it".to_string()
            } else {
                let seen: Vec<String> = ["deny", "ask", "allow"]
                    .iter()
                    .zip(c.overridden)
                    .filter(|(_, n)| *n > 0)
                    .map(|(w, n)| format!("{n} decided {w}"))
                    .collect();
                format!(
                    "matched by {matched} tests, decided by other rules ({})",
                    seen.join(", ")
                )
            };
            out.push_str(&format!(
                "  never decides: line {} `{}` ({}): {why}\n",
                r.line,
                r.id,
                r.effect.as_str()
            ));
        }
        let surfaces = ["network", "filesystem", "credential", "mcp"];
        // Only surfaces the policy has rules for: a default of a surface
        // the policy leaves out is not part of what it was written to say.
        let used = |i: usize| self.checked.rules.iter().any(|r| r.surface as usize == i);
        let unseen: Vec<&str> = surfaces
            .iter()
            .enumerate()
            .zip(self.defaults)
            .filter(|((i, _), n)| *n == 0 && used(*i))
            .map(|((_, s), _)| *s)
            .collect();
        if !unseen.is_empty() {
            out.push_str(&format!(
                "  no test reaches the default of: {}\n",
                unseen.join(", ")
            ));
        }
        out
    }
}

/// The tests file of a policy: `NAME.tests.jsonl` beside `NAME.policy`.
pub fn tests_path(policy: &Path) -> PathBuf {
    let stem = policy.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    policy.with_file_name(format!("{stem}.tests.jsonl"))
}

/// The tests file of `path` (a policy or a stack file), parsed; `None`,
/// with the error on `err`, when it cannot be read.
pub(crate) fn read_tests(path: &Path, err: &mut dyn Write) -> Option<TestsFile> {
    let tests = tests_path(path);
    match std::fs::read_to_string(&tests) {
        Ok(text) => Some(TestsFile::parse(tests.display().to_string(), &text)),
        Err(e) => {
            let _ = writeln!(err, "error: cannot read tests `{}`: {e}", tests.display());
            None
        }
    }
}

/// `polc test POLICY... [--coverage]`.
pub(crate) fn test(
    policies: &[PathBuf],
    cov: CoverageOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut code = EXIT_OK;
    let mut reports: Vec<String> = Vec::new();
    let mut below = false;
    for path in policies {
        let loaded = match from_source(path, err) {
            Ok(l) => l,
            Err(c) => {
                code = code.max(c);
                failed += 1;
                continue;
            }
        };
        let Some(file) = read_tests(path, err) else {
            code = code.max(EXIT_FAIL);
            failed += 1;
            continue;
        };
        let mut coverage = Coverage::new(&loaded.checked);
        for case in &file.cases {
            if let Ok(v) = &case.vector {
                let surface = policy_eval::json::parse_request(&v.request)
                    .ok()
                    .map(|p| p.with(|r, _| r.surface()));
                coverage.record(&loaded.policy, &v.request, surface);
            }
            match case_report(case, |v| {
                let outcome = v.run(&loaded.policy);
                let rule = rule_text(&loaded.policy, outcome.decision.rule);
                (outcome, rule)
            }) {
                None => passed += 1,
                Some(report) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {}\n{report}", file.place(case));
                }
            }
        }
        let name = path.display().to_string();
        below |= cov.min.is_some_and(|m| coverage.percent() < m);
        reports.push(match cov.format {
            Format::Json => coverage.json(&name).to_string() + "\n",
            Format::Human => coverage.human(&name),
        });
    }
    let _ = writeln!(out, "{}", policy_eval::cases::summary(passed, failed));
    if cov.report || cov.min.is_some() {
        for r in &reports {
            let _ = write!(out, "{r}");
        }
    }
    if let (true, Some(m)) = (below, cov.min) {
        let _ = writeln!(out, "coverage below --min-coverage {m}%");
    }
    if failed > 0 || below {
        code = code.max(EXIT_FAIL);
    }
    code
}

/// How a failure report names the deciding rule `index` of `policy`.
pub(crate) fn rule_text(policy: &Policy, index: Option<u32>) -> String {
    index
        .and_then(|i| policy.rule(i))
        .map(|r| format!("`{}` at line {}", r.id, r.line))
        .unwrap_or_else(|| "none".to_string())
}

/// Runs one case of a tests file (`policy_eval::cases`) with `run`, which
/// gives its outcome and how to name the deciding rule; `None` when it
/// passed, else the failure report (spec/tests.md, "Output and exit code").
pub(crate) fn case_report(
    case: &Case,
    run: impl FnOnce(&Vector) -> (Outcome, String),
) -> Option<String> {
    let name = &case.name;
    let vector = match &case.vector {
        Ok(v) => v,
        Err(e @ CaseError::Json(_)) => return Some(format!("  {e}")),
        Err(e) => return Some(format!("  {name}: {e}")),
    };
    let (outcome, rule) = run(vector);
    if outcome.passed() {
        return None;
    }
    Some(format!(
        "  {name}\n  request:  {}\n  expected: {}\n  actual:   {}\n  deciding rule: {rule}",
        vector.request,
        vector.expect_json(),
        outcome.json
    ))
}
