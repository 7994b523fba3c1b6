//! Tool rules with argument constraints (`where` clauses, format 5): per
//! server a short list, at most [`MAX_CONSTRAINED_TOOL_RULES`], each rule's
//! tool name globs and its constraints prepared at load (pointer tokens
//! unescaped, globs parsed), tried in turn for every call of the server.
//!
//! A constraint on a call's `arguments` object is **held**, **failed**, or
//! **unknown** (the pointer reaches nothing, or a value of another type:
//! missing or mistyped). An allow or ask rule applies when every
//! constraint is held; a deny applies unless one failed, so a missing or
//! mistyped argument never satisfies an allow and never escapes a deny
//! (`spec/language.md` section 10, "Argument constraints").

use serde_json::Value;

use crate::artifact::{
    Access, ArgConstraint, ArgTest, ArgValue, Artifact, Condition, Effect, Surface,
};
use crate::error::LoadError;
use crate::glob::Glob;
use crate::limits::{
    MAX_CONSTRAINED_TOOL_RULES, MAX_CONSTRAINTS_PER_RULE, MAX_CONSTRAINT_INT,
    MAX_PATH_CONSTRAINTS_PER_SERVER, MAX_PATH_LEN, MAX_POINTER_TOKENS,
};
use crate::normalize::is_normalized_name;

/// The outcome of one constraint on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The value passes the test.
    Yes,
    /// The value has the tested type and fails the test.
    No,
    /// No value at the pointer, or a value of another type.
    Unknown,
}

/// One constrained tool rule, prepared.
#[derive(Debug, Clone)]
pub(crate) struct Constrained {
    /// Index of the rule.
    pub(crate) rule: u32,
    /// Its effect.
    pub(crate) effect: Effect,
    /// Its tool name globs (`*` and `?` match any byte).
    names: Vec<Glob>,
    /// Its constraints, in source order.
    constraints: Vec<Prepared>,
}

/// One constraint, prepared.
#[derive(Debug, Clone)]
struct Prepared {
    /// The pointer's reference tokens, unescaped (`~1` → `/`, `~0` → `~`).
    tokens: Vec<String>,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Glob(Glob),
    OneOf(Vec<ArgValue>),
    Range(f64, f64),
    Path(Access),
}

/// Decides a path argument with the policy's filesystem rules: the effect
/// of the filesystem request, `None` when the path is invalid.
pub(crate) type PathDecider<'a> = &'a dyn Fn(&str, Access) -> Option<Effect>;

impl Constrained {
    /// Validates the constrained rules of one server and prepares them.
    pub(crate) fn build(
        server: &str,
        list: &[(Vec<String>, u32)],
        art: &Artifact,
        seen: &mut [bool],
    ) -> Result<Vec<Constrained>, LoadError> {
        let bad = |p: String| Err(LoadError::table("mcp", format!("server `{server}`: {p}")));
        if list.len() > MAX_CONSTRAINED_TOOL_RULES {
            return bad(format!(
                "{} constrained tool rules exceed the limit of {MAX_CONSTRAINED_TOOL_RULES}",
                list.len()
            ));
        }
        let paths = list
            .iter()
            .filter_map(
                |(_, ri)| match art.rules.get(*ri as usize).map(|r| &r.cond) {
                    Some(Condition::Arguments(cs)) => Some(cs),
                    _ => None,
                },
            )
            .flatten()
            .filter(|c| matches!(c.test, ArgTest::Path(_)))
            .count();
        if paths > MAX_PATH_CONSTRAINTS_PER_SERVER {
            return bad(format!(
                "{paths} path constraints exceed the limit of {MAX_PATH_CONSTRAINTS_PER_SERVER}"
            ));
        }
        let mut out: Vec<Constrained> = Vec::with_capacity(list.len());
        for (names, ri) in list {
            if out.last().is_some_and(|p| p.rule >= *ri) {
                return bad("constrained rules not in ascending rule order".into());
            }
            let Some(rule) = art.rules.get(*ri as usize) else {
                return bad(format!("constrained rule {ri} out of range"));
            };
            let Condition::Arguments(cs) = &rule.cond else {
                return bad(format!("constrained rule {ri} has no argument constraints"));
            };
            let once = seen
                .get_mut(*ri as usize)
                .is_some_and(|s| !std::mem::replace(s, true));
            if rule.surface != Surface::Mcp || !once {
                return bad(format!(
                    "constrained rule {ri} is not an MCP rule or is listed twice"
                ));
            }
            if names.is_empty() || names.iter().any(|n| !is_normalized_name(n)) {
                return bad(format!(
                    "constrained rule {ri}: tool names missing or not normalized"
                ));
            }
            let names = names
                .iter()
                .map(|n| Glob::flat(n))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| LoadError::table("mcp", format!("tool glob: {e}")))?;
            let constraints = prepare(cs, rule.effect)
                .map_err(|p| LoadError::table("mcp", format!("rule {ri}: {p}")))?;
            out.push(Constrained {
                rule: *ri,
                effect: rule.effect,
                names,
                constraints,
            });
        }
        Ok(out)
    }

    /// Whether the rule names tool `tool` (normalized).
    #[inline]
    pub(crate) fn names(&self, tool: &str) -> bool {
        self.names.iter().any(|g| g.is_match(tool))
    }

    /// Whether the rule applies to a call with `args`: every constraint held
    /// for an allow or ask, none failed for a deny.
    pub(crate) fn applies(&self, args: Option<&Value>, paths: PathDecider<'_>) -> bool {
        self.first_unmet(args, paths).is_none()
    }

    /// The first constraint (index, outcome) that keeps the rule from
    /// applying to a call with `args`, or `None` when it applies.
    pub(crate) fn first_unmet(
        &self,
        args: Option<&Value>,
        paths: PathDecider<'_>,
    ) -> Option<(usize, Held)> {
        let deny = self.effect == Effect::Deny;
        self.constraints.iter().enumerate().find_map(|(i, c)| {
            let h = c.eval(args, self.effect, paths);
            let unmet = if deny { h == Held::No } else { h != Held::Yes };
            unmet.then_some((i, h))
        })
    }
}

