//! `polc stack check LEVEL...` and `polc stack eval LEVEL... [REQUESTS]`:
//! layered policies (`spec/layers.md`). Each LEVEL is a comma-separated
//! list of policy files, top level first; a layer is named by its file's
//! stem (`org.policy` is layer `org`).
//!
//! `check` builds every file (its diagnostics as `polc check` gives them,
//! without the rule lints W0111 and W0112), then compares each layer
//! with every layer of a higher level (`policy_lang::analysis::layers`):
//! W0113 for each class of requests a lower rule tries to widen, with a
//! witness, and W0114 for a part not decided exactly. Exit 1 on errors, or
//! with `--deny-inactive` on any W0113 or W0114.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use policy_eval::cases::stacks::StackFile;
use policy_eval::event::Event;
use policy_eval::limits::MAX_LAYERS;
use policy_eval::{Layer, Stack};
use policy_lang::analysis::{layers, Options, Side};
use policy_lang::diag::{Code, Severity};

use crate::cmd::eval::each_request;
use crate::cmd::test::{case_report, read_tests};
use crate::input::{from_source, FromSource};
use crate::render::print_diagnostics;
use crate::{Format, EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// One layer as given on the command line.
struct Given {
    name: String,
    level: u8,
    audit: bool,
    path: PathBuf,
}

/// The layers of a stack file (`policy_eval::cases::stacks`; policy paths
/// relative to its directory).
fn layers_of_file(path: &Path, err: &mut dyn Write) -> Result<Vec<Given>, u8> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let _ = writeln!(err, "error: cannot read `{}`: {e}", path.display());
        EXIT_USAGE
    })?;
    let file = StackFile::parse(&path.display().to_string(), &text).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        EXIT_USAGE
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    Ok(file
        .layers
        .into_iter()
        .map(|l| Given {
            path: dir.join(&l.policy),
            name: l.name,
            level: l.level,
            audit: l.audit,
        })
        .collect())
}

/// The layers of `levels` (each a comma-separated list of files, or one
/// stack file `NAME.stack`), with the audit flag of the layers named in
/// `audit`.
fn layers_of(levels: &[String], audit: &[String], err: &mut dyn Write) -> Result<Vec<Given>, u8> {
    if let [one] = levels {
        if one.ends_with(".stack") {
            let mut out = layers_of_file(Path::new(one), err)?;
            for g in &mut out {
                g.audit |= audit.contains(&g.name);
            }
            return checked(out, audit, err);
        }
    }
    let mut out = Vec::new();
    for (level, files) in levels.iter().enumerate() {
        for f in files.split(',') {
            let path = PathBuf::from(f);
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            out.push(Given {
                audit: audit.contains(&name),
                name,
                level: u8::try_from(level).unwrap_or(u8::MAX),
                path,
            });
        }
    }
    checked(out, audit, err)
}

/// `out` when it has at most `MAX_LAYERS` layers and every `--audit` name
/// is one of them.
fn checked(out: Vec<Given>, audit: &[String], err: &mut dyn Write) -> Result<Vec<Given>, u8> {
    if out.len() > MAX_LAYERS {
        let _ = writeln!(
            err,
            "error: {} layers, more than the limit of {MAX_LAYERS}",
            out.len()
        );
        return Err(EXIT_USAGE);
    }
    for a in audit {
        if !out.iter().any(|g| &g.name == a) {
            let _ = writeln!(err, "error: --audit {a}: no layer is named `{a}`");
            return Err(EXIT_USAGE);
        }
    }
    Ok(out)
}

/// Builds every layer from source; `None` (and the diagnostics on `err`)
/// when one has errors or cannot be read.
fn build_all(given: &[Given], err: &mut dyn Write) -> Result<Vec<FromSource>, u8> {
    given.iter().map(|g| from_source(&g.path, err)).collect()
}

