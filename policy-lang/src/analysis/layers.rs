//! Inactive rules of a lower layer (`spec/layers.md`): where a lower layer,
//! deciding on its own, is looser than a layer above it. A stack takes the
//! strictest of its layers, so those decisions never take effect.
//!
//! Each pair (higher, lower) is compared with [`diff`]: the classes of
//! `diff(higher, lower)` whose lower decision is looser as a stack orders
//! decisions ([`policy_eval::strictness`]) are exactly the requests the
//! lower layer tries to widen, each with a witness both compiled policies and
//! the reference interpreter decide as claimed. Parts the diff does not
//! decide exactly are returned as unknown, never as proven.

use crate::analysis::diff::{diff, DiffError, Options, Outcome, Scope, Side, Unknown};
use crate::analysis::request::witness_json;
use crate::diag::{Code, Diagnostic, Span};
use crate::model::{CheckedPolicy, Effect, NetTarget, RuleDef, RuleKind, Surface};
use policy_eval::json::OwnedRequest as Req;
use policy_eval::Context;

/// Requests a lower layer decides more loosely than a higher one: one
/// change class of `diff(higher, lower)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    /// The surface.
    pub surface: Surface,
    /// The lower layer's deciding rule (index into its rules).
    pub rule: usize,
    /// The lower layer's decision there.
    pub lower: Outcome,
    /// The higher layer's (stricter) decision there.
    pub higher: Outcome,
    /// Cells of the class (each a set of requests described by patterns).
    pub cells: usize,
    /// The description of the cell with the shortest witness.
    pub what: String,
    /// That witness request, as JSON (with its root bindings).
    pub witness: String,
}

/// The result of comparing a lower layer with one higher layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every class of requests the lower layer tries to widen.
    pub inactive: Vec<Inactive>,
    /// Parts not decided exactly: a widening there is not ruled out.
    pub unknown: Vec<Unknown>,
}

/// Where a rule of `lower` decides more loosely than `higher`
/// (`spec/layers.md`, "Inactive rules"), except where a deny rule of
/// `higher` decides (a guard rail). The lower layer's default is not
/// reported: where a layer has no rule, its default is how it defers to
/// the layers above.
pub fn inactive(higher: Side<'_>, lower: Side<'_>, opts: &Options) -> Result<Report, DiffError> {
    let d = diff(higher, lower, opts)?;
    let inactive = d
        .classes
        .iter()
        .filter(|c| {
            policy_eval::strictness(c.new.effect, c.new.lifetime)
                > policy_eval::strictness(c.old.effect, c.old.lifetime)
        })
        // A higher layer's deny rule is a guard rail the lower layers need
        // not restate.
        .filter(|c| !(c.old.effect == Effect::Deny && c.old.rule.is_some()))
        .filter_map(|c| {
            // Where the higher layer's `pass` default decides, it delegates:
            // the lower layer decides there.
            let cells: Vec<_> = c
                .cells
                .iter()
                .filter(|cell| !delegates(higher, &cell.witness, &d.roots))
                .collect();
            // The cell with the shortest witness, the easiest to read.
            let first = cells
                .iter()
                .min_by_key(|cell| witness_json(&cell.witness, &d.roots).to_string().len())?;
            // A default is how a layer defers where it has no rule.
            let id = c.new.rule.as_ref()?;
            Some(Inactive {
                surface: c.surface,
                rule: lower.checked.rules.iter().position(|r| &r.id == id)?,
                lower: c.new.clone(),
                higher: c.old.clone(),
                cells: cells.len(),
                what: first.what.clone(),
                witness: witness_json(&first.witness, &d.roots).to_string(),
            })
        })
        .collect();
    // Where neither layer grants by address, IPv6 forms embedding an IPv4
    // address meet address rules only through denies: a higher deny is not
    // reported, a lower one only narrows, so those forms hide nothing.
    let grants = |p: &CheckedPolicy| p.rules.iter().any(grants_by_address);
    let unknown = d
        .unknown
        .into_iter()
        .filter(|u| {
            u.scope != Scope::EmbeddedIpv4 || grants(higher.checked) || grants(lower.checked)
        })
        .collect();
    Ok(Report { inactive, unknown })
}

/// Whether `side`'s `pass` default decides `req` (bound with `roots`), so
/// that it delegates the request to the layers below.
fn delegates(side: Side<'_>, req: &Req, roots: &[(String, String)]) -> bool {
    let bound: Vec<(&str, &str)> = roots
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    let ctx = Context {
        roots: &bound,
        ..Context::default()
    };
    let r = req.as_request();
    let d = side.policy.decide(&r, &ctx);
    policy_eval::abstains(side.policy, &r, &ctx, &d)
}

/// Whether `r` allows or asks by an address range (a network target or a
/// credential destination).
fn grants_by_address(r: &RuleDef) -> bool {
    let targets = match &r.kind {
        RuleKind::Network { targets, .. } => targets,
        RuleKind::Credential {
            destinations: Some(ds),
            ..
        } => ds,
        _ => return false,
    };
    r.effect != Effect::Deny && targets.iter().any(|t| matches!(t, NetTarget::Net(_)))
}

/// How a decision reads in a message: `deny (rule `x`)`, `allow (its
/// default)`.
fn outcome_text(o: &Outcome) -> String {
    let effect = o.effect.as_str();
    let lifetime = match o.lifetime {
        Some(crate::model::Lifetime::Session) => " for the session".to_string(),
        Some(crate::model::Lifetime::Seconds(s)) => format!(" for {s} s"),
        None => String::new(),
    };
    match &o.rule {
        Some(id) => format!("{effect}{lifetime} (rule `{id}`)"),
        None => format!("{effect}{lifetime} (its default)"),
    }
}

/// The W0113 and W0114 diagnostics of `report`, on the lower layer's
/// source: each inactive rule with the higher layer's decision and the
/// witness; each unknown part (at the file's start).
pub fn diagnostics(higher_name: &str, lower: &CheckedPolicy, report: &Report) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = report
        .inactive
        .iter()
        .map(|i| {
            let (span, what) = match lower.rules.get(i.rule) {
                Some(r) => (r.span, format!("rule `{}`", r.id)),
                None => (Span::new(0, 0), format!("rule {}", i.rule)),
            };
            let cells = if i.cells > 1 {
                format!(" (and {} more sets of requests)", i.cells - 1)
            } else {
                String::new()
            };
            let looser = if i.lower.effect == i.higher.effect {
                "grants for longer than"
            } else {
                "is looser than"
            };
            Diagnostic::new(
                Code::Inactive,
                span,
                format!(
                    "{what} is inactive on {}{cells}: it {looser} layer `{higher_name}`, which decides {}",
                    i.what,
                    outcome_text(&i.higher)
                ),
            )
            .with_help(format!(
                "for example {} is decided {} here but {} by the stack; narrow the rule to what `{higher_name}` allows, or ask its authors to allow it",
                i.witness,
                outcome_text(&i.lower),
                outcome_text(&i.higher)
            ))
        })
        .collect();
    out.extend(report.unknown.iter().map(|u| {
        Diagnostic::new(
            Code::Unproven,
            Span::new(0, 0),
            format!(
                "could not prove that this layer stays within layer `{higher_name}` on the {} surface: {}",
                u.surface.as_str(),
                u.what
            ),
        )
    }));
    out
}
