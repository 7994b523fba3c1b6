//! Argument constraints and pins of MCP tool rules (`spec/language.md`
//! section 10, "Argument constraints" and "Pins"): pointers (E0601), values
//! and ranges (E0602), constraints per rule (E0603), constrained rules per
//! server (E0604), pins (E0605) and a tool pinned twice (E0606).

use policy_eval::artifact::{ArgConstraint, ArgTest, ArgValue};
use policy_eval::glob::Glob;
use policy_eval::limits::{
    MAX_CONSTRAINED_TOOL_RULES, MAX_CONSTRAINTS_PER_RULE, MAX_CONSTRAINT_INT,
    MAX_PATH_CONSTRAINTS_PER_SERVER, MAX_PINS_PER_RULE, MAX_POINTER_TOKENS,
};
use policy_eval::pin::{parse_digest, DefinitionDigest};
use policy_eval::pointer_tokens;

use super::Walker;
use crate::ast::{ConstraintAst, RuleAst, ServerAst, Spanned, TestAst, ValueAst};
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

    /// Checks the `pinned` digests of tool rule `rule` naming `tools`
    /// (normalized); `None` when the pin is invalid (reported, E0605).
    /// Digests come back sorted and unique.
    pub(super) fn pins(
        &mut self,
        rule: &RuleAst,
        effect: Effect,
        tools: &[String],
    ) -> Option<Vec<DefinitionDigest>> {
        let Some((at, written)) = &rule.pins else {
            return Some(Vec::new());
        };
        let fail = |this: &mut Self, span: Span, message: String, help: &str| {
            this.diags
                .push(Diagnostic::new(Code::InvalidPin, span, message).with_help(help));
            None
        };
        if effect == Effect::Deny {
            return fail(
                self,
                *at,
                "`pinned` on a deny rule".into(),
                "a pin approves tool definitions; a deny needs none (drop `pinned`)",
            );
        }
        let exact = rule.targets.len() == 1
            && tools.len() == 1
            && !tools[0].contains(['*', '?', '[', ']', '{', '}']);
        if !exact {
            return fail(
                self,
                rule.targets.first().map_or(*at, |t| t.span),
                "a pinned rule names exactly one tool, without wildcards".into(),
                "a digest pins one tool's definition: write one rule per tool, \
                 `allow get_issue pinned \"sha256:...\"`",
            );
        }
        if written.len() > MAX_PINS_PER_RULE {
            return fail(
                self,
                *at,
                format!(
                    "{} digests on one pin; at most {MAX_PINS_PER_RULE}",
                    written.len()
                ),
                "keep the definitions still in use",
            );
        }
        let mut out = Vec::with_capacity(written.len());
        for d in written {
            match parse_digest(&d.value) {
                Some(v) => out.push(v),
                None => {
                    return fail(
                        self,
                        d.span,
                        format!("`{}` is not a tool definition digest", d.value),
                        "write `sha256:` and 64 hex digits, as `polc digest tool` prints \
                         for the definition `tools/list` serves",
                    )
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Reports a tool pinned by two rules of one server (E0606), at the
    /// second.
    pub(super) fn pins_per_server(&mut self, server: &ServerAst) {
        let mut seen = std::collections::HashSet::new();
        for r in server.rules.iter().filter(|r| r.pins.is_some()) {
            let [t] = r.targets.as_slice() else { continue };
            let name = t.value.to_ascii_lowercase();
            if !seen.insert(name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicatePin,
                        t.span,
                        format!(
                            "tool `{}` of server `{}` is pinned twice",
                            t.value, server.name.value
                        ),
                    )
                    .with_help("list every approved definition in one `pinned` rule"),
                );
            }
        }
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