/// Composes built layers into a [`Stack`].
fn stack_of(given: &[Given], built: &[FromSource], err: &mut dyn Write) -> Result<Stack, u8> {
    let layers = given
        .iter()
        .zip(built)
        .map(|(g, b)| Layer {
            name: g.name.clone(),
            level: g.level,
            audit: g.audit,
            policy: b.policy.clone(),
        })
        .collect();
    Stack::new(layers).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        EXIT_USAGE
    })
}

/// The analysis side of a built layer.
fn side(b: &FromSource) -> Side<'_> {
    Side {
        checked: &b.checked,
        policy: &b.policy,
    }
}

/// The layers `given`, each built from source, and their stack.
type Loaded = (Vec<Given>, Vec<FromSource>, Stack);

/// Builds the layers `given` (or passes on why they could not be read)
/// and composes them.
fn load(given: Result<Vec<Given>, u8>, err: &mut dyn Write) -> Result<Loaded, u8> {
    let given = given?;
    let built = build_all(&given, err)?;
    let stack = stack_of(&given, &built, err)?;
    Ok((given, built, stack))
}

/// The layers of a stack file, built, and their stack.
fn load_file(path: &Path, err: &mut dyn Write) -> Result<Loaded, u8> {
    let given = layers_of_file(path, err).and_then(|g| checked(g, &[], err));
    load(given, err)
}

/// The stack of a stack file, every layer built from source.
pub(crate) fn load_stack_file(path: &Path, err: &mut dyn Write) -> Result<Stack, u8> {
    load_file(path, err).map(|(_, _, stack)| stack)
}

