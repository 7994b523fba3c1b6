//! The count limits of a policy (`spec/limits.md`): rules, patterns and
//! named path roots, each reported once as E0003.

use std::collections::HashSet;

use policy_eval::limits;

use super::Walker;
use crate::diag::{Code, Diagnostic, Span};
use crate::model::RuleKind;

impl Walker<'_> {
    /// E0003 on the first rule that brings the number of distinct named path
    /// roots (`~`, `$name`) over `limits::MAX_ROOT_BINDINGS`: a request
    /// context cannot bind more, so every filesystem request would be invalid.
    pub(super) fn check_root_count(&mut self) {
        let mut seen = HashSet::new();
        let over = self.rules.iter().find_map(|r| match &r.kind {
            RuleKind::Filesystem { paths, .. } => {
                for p in paths.iter().filter(|p| !p.root.is_empty()) {
                    seen.insert(p.root.as_str());
                }
                (seen.len() > limits::MAX_ROOT_BINDINGS).then_some(r.span)
            }
            _ => None,
        });
        if let Some(span) = over {
            self.diags.push(
                Diagnostic::new(
                    Code::TooLarge,
                    span,
                    format!(
                        "policy uses more than {} named path roots; a request context binds at most {}",
                        limits::MAX_ROOT_BINDINGS,
                        limits::MAX_ROOT_BINDINGS
                    ),
                )
                .with_help("write paths under fewer `$name` roots"),
            );
        }
    }

    /// Reports the first rule or pattern count limit exceeded (E0003); later
    /// rules are then skipped.
    pub(super) fn count_limit(&mut self, span: Span, message: String) {
        self.limit_reported = true;
        self.diags.push(
            Diagnostic::new(Code::TooLarge, span, message)
                .with_help("split the policy into several"),
        );
    }

    /// Whether `pending` more patterns would exceed `limits::MAX_PATTERNS`
    /// (checked while expanding, so a hostile rule cannot build millions).
    pub(super) fn over_patterns(&self, pending: usize) -> bool {
        self.patterns.saturating_add(pending) > limits::MAX_PATTERNS
    }

    /// Whether a count limit was exceeded, reporting `limits::MAX_RULES` at
    /// `span` if one more rule would exceed it now.
    pub(super) fn over_rule_limit(&mut self, span: Span) -> bool {
        if !self.limit_reported && self.rules.len() >= limits::MAX_RULES {
            let message = format!("policy has more than {} rules", limits::MAX_RULES);
            self.count_limit(span, message);
        }
        self.limit_reported
    }
}
