//! `http` blocks (`spec/language.md` section 7, "HTTP rules"): the block's
//! hosts and own rule, its method and path rules, and the number of blocks
//! that may cover one host (E0504).

use std::collections::{HashMap, HashSet};

use policy_eval::limits::MAX_HTTP_BLOCKS_PER_HOST;

use super::Walker;
use crate::ast::{HttpAst, RuleAst};
use crate::diag::{Code, Diagnostic};
use crate::model::{Effect, HttpDef, Methods, RuleKind, Surface};
use crate::pattern::{http_host, http_path, methods};

impl Walker<'_> {
    /// Checks an `http` block: its hosts, its own deny rule, then its rules.
    pub(super) fn http_block(&mut self, h: &HttpAst) {
        if !h.closed {
            self.diags.push(
                Diagnostic::new(Code::UnclosedBlock, h.span, "`http` block is not closed")
                    .with_help("add `}` on its own line after the block's last rule"),
            );
        }
        if self.over_rule_limit(h.span) {
            return;
        }
        let mut hosts = Vec::new();
        for t in &h.hosts {
            match http_host(&t.value) {
                Ok((d, warnings)) => {
                    for w in warnings {
                        self.report(t.span, w);
                    }
                    hosts.push(d);
                }
                Err(e) => self.report(t.span, e),
            }
        }
        if h.rules.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::EmptyBlock,
                    h.span,
                    "`http` block has no rules: it denies every HTTP request to its hosts",
                )
                .with_help("add `allow METHODS PATH` rules, or deny the hosts with a network rule"),
            );
        }
        let first = h.hosts.first().map_or("", |t| t.value.as_str());
        let index = self.http.len();
        let rule = self.push_rule(
            h.label.as_ref(),
            Surface::Network,
            Effect::Deny,
            h.span,
            RuleKind::HttpBlock { block: index },
            format!("network.http.{first}"),
        );
        self.http.push(HttpDef { hosts, rule });
        self.http_spans.push(h.span);
        for r in &h.rules {
            self.rule(Surface::Network, r, Some(index));
        }
    }

    /// The kind of a method and path rule of block `block`.
    pub(super) fn http_rule(&mut self, rule: &RuleAst, block: usize) -> RuleKind {
        let methods = match &rule.methods {
            Some(m) => methods(&m.value).unwrap_or_else(|e| {
                self.report(m.span, e);
                Methods::ALL
            }),
            // The grammar requires the set; keep a safe value anyway.
            None => Methods::ALL,
        };
        let mut paths = Vec::new();
        for t in &rule.targets {
            if self.over_patterns(paths.len()) {
                break;
            }
            match http_path(&t.value) {
                Ok(mut p) => paths.append(&mut p),
                Err(e) => self.report(t.span, e),
            }
        }
        RuleKind::Http {
            block,
            methods,
            paths,
        }
    }

    /// E0504: at most `MAX_HTTP_BLOCKS_PER_HOST` blocks may cover one host,
    /// so a decision probes a bounded number of path tables. The worst host
    /// is one of: an anchor of a block pattern, or one label left of it.
    pub(super) fn check_http_coverage(&mut self) {
        let mut exact: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut one: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut any: HashMap<&str, Vec<usize>> = HashMap::new();
        for (b, def) in self.http.iter().enumerate() {
            for p in &def.hosts {
                let map = match (p.any_depth, p.prefix.is_empty()) {
                    (true, _) => &mut any,
                    (false, true) => &mut exact,
                    (false, false) => &mut one,
                };
                map.entry(p.anchor.as_str()).or_default().push(b);
            }
        }
        let mut candidates: Vec<String> = Vec::new();
        for a in exact.keys().chain(one.keys()).chain(any.keys()) {
            candidates.push((*a).to_string());
            candidates.push(format!("_.{a}"));
        }
        // Anchors first: the worst host is named as a domain when it can be.
        candidates.sort_by(|a, b| (a.starts_with("_."), a).cmp(&(b.starts_with("_."), b)));
        candidates.dedup();
        let mut worst: Option<(String, Vec<usize>)> = None;
        for host in candidates {
            let mut covering: HashSet<usize> = HashSet::new();
            covering.extend(exact.get(host.as_str()).into_iter().flatten());
            if let Some((_, parent)) = host.split_once('.') {
                covering.extend(one.get(parent).into_iter().flatten());
            }
            let mut suffix = host.as_str();
            loop {
                covering.extend(any.get(suffix).into_iter().flatten());
                match suffix.split_once('.') {
                    Some((_, rest)) => suffix = rest,
                    None => break,
                }
            }
            if covering.len() > MAX_HTTP_BLOCKS_PER_HOST
                && worst.as_ref().is_none_or(|(_, w)| covering.len() > w.len())
            {
                let mut blocks: Vec<usize> = covering.into_iter().collect();
                blocks.sort_unstable();
                worst = Some((host, blocks));
            }
        }
        let Some((host, blocks)) = worst else {
            return;
        };
        let (Some(&first), Some(&over)) = (blocks.first(), blocks.get(MAX_HTTP_BLOCKS_PER_HOST))
        else {
            return;
        };
        let (Some(&at), Some(&first_at)) = (self.http_spans.get(over), self.http_spans.get(first))
        else {
            return;
        };
        let shown = match host.strip_prefix("_.") {
            Some(h) => format!("a host under `{h}`"),
            None => format!("`{host}`"),
        };
        self.diags.push(
            Diagnostic::new(
                Code::HttpBlocksPerHost,
                at,
                format!(
                    "{} `http` blocks cover {shown}, more than the limit of {MAX_HTTP_BLOCKS_PER_HOST}",
                    blocks.len()
                ),
            )
            .with_note(first_at, "the first block covering it")
            .with_help("merge the blocks of one host into one, or narrow their host patterns"),
        );
    }
}
