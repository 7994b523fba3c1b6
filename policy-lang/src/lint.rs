//! Lints over a checked policy: rules whose reach depends on a reading of the
//! semantics that has changed (W0109, `spec/language.md` section 6,
//! "Combined requests"), and grants broader than a policy usually means
//! (W0110).
//!
//! The overlap tests here are conservative and cheap ("may match a common
//! request"): they compare the literal heads of patterns, never the glob
//! parts, so a warning can be spurious but a pair that really overlaps is
//! never missed when the heads differ only past a wildcard.

use crate::diag::{Code, Diagnostic};
use crate::model::{
    Access, CheckedPolicy, DomainPattern, DomainText, Effect, NetTarget, PathPattern, RuleDef,
    RuleKind,
};
use crate::{reference, sets};
use policy_eval::Surface;

/// Every W0110 of the policy: an `allow` or `ask` that grants every host of
/// a top-level domain (`**.com`, `*.com`), write access to all of home
/// (`~/**`), or sending a secret to a host where what is sent can be read
/// by others ([`sets::USER_CONTENT_HOSTS`]). (`**`, `0.0.0.0/0` and `/**`
/// are W0102.)
pub fn broad_grants(policy: &CheckedPolicy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Special-use names (RFC 6761, RFC 6762, RFC 2606): not the public
    // Internet.
    const LOCAL: [&str; 6] = [
        "localhost",
        "local",
        "internal",
        "test",
        "example",
        "invalid",
    ];
    let whole_tld = |d: &DomainPattern| {
        !d.anchor.is_empty()
            && !d.anchor.contains('.')
            && !LOCAL.contains(&d.anchor.as_str())
            && (d.any_depth || !d.prefix.is_empty())
            && d.prefix.iter().all(|l| l == "*")
    };
    for r in policy.rules.iter().filter(|r| r.effect != Effect::Deny) {
        let grant = r.effect.as_str();
        match &r.kind {
            RuleKind::Network { targets, .. } => {
                for t in targets {
                    if let NetTarget::Domain(d) = t {
                        if whole_tld(d) {
                            out.push(broad(
                                r,
                                format!("this `{grant}` covers every host under the top-level domain `.{}` (`{}`)", d.anchor, d.text()),
                                "name the hosts or the domains you mean, such as `**.example.com`",
                            ));
                        }
                    }
                }
            }
            RuleKind::Filesystem { access, paths }
                if access.0 & Access::WRITE.0 != 0
                    && paths.iter().any(|p| p.root == "home" && p.glob == "**") =>
            {
                out.push(broad(
                    r,
                    format!("this `{grant}` lets the agent write anywhere in home (`~/**`): shell profiles, keys, other projects"),
                    "grant write on the directories the agent works in, such as `$workspace/**`",
                ));
            }
            RuleKind::Credential {
                names,
                destinations: Some(ds),
                ..
            } => {
                let name = names.first().map(String::as_str).unwrap_or_default();
                for d in ds {
                    let NetTarget::Domain(d) = d else { continue };
                    if whole_tld(d) {
                        out.push(broad(
                            r,
                            format!(
                                "this `{grant}` may send `{name}` to every host under `.{}` (`{}`)",
                                d.anchor,
                                d.text()
                            ),
                            "list the hosts the secret is for",
                        ));
                        continue;
                    }
                    // A deny with `to` naming the host carves it out.
                    let carved = |h: &str| {
                        policy.rules.iter().any(|o| match &o.kind {
                            RuleKind::Credential {
                                names: on,
                                destinations: Some(od),
                                ..
                            } => {
                                o.effect == Effect::Deny
                                    && names_may_overlap(names, on)
                                    && od.iter().any(|t| {
                                        matches!(t, NetTarget::Domain(x) if reference::domain_matches(x, h))
                                    })
                            }
                            _ => false,
                        })
                    };
                    if let Some(host) = sets::USER_CONTENT_HOSTS
                        .iter()
                        .find(|h| reference::domain_matches(d, h) && !carved(h))
                    {
                        out.push(broad(
                            r,
                            format!("this `{grant}` may send `{name}` to `{host}` (through `{}`), where what is sent can be stored and read by others", d.text()),
                            "list the API hosts the secret is for, or carve the host out with `deny NAME to HOST`",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn broad(r: &RuleDef, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::BroadGrant, r.span, message).with_help(help.to_string())
}

/// Every W0109 of the policy: a rule that applies to more combined requests
/// (read+write, a send, a request without a port) than it did when an `ask`
/// applied only if it covered every part, or that now grants read+write with
/// another rule.
pub fn combined_requests(policy: &CheckedPolicy) -> Vec<Diagnostic> {
    let rules = &policy.rules;
    let default = |s: Surface| policy.defaults[s as usize];
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        match &r.kind {
            RuleKind::Network { ports: Some(_), .. } if r.effect == Effect::Ask => {
                let other = rules.iter().find(|o| {
                    o.effect == Effect::Allow
                        && matches!(&o.kind, RuleKind::Network { ports: None, .. })
                });
                if other.is_some() || default(Surface::Network) != Effect::Deny {
                    out.push(warn(
                        r,
                        other,
                        "this `ask` with a port list now applies to requests without a port \
                         (they could be for any of its ports); before, they skipped it",
                        "pass the port in requests, or keep the rule if asking is what you want",
                    ));
                }
            }
            RuleKind::Filesystem { access, paths } if *access != Access::READ_WRITE => {
                let granting = |o: &&RuleDef| match &o.kind {
                    RuleKind::Filesystem { paths: op, .. } => {
                        o.effect == Effect::Allow && paths_may_overlap(paths, op)
                    }
                    _ => false,
                };
                if r.effect == Effect::Ask {
                    let other = rules.iter().find(granting);
                    if other.is_some() || default(Surface::Filesystem) != Effect::Deny {
                        out.push(warn(
                            r,
                            other,
                            "this `ask` with one access now applies to read+write requests \
                             (they are decided as the stricter of read and write); before, \
                             they skipped it",
                            "keep the rule if asking before read+write is what you want",
                        ));
                    }
                } else if r.effect == Effect::Allow {
                    // An earlier single-access allow of the other access.
                    let other = rules.get(..i).unwrap_or_default().iter().find(|o| {
                        matches!(&o.kind, RuleKind::Filesystem { access: oa, .. }
                            if *oa != Access::READ_WRITE && oa != access)
                            && granting(o)
                    });
                    if other.is_some() {
                        out.push(warn(
                            r,
                            other,
                            "with the other rule this `allow` now grants read+write on the \
                             paths both cover; before, read+write needed one rule covering both",
                            "write `allow read write` if both are meant, or narrow one of the rules",
                        ));
                    }
                }
            }
            RuleKind::Credential { names, .. } if r.effect == Effect::Ask => {
                let other = rules.iter().find(|o| match &o.kind {
                    RuleKind::Credential {
                        names: on,
                        destinations: Some(_),
                        ..
                    } => o.effect == Effect::Allow && names_may_overlap(names, on),
                    _ => false,
                });
                if other.is_some() || default(Surface::Credential) != Effect::Deny {
                    out.push(warn(
                        r,
                        other,
                        "this `ask` now applies to every send of these secrets (a send also \
                         needs what seeing needs); before, a send granted elsewhere skipped it",
                        "keep the rule if asking before each send is what you want",
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

fn warn(r: &RuleDef, other: Option<&RuleDef>, message: &str, help: &str) -> Diagnostic {
    let d = Diagnostic::new(Code::CombinedReach, r.span, message.to_string()).with_help(format!(
        "{help}; see spec/language.md section 6, \"Combined requests\""
    ));
    match other {
        Some(o) => d.with_note(o.span, format!("`{}` may grant the same requests", o.id)),
        None => d,
    }
}

/// Whether two lists of path patterns may match a common path: different
/// roots may bind nested paths, so only patterns under the same root whose
/// literal leading segments differ are known apart.
fn paths_may_overlap(a: &[PathPattern], b: &[PathPattern]) -> bool {
    a.iter().any(|p| {
        b.iter().any(|q| {
            if p.root != q.root {
                return true;
            }
            let (ph, pfull) = literal_segments(&p.glob);
            let (qh, qfull) = literal_segments(&q.glob);
            if pfull && qfull {
                return ph == qh;
            }
            ph.iter().zip(&qh).all(|(x, y)| x == y)
                && (!pfull || ph.len() >= qh.len())
                && (!qfull || qh.len() >= ph.len())
        })
    })
}

/// The leading segments of a glob without glob syntax, and whether that is
/// the whole glob.
fn literal_segments(glob: &str) -> (Vec<&str>, bool) {
    let mut out = Vec::new();
    for seg in glob.split('/').filter(|s| !s.is_empty()) {
        if seg.contains(['*', '?', '[', '{', '\\']) {
            return (out, false);
        }
        out.push(seg);
    }
    (out, true)
}

/// Whether two lists of name patterns may match a common name (ASCII case
/// folded): one literal head is a prefix of the other.
fn names_may_overlap(a: &[String], b: &[String]) -> bool {
    // The literal head, and whether it is the whole pattern.
    fn head(n: &str) -> (&[u8], bool) {
        let end = n.find(['*', '?', '[', '{', '\\']).unwrap_or(n.len());
        (&n.as_bytes()[..end], end == n.len())
    }
    let starts = |x: &[u8], y: &[u8]| x.len() >= y.len() && x[..y.len()].eq_ignore_ascii_case(y);
    a.iter().any(|x| {
        let (hx, fx) = head(x);
        b.iter().any(|y| {
            let (hy, fy) = head(y);
            match (fx, fy) {
                (true, true) => hx.eq_ignore_ascii_case(hy),
                (true, false) => starts(hx, hy),
                (false, true) => starts(hy, hx),
                (false, false) => starts(hx, hy) || starts(hy, hx),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use crate::check::check_source;
    use crate::diag::Code;

    /// The lines (1-based) of the W0109 warnings of `body`, after a
    /// two-line header.
    fn w0109(body: &str) -> Vec<usize> {
        let src = format!("policy t\n{body}");
        let checked = check_source(&src);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let lines = crate::diag::LineIndex::new(&src);
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::CombinedReach)
            .map(|d| lines.line_col(&src, d.span.start).0)
            .collect()
    }

    #[test]
    fn network_ask_with_ports() {
        let b = "network {\n  allow a.com\n  ask a.com port 443\n}\n";
        assert_eq!(w0109(b), [4]);
        // Without a port-free allow and with a deny default nothing changes.
        assert!(w0109("network {\n  allow a.com port 443\n  ask a.com port 22\n}\n").is_empty());
        assert_eq!(
            w0109("network {\n  default ask\n  ask a.com port 22\n}\n"),
            [4]
        );
    }

    #[test]
    fn filesystem_single_access() {
        let b = "filesystem {\n  allow read write /w/**\n  ask write /w/.git/**\n}\n";
        assert_eq!(w0109(b), [4]);
        // Disjoint literal heads: no overlap, no warning.
        assert!(w0109("filesystem {\n  allow read write /w/**\n  ask write /x/**\n}\n").is_empty());
        // Two single-access allows that may meet now grant read+write.
        let b = "filesystem {\n  allow read /srv/**\n  allow write /srv/drop/**\n}\n";
        assert_eq!(w0109(b), [4]);
        assert!(w0109("filesystem {\n  allow read /usr/**\n  allow write /tmp/**\n}\n").is_empty());
        // Fully literal paths overlap only when equal.
        assert!(w0109("filesystem {\n  allow read /a/b\n  allow write /a/b/c\n}\n").is_empty());
        assert_eq!(
            w0109("filesystem {\n  allow read /a/b\n  allow write /a/*\n}\n"),
            [4]
        );
    }

    #[test]
    fn credential_ask() {
        let b = "credentials {\n  ask TOKEN\n  allow TOKEN to a.com\n}\n";
        assert_eq!(w0109(b), [3]);
        let b = "credentials {\n  ask DB_*\n  allow db_main to a.com\n}\n";
        assert_eq!(w0109(b), [3]);
        assert!(w0109("credentials {\n  ask DB_*\n  allow GH_TOKEN to a.com\n}\n").is_empty());
        assert!(w0109("credentials {\n  ask TOKEN\n  allow TOKEN\n}\n").is_empty());
    }
}
