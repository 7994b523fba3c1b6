//! Validation: syntax tree to [`CheckedPolicy`], collecting every diagnostic.
//!
//! The walk over the syntax tree lives here: headers, blocks, defaults, rule
//! ids, count limits. Each pattern is parsed by one function of
//! [`crate::pattern`], which both validates and normalizes it.

use std::collections::{HashMap, HashSet};

use policy_eval::limits;

use crate::ast::{Block, BlockKind, MetaKey, PolicyFile, RuleAst, Spanned};
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Severity, Span};
use crate::lint;
use crate::model::{
    Access, CheckedPolicy, Effect, Lifetime, NetTarget, RuleDef, RuleKind, ServerDef, Surface,
};
use crate::pattern::{
    err, lifetime, merge_ranges, name_pattern, net_target, path, port_range, server_name,
    source_pin, PatternError,
};
use crate::syntax;

/// The outcome of checking one source: the policy when there is no error,
/// and every diagnostic (errors and warnings), sorted by position.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The checked policy, `None` when any error was found.
    pub policy: Option<CheckedPolicy>,
    /// Diagnostics sorted by position, at most `limits::MAX_DIAGNOSTICS` + 1.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckResult {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Checks raw bytes: a source over the size limit is E0003 before anything
/// else; invalid UTF-8 is reported (E0002) at the first bad byte.
pub fn check_bytes(bytes: &[u8]) -> CheckResult {
    if bytes.len() > limits::MAX_POLICY_SOURCE_BYTES {
        return source_too_large(bytes.len() as u64);
    }
    match std::str::from_utf8(bytes) {
        Ok(source) => check_source(source),
        Err(e) => {
            let at = e.valid_up_to();
            CheckResult {
                policy: None,
                diagnostics: vec![Diagnostic::new(
                    Code::NotUtf8,
                    Span::new(at, at),
                    format!("source is not valid UTF-8 (bad byte at offset {at})"),
                )
                .with_help("save the policy file as UTF-8 text")],
            }
        }
    }
}

/// The result of checking a source of `len` bytes, more than
/// `limits::MAX_POLICY_SOURCE_BYTES`: E0003 at the start of the file, as
/// [`check_source`] gives. For callers that know the size of a file without
/// reading it.
pub fn source_too_large(len: u64) -> CheckResult {
    CheckResult {
        policy: None,
        diagnostics: vec![Diagnostic::new(
            Code::TooLarge,
            Span::new(0, 0),
            format!(
                "source is {len} bytes, more than the limit of {} bytes",
                limits::MAX_POLICY_SOURCE_BYTES
            ),
        )
        .with_help("split the policy or move large lists out of it")],
    }
}

/// Checks a policy source text.
pub fn check_source(source: &str) -> CheckResult {
    if source.len() > limits::MAX_POLICY_SOURCE_BYTES {
        return source_too_large(source.len() as u64);
    }
    let control: Vec<Diagnostic> = source
        .char_indices()
        .filter(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .take(limits::MAX_DIAGNOSTICS)
        .map(|(i, c)| {
            Diagnostic::new(
                Code::ControlChar,
                Span::new(i, i + c.len_utf8()),
                format!("control character U+{:04X} in source", u32::from(c)),
            )
            .with_help("policy files are plain text; remove the character")
        })
        .collect();
    if !control.is_empty() {
        return finish(None, control);
    }
    let (file, mut diags) = syntax::parse(source);
    let mut walk = Walker::new(source);
    walk.diags.append(&mut diags);
    let policy = walk.file(&file);
    if let Some(p) = &policy {
        walk.diags.extend(lint::combined_requests(p));
    }
    let has_errors = walk.diags.iter().any(|d| d.severity() == Severity::Error);
    finish(if has_errors { None } else { policy }, walk.diags)
}

fn finish(policy: Option<CheckedPolicy>, mut diags: Vec<Diagnostic>) -> CheckResult {
    diags.sort_by_key(|d| (d.span.start, d.span.end, d.code));
    diags.dedup();
    if diags.len() > limits::MAX_DIAGNOSTICS {
        let dropped = diags.len() - limits::MAX_DIAGNOSTICS;
        diags.truncate(limits::MAX_DIAGNOSTICS);
        let at = diags.last().map_or(Span::default(), |d| d.span);
        diags.push(
            Diagnostic::new(
                Code::Truncated,
                at,
                format!("{dropped} more diagnostics not shown"),
            )
            .with_help("fix the problems above and check again"),
        );
    }
    CheckResult {
        policy,
        diagnostics: diags,
    }
}

/// The walk over one file's syntax tree: checks every block, rule and
/// pattern in source order, collecting the rules and every diagnostic.
struct Walker<'s> {
    source: &'s str,
    lines: LineIndex,
    diags: Vec<Diagnostic>,
    rules: Vec<RuleDef>,
    explicit: Vec<bool>,
    /// Span of the first rule given each explicit name (E0015 on a repeat).
    labels: HashMap<String, Span>,
    servers: Vec<ServerDef>,
    patterns: usize,
    limit_reported: bool,
}