/// Validates the constraints of one rule and prepares them.
fn prepare(cs: &[ArgConstraint], effect: Effect) -> Result<Vec<Prepared>, String> {
    if cs.is_empty() || cs.len() > MAX_CONSTRAINTS_PER_RULE {
        return Err(format!(
            "{} constraints, expected 1 to {MAX_CONSTRAINTS_PER_RULE}",
            cs.len()
        ));
    }
    let int_ok = |i: i64| i.unsigned_abs() <= MAX_CONSTRAINT_INT as u64;
    cs.iter()
        .map(|c| {
            let tokens = pointer_tokens(&c.pointer)
                .ok_or_else(|| format!("invalid JSON Pointer `{}`", c.pointer))?;
            let test = match &c.test {
                ArgTest::Glob(g) => {
                    Test::Glob(Glob::flat(g).map_err(|e| format!("glob `{g}`: {e}"))?)
                }
                ArgTest::OneOf(vs) => {
                    if vs.is_empty() {
                        return Err("empty value list".into());
                    }
                    if vs
                        .iter()
                        .any(|v| matches!(v, ArgValue::Int(i) if !int_ok(*i)))
                    {
                        return Err("integer beyond 2^53".into());
                    }
                    Test::OneOf(vs.clone())
                }
                ArgTest::Range(a, b) => {
                    if a > b || !int_ok(*a) || !int_ok(*b) {
                        return Err(format!("range {a}..{b} empty or beyond 2^53"));
                    }
                    // Exact: both are at most 2^53 in magnitude.
                    Test::Range(*a as f64, *b as f64)
                }
                ArgTest::Path(a) => {
                    if effect == Effect::Deny || a.as_str().is_none() {
                        return Err("a path constraint on a deny rule, or no access".into());
                    }
                    Test::Path(*a)
                }
            };
            Ok(Prepared { tokens, test })
        })
        .collect()
}

/// The reference tokens of an RFC 6901 pointer (`/a/b~1c` → `a`, `b/c`),
/// or `None` when it is not one: not starting with `/`, a `~` not followed
/// by `0` or `1`, or more than [`MAX_POINTER_TOKENS`] tokens.
pub fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| {
            let mut out = String::with_capacity(t.len());
            let mut chars = t.chars();
            while let Some(c) = chars.next() {
                match c {
                    '~' => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return None,
                    },
                    c => out.push(c),
                }
            }
            Some(out)
        })
        .collect::<Option<_>>()?;
    (tokens.len() <= MAX_POINTER_TOKENS).then_some(tokens)
}

impl Prepared {
    fn eval(&self, args: Option<&Value>, effect: Effect, paths: PathDecider<'_>) -> Held {
        let Some(v) = args.and_then(|a| lookup(a, &self.tokens)) else {
            return Held::Unknown;
        };
        if let Test::Path(access) = self.test {
            // Held when the filesystem allows it (an ask rule: or asks); an
            // invalid path or a non-string is mistyped.
            return match v.as_str().map(|p| paths(p, access)) {
                Some(Some(e)) => {
                    if e >= effect {
                        Held::Yes
                    } else {
                        Held::No
                    }
                }
                _ => Held::Unknown,
            };
        }
        eval_test(&self.test, v)
    }
}

/// The value at `tokens` below `v`: object members by key, array elements
/// by a decimal index without leading zeros (RFC 6901; `-` is past the
/// end, so nothing).
fn lookup<'v>(mut v: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    for t in tokens {
        v = match v {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => {
                let canonical = t == "0" || (!t.starts_with('0') && !t.is_empty());
                if !canonical || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                a.get(t.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(v)
}

fn eval_test(test: &Test, v: &Value) -> Held {
    let yes = |b: bool| if b { Held::Yes } else { Held::No };
    match test {
        Test::Glob(g) => match v {
            // Longer strings than any normalized subject are mistyped.
            Value::String(s) if s.len() <= MAX_PATH_LEN => yes(g.is_match(s)),
            _ => Held::Unknown,
        },
        Test::Range(a, b) => match v.as_f64() {
            Some(x) if v.is_number() => yes(*a <= x && x <= *b),
            _ => Held::Unknown,
        },
        Test::Path(_) => Held::Unknown,
        Test::OneOf(vs) => {
            let mut typed = false;
            for want in vs {
                let (same_type, equal) = match (want, v) {
                    (ArgValue::Str(w), Value::String(s)) => (true, w == s),
                    (ArgValue::Int(w), Value::Number(n)) => {
                        (true, n.as_f64().is_some_and(|x| x == *w as f64))
                    }
                    (ArgValue::Bool(w), Value::Bool(b)) => (true, w == b),
                    _ => (false, false),
                };
                if equal {
                    return Held::Yes;
                }
                typed |= same_type;
            }
            if typed {
                Held::No
            } else {
                Held::Unknown
            }
        }
    }
}
