//! Rule ids (`spec/language.md`, section 5): an explicit name is kept and
//! must be unique (E0015); a derived id is made unique with `#2`, `#3`, ...

use std::collections::HashMap;

use super::Walker;
use crate::ast::Spanned;
use crate::diag::{Code, Diagnostic, Span};
use crate::model::{Effect, RuleDef, RuleKind, Surface};

impl Walker<'_> {
    pub(super) fn push_rule(
        &mut self,
        label: Option<&Spanned<String>>,
        surface: Surface,
        effect: Effect,
        span: Span,
        kind: RuleKind,
        derived: String,
    ) -> usize {
        let start = label.map_or(span.start, |l| l.span.start.min(span.start));
        let (line, column) = self.lines.line_col(self.source, start);
        let rule_span = Span::new(start, span.end);
        let id = match label {
            Some(l) => {
                // One hash lookup per name: the first rule given a name keeps
                // it, every later one is reported against that first one.
                if let Some(&first) = self.labels.get(&l.value) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateRuleName,
                            l.span,
                            format!("rule name `{}` is used twice", l.value),
                        )
                        .with_note(first, "first used here")
                        .with_help("give every rule a unique name"),
                    );
                } else {
                    self.labels.insert(l.value.clone(), rule_span);
                }
                l.value.clone()
            }
            None => derived,
        };
        self.explicit.push(label.is_some());
        self.rules.push(RuleDef {
            id,
            surface,
            effect,
            span: rule_span,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            kind,
            ask_reason: None,
        });
        self.rules.len() - 1
    }

    /// Makes derived ids unique: later repeats get `#2`, `#3`, ...; explicit
    /// names are never renamed.
    pub(super) fn derive_ids(&mut self) {
        let mut taken: HashMap<String, usize> = HashMap::new();
        for (rule, explicit) in self.rules.iter().zip(&self.explicit) {
            if *explicit {
                taken.insert(rule.id.clone(), 1);
            }
        }
        for (rule, explicit) in self.rules.iter_mut().zip(&self.explicit) {
            if *explicit {
                continue;
            }
            let base = rule.id.clone();
            let mut n = taken.get(&base).copied().unwrap_or(0);
            let mut id = base.clone();
            while taken.contains_key(&id) {
                n += 1;
                id = format!("{base}#{n}");
            }
            taken.insert(base, n.max(1));
            taken.insert(id.clone(), 1);
            rule.id = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::check_source;

    /// The ids of a valid policy's rules, in source order.
    fn ids(body: &str) -> Vec<String> {
        let result = check_source(&format!("policy p\n{body}"));
        let policy = result.policy.unwrap_or_else(|| {
            panic!("policy rejected: {:?}", result.diagnostics);
        });
        policy.rules.into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn an_explicit_name_is_the_id() {
        assert_eq!(
            ids("network {\n  npm: allow registry.npmjs.org\n}\n"),
            ["npm"]
        );
    }

    #[test]
    fn a_derived_id_is_surface_effect_and_first_pattern_as_written() {
        assert_eq!(
            ids(
                "filesystem {\n  allow read write $workspace/**, /tmp/**\n  \
                 allow read \"$workspace/My Documents/**\"\n}\n\
                 credentials {\n  allow GITHUB_TOKEN to github.com\n}\n"
            ),
            [
                "filesystem.allow.$workspace/**",
                "filesystem.allow.$workspace/My Documents/**",
                "credential.allow.GITHUB_TOKEN",
            ]
        );
    }

    #[test]
    fn a_server_approval_is_mcp_server_and_its_tools_mcp_server_effect_pattern() {
        assert_eq!(
            ids("mcp {\n  gh: server GitHub {\n    ask create_*, update_*\n  }\n}\n"),
            ["gh", "mcp.github.ask.create_*"]
        );
    }

    #[test]
    fn a_repeated_derived_id_gets_hash_2_then_hash_3() {
        assert_eq!(
            ids("network {\n  deny @metadata\n  deny @metadata port 80\n  \
                 deny @metadata port 81\n}\n"),
            [
                "network.deny.@metadata",
                "network.deny.@metadata#2",
                "network.deny.@metadata#3",
            ]
        );
    }

    #[test]
    fn explicit_names_are_never_renamed() {
        // A later explicit name keeps the id; the earlier derived one moves on.
        assert_eq!(
            ids("network {\n  deny docs.rs\n  network.deny.docs.rs: deny 10.0.0.1\n}\n"),
            ["network.deny.docs.rs#2", "network.deny.docs.rs"]
        );
    }

    #[test]
    fn a_name_used_twice_is_e0015_at_the_second_name() {
        let source = "policy p\nnetwork {\n  web: allow a.com\n  web: allow b.com\n}\n";
        let result = check_source(source);
        let codes: Vec<_> = result.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["E0015"]);
        let second = source.rfind("web").unwrap_or(0);
        assert_eq!(result.diagnostics[0].span.start, second);
    }
}