impl<'s> Walker<'s> {
    fn new(source: &'s str) -> Walker<'s> {
        Walker {
            source,
            lines: LineIndex::new(source),
            diags: Vec::new(),
            rules: Vec::new(),
            explicit: Vec::new(),
            labels: HashMap::new(),
            servers: Vec::new(),
            patterns: 0,
            limit_reported: false,
        }
    }

    fn report(&mut self, span: Span, (code, message, help): PatternError) {
        let mut d = Diagnostic::new(code, span, message);
        d.help = help;
        self.diags.push(d);
    }

    fn file(&mut self, file: &PolicyFile) -> Option<CheckedPolicy> {
        let name = self.header_one(&file.policy, "policy");
        if file.policy.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingPolicy,
                    Span::new(0, 0),
                    "missing `policy` line",
                )
                .with_help("start the file with `policy NAME`, e.g. `policy coding-agent`"),
            );
        }
        let mut meta: HashMap<MetaKey, Vec<Spanned<String>>> = HashMap::new();
        for (k, v) in &file.meta {
            meta.entry(k.value).or_default().push(v.clone());
        }
        let version = meta
            .get(&MetaKey::Version)
            .and_then(|v| self.header_one(v, "version"));
        let description = meta
            .get(&MetaKey::Description)
            .and_then(|v| self.header_one(v, "description"));
        let owner = meta
            .get(&MetaKey::Owner)
            .and_then(|v| self.header_one(v, "owner"));

        let mut defaults = [Effect::Deny; 4];
        let mut seen: HashMap<BlockKind, Span> = HashMap::new();
        for block in &file.blocks {
            if let Some(first) = seen.get(&block.kind.value) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateBlock,
                        block.kind.span,
                        format!("`{}` block given twice", block.kind.value.keyword()),
                    )
                    .with_note(*first, "first given here")
                    .with_help("merge the rules into one block"),
                );
            } else {
                seen.insert(block.kind.value, block.kind.span);
            }
            if let Some(effect) = self.block(block) {
                defaults[block.kind.value.surface() as usize] = effect;
            }
        }
        self.derive_ids();
        self.check_root_count();
        let mut roots: Vec<String> = self
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::Filesystem { paths, .. } => Some(paths),
                _ => None,
            })
            .flatten()
            .filter(|p| !p.root.is_empty())
            .map(|p| p.root.clone())
            .collect();
        roots.sort();
        roots.dedup();
        Some(CheckedPolicy {
            name: name?,
            version: version.unwrap_or_default(),
            description: description.unwrap_or_default(),
            owner: owner.unwrap_or_default(),
            defaults,
            rules: std::mem::take(&mut self.rules),
            servers: std::mem::take(&mut self.servers),
            roots,
        })
    }

    /// The single value of a header line; later repeats are errors.
    fn header_one(&mut self, values: &[Spanned<String>], key: &str) -> Option<String> {
        let first = values.first()?;
        for dup in values.iter().skip(1) {
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateHeader,
                    dup.span,
                    format!("`{key}` given twice"),
                )
                .with_note(first.span, "first given here")
                .with_help(format!("keep one `{key}` line")),
            );
        }
        Some(first.value.clone())
    }

    /// Checks a block; returns its default effect when one is given.
    fn block(&mut self, block: &Block) -> Option<Effect> {
        let kind = block.kind.value;
        if !block.closed {
            self.diags.push(
                Diagnostic::new(
                    Code::UnclosedBlock,
                    block.kind.span,
                    format!("`{}` block is not closed", kind.keyword()),
                )
                .with_help("add `}` on its own line after the block's last statement"),
            );
        }
        if block.rules.is_empty() && block.servers.is_empty() && block.defaults.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::EmptyBlock,
                    block.kind.span,
                    format!("`{}` block has no rules", kind.keyword()),
                )
                .with_help("add rules, or remove the block (its default is deny)"),
            );
        }
        let default = self.default(&block.defaults);
        let surface = kind.surface();
        for rule in &block.rules {
            self.rule(surface, rule, None);
        }
        let mut server_names: HashMap<String, Span> = HashMap::new();
        for server in &block.servers {
            if !server.closed {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnclosedBlock,
                        server.span,
                        format!("`server {}` block is not closed", server.name.value),
                    )
                    .with_help("add `}` on its own line after the server's last tool rule"),
                );
            }
            let name = match server_name(&server.name.value) {
                Ok(n) => n,
                Err(e) => {
                    self.report(server.name.span, e);
                    continue;
                }
            };
            if let Some(first) = server_names.get(&name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateServer,
                        server.name.span,
                        format!("server `{name}` declared twice"),
                    )
                    .with_note(*first, "first declared here")
                    .with_help("names compare case-insensitively; merge the two server blocks"),
                );
                continue;
            }
            server_names.insert(name.clone(), server.name.span);
            let source = match &server.source {
                Some(s) => match source_pin(&s.value) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.report(s.span, e);
                        None
                    }
                },
                None => None,
            };
            if self.over_rule_limit(server.span) {
                continue;
            }
            let index = self.servers.len();
            let rule = self.push_rule(
                server.label.as_ref(),
                Surface::Mcp,
                Effect::Allow,
                server.span,
                RuleKind::Server { server: index },
                format!("mcp.{name}"),
            );
            self.servers.push(ServerDef { name, source, rule });
            for tool in &server.rules {
                self.rule(Surface::Mcp, tool, Some(index));
            }
        }
        default
    }

    fn default(&mut self, defaults: &[Spanned<String>]) -> Option<Effect> {
        let first = defaults.first()?;
        for dup in defaults.iter().skip(1) {
            self.diags.push(
                Diagnostic::new(Code::DuplicateDefault, dup.span, "`default` given twice")
                    .with_note(first.span, "first given here")
                    .with_help("keep one `default` line per block"),
            );
        }
        let effect = match Effect::from_word(&first.value) {
            Some(effect) => effect,
            None => {
                let other = first.value.as_str();
                let mut d = Diagnostic::new(
                    Code::UnknownEffect,
                    first.span,
                    format!("unknown effect `{other}`"),
                );
                d.help = Some(
                    match did_you_mean(other, &Effect::ALL.map(Effect::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "a default is `allow`, `deny` or `ask`".to_string(),
                    },
                );
                self.diags.push(d);
                return None;
            }
        };
        if effect == Effect::Allow {
            self.diags.push(
                Diagnostic::new(
                    Code::DefaultAllow,
                    first.span,
                    "`default allow` grants every request no rule denies",
                )
                .with_help("prefer `default deny` with explicit allow rules"),
            );
        }
        Some(effect)
    }

    /// E0003 on the first rule that brings the number of distinct named path
    /// roots (`~`, `$name`) over `limits::MAX_ROOT_BINDINGS`: a request
    /// context cannot bind more, so every filesystem request would be invalid.
    fn check_root_count(&mut self) {
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
    fn count_limit(&mut self, span: Span, message: String) {
        self.limit_reported = true;
        self.diags.push(
            Diagnostic::new(Code::TooLarge, span, message)
                .with_help("split the policy into several"),
        );
    }

    /// Whether `pending` more patterns would exceed `limits::MAX_PATTERNS`
    /// (checked while expanding, so a hostile rule cannot build millions).
    fn over_patterns(&self, pending: usize) -> bool {
        self.patterns.saturating_add(pending) > limits::MAX_PATTERNS
    }

    /// Whether a count limit was exceeded, reporting `limits::MAX_RULES` at
    /// `span` if one more rule would exceed it now.
    fn over_rule_limit(&mut self, span: Span) -> bool {
        if !self.limit_reported && self.rules.len() >= limits::MAX_RULES {
            let message = format!("policy has more than {} rules", limits::MAX_RULES);
            self.count_limit(span, message);
        }
        self.limit_reported
    }

    fn rule(&mut self, surface: Surface, rule: &RuleAst, server: Option<usize>) {
        if self.over_rule_limit(rule.span) {
            return;
        }
        let effect = rule.effect.value;
        let first = rule.targets.first().map_or("", |t| t.value.as_str());
        let derived = match (surface, server) {
            (Surface::Mcp, Some(s)) => format!(
                "mcp.{}.{}.{first}",
                self.servers.get(s).map_or("", |s| s.name.as_str()),
                effect.as_str()
            ),
            _ => format!("{}.{}.{first}", surface.as_str(), effect.as_str()),
        };
        let kind = match surface {
            Surface::Network => {
                let targets = self.net_targets(&rule.targets, effect);
                let ports = self.ports(&rule.ports);
                RuleKind::Network { targets, ports }
            }
            Surface::Filesystem => {
                let access = match &rule.access {
                    Some(a) => a.value,
                    None => {
                        let at = rule.targets.first().map_or(rule.span, |t| t.span);
                        self.diags.push(
                            Diagnostic::new(
                                Code::MissingAccess,
                                at,
                                "filesystem rule without an access scope",
                            )
                            .with_help(
                                "write `read`, `write` or `read write` after the effect, \
                                 e.g. `deny read write ~/.ssh/**`",
                            ),
                        );
                        Access::READ_WRITE
                    }
                };
                let mut paths = Vec::new();
                for t in &rule.targets {
                    if self.over_patterns(paths.len()) {
                        break;
                    }
                    match path(&t.value) {
                        Ok(mut p) => {
                            if effect == Effect::Allow
                                && p.iter().any(|p| p.root.is_empty() && p.glob == "**")
                            {
                                self.report(
                                    t.span,
                                    err(
                                        Code::AllowsEverything,
                                        format!("`{}` allows every path", t.value),
                                        Some("allow the directories the agent needs instead"),
                                    ),
                                );
                            }
                            paths.append(&mut p);
                        }
                        Err(e) => self.report(t.span, e),
                    }
                }
                RuleKind::Filesystem { access, paths }
            }
            Surface::Credential => {
                let names = self.names(&rule.targets, effect, "secret");
                let destinations = rule
                    .destinations
                    .as_ref()
                    .map(|d| self.net_targets(d, Effect::Deny));
                let lifetime = match &rule.lifetime {
                    None => Lifetime::Session,
                    Some(l) => match lifetime(&l.value) {
                        Ok(v) => v,
                        Err(e) => {
                            self.report(l.span, e);
                            Lifetime::Session
                        }
                    },
                };
                RuleKind::Credential {
                    names,
                    destinations,
                    lifetime,
                }
            }
            Surface::Mcp => {
                let tools = self.names(&rule.targets, Effect::Deny, "tool");
                RuleKind::Tool {
                    server: server.unwrap_or(0),
                    tools,
                }
            }
        };
        self.patterns = self.patterns.saturating_add(match &kind {
            RuleKind::Network { targets, .. } => targets.len(),
            RuleKind::Filesystem { paths, .. } => paths.len(),
            RuleKind::Credential {
                names,
                destinations,
                ..
            } => names.len() + destinations.as_ref().map_or(0, Vec::len),
            RuleKind::Tool { tools, .. } => tools.len(),
            RuleKind::Server { .. } => 0,
        });
        if self.over_patterns(0) {
            let message = format!(
                "policy has more than {} patterns (after brace and set expansion)",
                limits::MAX_PATTERNS
            );
            return self.count_limit(rule.span, message);
        }
        self.push_rule(
            rule.label.as_ref(),
            surface,
            effect,
            rule.span,
            kind,
            derived,
        );
    }

    fn push_rule(
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
        });
        self.rules.len() - 1
    }

    /// Makes derived ids unique: later repeats get `#2`, `#3`, ...; explicit
    /// names are never renamed.
    fn derive_ids(&mut self) {
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

    fn net_targets(&mut self, targets: &[Spanned<String>], effect: Effect) -> Vec<NetTarget> {
        let mut out = Vec::new();
        for t in targets {
            match net_target(&t.value) {
                Ok((mut v, warnings)) => {
                    for w in warnings {
                        self.report(t.span, w);
                    }
                    if effect == Effect::Allow && v.iter().any(allows_everything) {
                        self.report(
                            t.span,
                            err(
                                Code::AllowsEverything,
                                format!("`{}` allows every host or address", t.value),
                                Some("list the hosts the agent needs instead"),
                            ),
                        );
                    }
                    out.append(&mut v);
                }
                Err(e) => self.report(t.span, e),
            }
        }
        out
    }

    fn ports(&mut self, items: &[Spanned<String>]) -> Option<Vec<(u16, u16)>> {
        if items.is_empty() {
            return None;
        }
        let mut ranges = Vec::new();
        for item in items {
            match port_range(&item.value) {
                Ok(r) => ranges.push(r),
                Err(e) => self.report(item.span, e),
            }
        }
        Some(merge_ranges(ranges))
    }

    fn names(&mut self, targets: &[Spanned<String>], effect: Effect, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for t in targets {
            if self.over_patterns(out.len()) {
                break;
            }
            match name_pattern(&t.value, what) {
                Ok(mut v) => {
                    if effect == Effect::Allow && v.iter().any(|n| n == "*") {
                        self.report(
                            t.span,
                            err(
                                Code::AllowsEverything,
                                format!("`{}` allows every {what}", t.value),
                                Some("name the secrets the agent needs instead"),
                            ),
                        );
                    }
                    out.append(&mut v);
                }
                Err(e) => self.report(t.span, e),
            }
        }
        out
    }
}

fn allows_everything(t: &NetTarget) -> bool {
    match t {
        NetTarget::Domain(d) => d.any_depth && d.prefix.is_empty() && d.anchor.is_empty(),
        NetTarget::Net(n) => n.prefix_len() == 0,
    }
}
