//! Argument constraints of MCP tool rules (`spec/language.md` section 10,
//! "Argument constraints"): pointers (E0601), values and ranges (E0602),
//! constraints per rule (E0603) and constrained rules per server (E0604).

use policy_eval::artifact::{ArgConstraint, ArgTest, ArgValue};
use policy_eval::glob::Glob;
use policy_eval::limits::{
    MAX_CONSTRAINED_TOOL_RULES, MAX_CONSTRAINTS_PER_RULE, MAX_CONSTRAINT_INT,
    MAX_PATH_CONSTRAINTS_PER_SERVER, MAX_POINTER_TOKENS,
};
use policy_eval::pointer_tokens;

use super::Walker;
use crate::ast::{ConstraintAst, ServerAst, Spanned, TestAst, ValueAst};
use crate::diag::{Code, Diagnostic, Span};
use crate::model::Effect;

impl Walker<'_> {
    /// Checks the `where` clause of a tool rule; `None` when one of its
    /// constraints is invalid (reported).
    pub(super) fn constraints(
        &mut self,
        rule_span: Span,
        effect: Effect,
        cs: &[Spanned<ConstraintAst>],
    ) -> Option<Vec<ArgConstraint>> {
        if cs.len() > MAX_CONSTRAINTS_PER_RULE {
            self.diags.push(
                Diagnostic::new(
                    Code::TooManyConstraints,
                    rule_span,
                    format!(
                        "{} argument constraints on one rule; at most {MAX_CONSTRAINTS_PER_RULE}",
                        cs.len()
                    ),
                )
                .with_help("split the tool's cases over several rules"),
            );
            return None;
        }
        let mut out = Vec::with_capacity(cs.len());
        let mut ok = true;
        for c in cs {
            if effect == Effect::Deny && matches!(c.value.test, TestAst::Path(_)) {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidConstraintValue,
                        c.span,
                        "`is ... path` on a deny rule",
                    )
                    .with_help(
                        "a path constraint lets the filesystem rules allow a call; deny the \
                         paths in `filesystem` instead, or use `matches` on a deny",
                    ),
                );
                ok = false;
                continue;
            }
            match constraint(&c.value) {
                Ok(v) => out.push(v),
                Err((code, message, help)) => {
                    self.diags
                        .push(Diagnostic::new(code, c.span, message).with_help(help));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// Reports a server with more tool rules with `where` than
    /// [`MAX_CONSTRAINED_TOOL_RULES`] (E0604), at the first one beyond.
    pub(super) fn constrained_per_server(&mut self, server: &ServerAst) {
        let mut paths = 0;
        let over_paths = server.rules.iter().flat_map(|r| &r.constraints).find(|c| {
            paths += usize::from(matches!(c.value.test, TestAst::Path(_)));
            paths > MAX_PATH_CONSTRAINTS_PER_SERVER
        });
        if let Some(c) = over_paths {
            self.diags.push(
                Diagnostic::new(
                    Code::ConstrainedPerServer,
                    c.span,
                    format!(
                        "server `{}` has more than {MAX_PATH_CONSTRAINTS_PER_SERVER} `is ... path` constraints",
                        server.name.value
                    ),
                )
                .with_help("each is one filesystem decision per call; move tools to another server"),
            );
        }
        let over = server
            .rules
            .iter()
            .filter(|r| !r.constraints.is_empty())
            .nth(MAX_CONSTRAINED_TOOL_RULES);
        if let Some(r) = over {
            self.diags.push(
                Diagnostic::new(
                    Code::ConstrainedPerServer,
                    r.span,
                    format!(
                        "server `{}` has more than {MAX_CONSTRAINED_TOOL_RULES} tool rules with `where`",
                        server.name.value
                    ),
                )
                .with_help(
                    "each call of the server tries them in turn; merge cases with `in` lists \
                     or move tools to another server",
                ),
            );
        }
    }
}

type Problem = (Code, String, String);

fn constraint(c: &ConstraintAst) -> Result<ArgConstraint, Problem> {
    pointer_tokens(&c.pointer).ok_or_else(|| {
        (
            Code::InvalidPointer,
            format!("`{}` is not a JSON Pointer", c.pointer),
            format!(
                "write `/key/sub` (RFC 6901): `~0` for `~`, `~1` for `/`, at most \
                 {MAX_POINTER_TOKENS} keys"
            ),
        )
    })?;
    let bad_value = |message: String| {
        (
            Code::InvalidConstraintValue,
            message,
            format!(
                "values are quoted strings, integers up to 2^53 ({MAX_CONSTRAINT_INT}) in \
                 magnitude, `true` or `false`; a range is `LOW..HIGH` with LOW <= HIGH"
            ),
        )
    };
    let int = |s: &str| -> Result<i64, Problem> {
        s.parse::<i64>()
            .ok()
            .filter(|i| i.unsigned_abs() <= MAX_CONSTRAINT_INT as u64)
            .ok_or_else(|| bad_value(format!("integer `{s}` is beyond 2^53")))
    };
    let test = match &c.test {
        TestAst::Glob(g) => {
            Glob::flat(g).map_err(|e| bad_value(format!("invalid glob `{g}`: {e}")))?;
            ArgTest::Glob(g.clone())
        }
        TestAst::Range(a, b) => {
            let (lo, hi) = (int(a)?, int(b)?);
            if lo > hi {
                return Err(bad_value(format!("range `{a}..{b}` is empty")));
            }
            ArgTest::Range(lo, hi)
        }
        TestAst::Path(a) => ArgTest::Path(*a),
        TestAst::OneOf(vs) => {
            let mut out = Vec::with_capacity(vs.len());
            for v in vs {
                let v = match v {
                    ValueAst::Str(s) => ArgValue::Str(s.clone()),
                    ValueAst::Int(i) => ArgValue::Int(int(i)?),
                    ValueAst::Bool(b) => ArgValue::Bool(*b),
                };
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            ArgTest::OneOf(out)
        }
    };
    Ok(ArgConstraint {
        pointer: c.pointer.clone(),
        test,
    })
}