/// `polc stack check`.
pub(crate) fn check(
    levels: &[String],
    audit: &[String],
    deny_inactive: bool,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (given, built, stack) = match load(layers_of(levels, audit, err), err) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let (mut errors, mut warnings, mut inactive) = (0usize, 0usize, 0usize);
    for (li, (g, lower)) in given.iter().zip(&built).enumerate() {
        // Below the top, `default allow` defers to the layers above (W0103
        // is for a policy on its own).
        let mut diags: Vec<_> = lower
            .diagnostics
            .iter()
            .filter(|d| g.level == 0 || d.code != Code::DefaultAllow)
            .cloned()
            .collect();
        for (h, higher) in given[..li]
            .iter()
            .zip(&built)
            .filter(|(h, _)| h.level < g.level)
        {
            let opts = Options::for_policies(&higher.checked, &lower.checked);
            match layers::inactive(side(higher), side(lower), &opts) {
                Ok(report) => diags.extend(layers::diagnostics(&h.name, &lower.checked, &report)),
                Err(e) => {
                    let _ = writeln!(
                        err,
                        "internal error: {e}; the layer check is not trusted, please report this"
                    );
                    return EXIT_FAIL;
                }
            }
        }
        let name = g.path.display().to_string();
        print_diagnostics(&name, lower.source.as_bytes(), &diags, format, false, out);
        for d in &diags {
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            inactive += usize::from(matches!(d.code, Code::Inactive | Code::Unproven));
        }
    }
    if format == Format::Human {
        let _ = writeln!(
            err,
            "checked a stack of {} layer(s): {errors} error(s), {warnings} warning(s), {inactive} inactive or unproven",
            given.len()
        );
        let header = format!(
            "worst case per stacked decision (the sum of its layers'; each layer within the limit of {} automaton steps):",
            policy_eval::limits::MAX_DECISION_STEPS
        );
        let _ = write!(err, "{}", crate::render::cost_with(&header, &stack.cost()));
    }
    if errors > 0 || (deny_inactive && inactive > 0) {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

/// `polc stack eval`: one stack decision per input line, as `polc eval`
/// prints them, with the deciding `layer` and any `would`.
pub(crate) fn eval(
    levels: &[String],
    audit: &[String],
    requests: Option<&Path>,
    events: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (_, _, stack) = match load(layers_of(levels, audit, err), err) {
        Ok(l) => l,
        Err(c) => return c,
    };
    each_request(requests, stdin, out, err, |line| {
        if !events {
            return stack.decide_json_bytes(line) + "\n";
        }
        let now = SystemTime::now();
        let event = match stack.decide_request_bytes(line) {
            (Some(req), sd) => req.with(|r, c| Event::for_stack(&stack, r, c, &sd, now)),
            // Unparsed input: invalid in every layer, named by the first.
            (None, sd) => stack.layers().get(sd.layer).map(|l| {
                let mut e = Event::unparsed(&l.policy, &sd.decision, now);
                e.layer = Some(l.name.clone());
                e
            }),
        };
        event.map(|e| e.to_json_line()).unwrap_or_default()
    })
}

/// `polc stack test STACK...`: the tests of each stack file
/// (`NAME.tests.jsonl` beside `NAME.stack`), reported as `polc test`
/// reports a policy's.
pub(crate) fn test(stacks: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut code = EXIT_OK;
    for path in stacks {
        let (given, built, stack) = match load_file(path, err) {
            Ok(s) => s,
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
        for case in &file.cases {
            let report = case_report(case, |v| {
                let (sd, json) = stack.decide_json_detailed(&v.request);
                let outcome = v.compare(sd.decision, json);
                let layer = given.get(sd.layer).map_or("?", |g| g.name.as_str());
                let rule = built
                    .get(sd.layer)
                    .map(|b| crate::cmd::test::rule_text(&b.policy, sd.decision.rule))
                    .unwrap_or_default();
                (outcome, format!("{rule} of layer `{layer}`"))
            });
            match report {
                None => passed += 1,
                Some(report) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {}\n{report}", file.place(case));
                }
            }
        }
    }
    let _ = writeln!(out, "{}", policy_eval::cases::summary(passed, failed));
    if failed > 0 {
        code = code.max(EXIT_FAIL);
    }
    code
}

/// `polc stack explain LEVEL... --request JSON`: the stack's decision, the
/// deciding layer's rule with its source, and every layer's own decision:
/// the same (agreeing), looser (inactive here) or stricter (an audit
/// layer's would-be decision).
pub(crate) fn explain(
    levels: &[String],
    audit: &[String],
    request: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (given, built, stack) = match load(layers_of(levels, audit, err), err) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let (sd, json) = stack.decide_json_detailed(request);
    let _ = writeln!(out, "{json}");
    let parsed = policy_eval::json::parse_request(request).ok();
    let rank = |d: &policy_eval::Decision| policy_eval::strictness(d.effect, d.lifetime);
    for (i, (g, b)) in given.iter().zip(&built).enumerate() {
        let ex = policy_lang::explain::explain_json(&b.checked, &b.policy, request);
        let d = ex.decision;
        let decider = given.get(sd.layer);
        let passes = parsed
            .as_ref()
            .is_some_and(|p| p.with(|r, c| policy_eval::abstains(&b.policy, r, c, &d)));
        let role = if passes {
            "passes: its `pass` default makes no decision".to_string()
        } else if i == sd.layer {
            "decides".to_string()
        } else if rank(&d) == rank(&sd.decision) {
            "agrees".to_string()
        } else if rank(&d) < rank(&sd.decision) {
            "would be stricter (audit layer, not enforced)".to_string()
        } else if decider.is_some_and(|t| g.level <= t.level) {
            format!(
                "narrowed here by layer `{}`",
                decider.map_or("", |t| t.name.as_str())
            )
        } else {
            "inactive here: looser than the stack's decision".to_string()
        };
        let audit = if g.audit { ", audit" } else { "" };
        let _ = writeln!(
            out,
            "layer `{}` (level {}{audit}): {}; {role}",
            g.name, g.level, ex.summary
        );
        if i == sd.layer {
            if let Some(r) = ex.deciding.and_then(|r| b.checked.rules.get(r)) {
                let name = g.path.display().to_string();
                let _ = writeln!(
                    out,
                    "{}",
                    crate::render::rule(&name, &b.source, r.span, &ex.summary)
                );
            }
        }
    }
    EXIT_OK
}
