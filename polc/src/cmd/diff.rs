//! `polc diff OLD NEW`: every class of requests the two policies decide
//! differently, with a checked witness each (`spec/analysis.md`).
//!
//! Exit codes: 0 no change; 3 only narrowing; 4 some widening, or a part
//! the analysis could not decide (a widening is not ruled out); 1 a policy
//! has errors or a witness failed its check; 2 usage or I/O error.

use std::io::Write;
use std::path::Path;

use policy_lang::analysis::{self, Change, Diff, Options, Outcome, Side};
use policy_lang::model::Lifetime;
use serde_json::{json, Value};

use crate::input::from_source;
use crate::{Format, EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// Only narrowing changes.
pub const EXIT_NARROWING: u8 = 3;
/// Some widening, or an unknown part.
pub const EXIT_WIDENING: u8 = 4;

/// `polc diff`.
pub(crate) fn diff(
    old: &Path,
    new: &Path,
    roots: &[String],
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    // The two policies are built at once, one per core: at 10,000 rules
    // building is most of the command's time. Each build's messages are
    // kept apart and printed in order.
    let ((ra, ea), (rb, eb)) = std::thread::scope(|s| {
        let build = |path: &Path| {
            let mut msgs = Vec::new();
            let built = from_source(path, &mut msgs);
            (built, msgs)
        };
        let other = s.spawn(move || build(new));
        let first = build(old);
        (
            first,
            other
                .join()
                .unwrap_or_else(|_| (Err(EXIT_FAIL), Vec::new())),
        )
    });
    let _ = err.write_all(&ea);
    let _ = err.write_all(&eb);
    let (a, b) = match (ra, rb) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let mut opts = Options::for_policies(&a.checked, &b.checked);
    for r in roots {
        let Some((name, path)) = r.split_once('=') else {
            let _ = writeln!(err, "error: --root takes NAME=PATH, got `{r}`");
            return EXIT_USAGE;
        };
        if !path.starts_with('/') {
            let _ = writeln!(err, "error: --root {name}: the path must be absolute");
            return EXIT_USAGE;
        }
        opts.bind(name, path);
    }
    let result = analysis::diff(
        Side {
            checked: &a.checked,
            policy: &a.policy,
        },
        Side {
            checked: &b.checked,
            policy: &b.policy,
        },
        &opts,
    );
    let d = match result {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(
                err,
                "internal error: {e}; the diff is not trusted, please report this"
            );
            return EXIT_FAIL;
        }
    };
    match format {
        Format::Json => {
            let _ = writeln!(out, "{}", to_json(&d));
        }
        Format::Human => human(&d, old, new, out),
    }
    exit_code(&d)
}

/// The exit code for a diff.
fn exit_code(d: &Diff) -> u8 {
    if d.may_widen() {
        EXIT_WIDENING
    } else if d.classes.is_empty() {
        EXIT_OK
    } else {
        EXIT_NARROWING
    }
}

fn verdict(d: &Diff) -> &'static str {
    if d.classes.iter().any(|c| c.change == Change::Widening) {
        "widening"
    } else if !d.unknown.is_empty() {
        "unknown"
    } else if d.classes.is_empty() {
        "none"
    } else {
        "narrowing"
    }
}

fn lifetime(l: Option<Lifetime>) -> Value {
    match l {
        None => Value::Null,
        Some(Lifetime::Session) => json!("session"),
        Some(Lifetime::Seconds(s)) => json!(s),
    }
}

fn outcome_json(o: &Outcome) -> Value {
    let mut v = json!({ "decision": o.effect.as_str(), "rule": o.rule });
    if o.lifetime.is_some() {
        v["lifetime"] = lifetime(o.lifetime);
    }
    v
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Widening => "widening",
        Change::Narrowing => "narrowing",
    }
}

/// The JSON report (`spec/analysis.md`).
fn to_json(d: &Diff) -> Value {
    let changes: Vec<Value> = d
        .classes
        .iter()
        .map(|c| {
            let cells: Vec<Value> = c
                .cells
                .iter()
                .map(|x| json!({ "what": x.what, "witness": analysis::witness_json(&x.witness, &d.roots) }))
                .collect();
            json!({
                "surface": c.surface.as_str(),
                "change": change_word(c.change),
                "old": outcome_json(&c.old),
                "new": outcome_json(&c.new),
                "cells": cells,
            })
        })
        .collect();
    let unknown: Vec<Value> = d
        .unknown
        .iter()
        .map(|u| json!({ "surface": u.surface.as_str(), "what": u.what }))
        .collect();
    json!({
        "result": verdict(d),
        "changes": changes,
        "unknown": unknown,
        "witnesses_decided": d.probes,
    })
}

fn outcome_text(o: &Outcome) -> String {
    let mut s = o.effect.as_str().to_string();
    match &o.rule {
        Some(r) => s.push_str(&format!(" (`{r}`)")),
        None => s.push_str(" (default)"),
    }
    match o.lifetime {
        Some(Lifetime::Session) => s.push_str(" for the session"),
        Some(Lifetime::Seconds(n)) => s.push_str(&format!(" for {n}s")),
        None => {}
    }
    s
}

fn human(d: &Diff, old: &Path, new: &Path, out: &mut dyn Write) {
    let _ = writeln!(out, "polc diff {} -> {}", old.display(), new.display());
    let mut surface = None;
    for c in &d.classes {
        if surface != Some(c.surface) {
            surface = Some(c.surface);
            let _ = writeln!(out, "{}:", c.surface.as_str());
        }
        let _ = writeln!(
            out,
            "  {}: {} -> {}",
            change_word(c.change),
            outcome_text(&c.old),
            outcome_text(&c.new)
        );
        for x in &c.cells {
            let _ = writeln!(out, "    {}", x.what);
            let _ = writeln!(
                out,
                "      e.g. {}",
                analysis::witness_json(&x.witness, &d.roots)
            );
        }
    }
    for u in &d.unknown {
        let _ = writeln!(out, "unknown ({}): {}", u.surface.as_str(), u.what);
    }
    let widening = d
        .classes
        .iter()
        .filter(|c| c.change == Change::Widening)
        .count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let _ = writeln!(
        out,
        "{}: {} ({widening} widening, {} narrowing), {}; {} decided",
        verdict(d),
        plural(d.classes.len(), "change class", "change classes"),
        d.classes.len() - widening,
        plural(d.unknown.len(), "unknown part", "unknown parts"),
        plural(d.probes, "witness request", "witness requests"),
    );
    if d.classes.is_empty() && d.unknown.is_empty() {
        let _ = writeln!(out, "the two policies decide every request alike");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_verdict() {
        let empty = Diff {
            classes: Vec::new(),
            unknown: Vec::new(),
            probes: 0,
            roots: Vec::new(),
        };
        assert_eq!(exit_code(&empty), EXIT_OK);
        let mut unknown = empty.clone();
        unknown.unknown.push(analysis::Unknown {
            surface: policy_lang::model::Surface::Network,
            scope: analysis::Scope::Surface,
            what: "x".to_string(),
        });
        assert_eq!(exit_code(&unknown), EXIT_WIDENING);
    }
}
