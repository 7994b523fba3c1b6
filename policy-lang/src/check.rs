//! Validation: syntax tree to [`CheckedPolicy`], collecting every diagnostic.
//!
//! Each pattern is parsed by one function here (`domain`, `address`, `path`,
//! `name`, ...), which both validates and normalizes it, so the compiler and
//! the reference interpreter see only well-formed, canonical patterns.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use policy_eval::limits;

use crate::ast::{Block, BlockKind, EffectKw, MetaKey, PolicyFile, RuleAst, Spanned};
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Severity, Span};
use crate::lint;
use crate::model::{
    Access, CheckedPolicy, DomainPattern, Effect, Lifetime, NetTarget, PathPattern, RuleDef,
    RuleKind, ServerDef, Surface,
};
use crate::{sets, syntax};

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
    let mut checker = Checker::new(source);
    checker.diags.append(&mut diags);
    let policy = checker.file(&file);
    if let Some(p) = &policy {
        checker.diags.extend(lint::combined_requests(p));
    }
    let has_errors = checker
        .diags
        .iter()
        .any(|d| d.severity() == Severity::Error);
    finish(if has_errors { None } else { policy }, checker.diags)
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

/// A problem found in one pattern: code, message, optional help.
type PatternError = (Code, String, Option<String>);

fn err(code: Code, message: impl Into<String>, help: Option<&str>) -> PatternError {
    (code, message.into(), help.map(str::to_string))
}

struct Checker<'s> {
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

impl<'s> Checker<'s> {
    fn new(source: &'s str) -> Checker<'s> {
        Checker {
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
                defaults[surface_of(block.kind.value) as usize] = effect;
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
        let surface = surface_of(kind);
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
        let effect = match first.value.as_str() {
            "allow" => Effect::Allow,
            "deny" => Effect::Deny,
            "ask" => Effect::Ask,
            other => {
                let mut d = Diagnostic::new(
                    Code::UnknownEffect,
                    first.span,
                    format!("unknown effect `{other}`"),
                );
                d.help = Some(match did_you_mean(other, &["allow", "deny", "ask"]) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a default is `allow`, `deny` or `ask`".to_string(),
                });
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
        let effect = match rule.effect.value {
            EffectKw::Allow => Effect::Allow,
            EffectKw::Deny => Effect::Deny,
            EffectKw::Ask => Effect::Ask,
        };
        let first = rule.targets.first().map_or("", |t| t.value.as_str());
        let derived = match (surface, server) {
            (Surface::Mcp, Some(s)) => format!(
                "mcp.{}.{}.{first}",
                self.servers.get(s).map_or("", |s| s.name.as_str()),
                effect_word(effect)
            ),
            _ => format!("{}.{}.{first}", surface_word(surface), effect_word(effect)),
        };
        let kind = match surface {
            Surface::Network => {
                let targets = self.net_targets(&rule.targets, effect);
                let ports = self.ports(&rule.ports);
                RuleKind::Network { targets, ports }
            }
            Surface::Filesystem => {
                let access = match &rule.access {
                    Some(a) => Access(u8::from(a.value.0) | (u8::from(a.value.1) << 1)),
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

fn surface_of(kind: BlockKind) -> Surface {
    match kind {
        BlockKind::Network => Surface::Network,
        BlockKind::Filesystem => Surface::Filesystem,
        BlockKind::Credentials => Surface::Credential,
        BlockKind::Mcp => Surface::Mcp,
    }
}

/// The surface's name as used in ids and requests.
pub fn surface_word(s: Surface) -> &'static str {
    match s {
        Surface::Network => "network",
        Surface::Filesystem => "filesystem",
        Surface::Credential => "credential",
        Surface::Mcp => "mcp",
    }
}

/// The effect's keyword.
pub fn effect_word(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
        Effect::Ask => "ask",
    }
}

// ------------------------------------------------------------------ patterns

/// Parses a network target: a built-in set, an address or CIDR, or a domain
/// pattern. Returns the targets (a set expands to several) and warnings.
pub fn net_target(text: &str) -> Result<(Vec<NetTarget>, Vec<PatternError>), PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    if let Some(name) = text.strip_prefix('@') {
        let Some(members) = sets::members(name) else {
            let help = did_you_mean(name, sets::SET_NAMES)
                .map(|s| format!("did you mean `@{s}`?"))
                .unwrap_or_else(|| format!("built-in sets are @{}", sets::SET_NAMES.join(", @")));
            return Err((
                Code::UnknownSet,
                format!("unknown built-in set `{text}`"),
                Some(help),
            ));
        };
        let mut out = Vec::new();
        for m in members {
            out.extend(net_target(m)?.0);
        }
        return Ok((out, Vec::new()));
    }
    let looks_like_address = text.contains(':')
        || text.contains('/')
        || text.starts_with('[')
        || text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if looks_like_address {
        let (net, warnings) = address(text)?;
        Ok((vec![NetTarget::Net(net)], warnings))
    } else {
        let (d, warnings) = domain(text)?;
        Ok((vec![NetTarget::Domain(d)], warnings))
    }
}

fn too_long(text: &str) -> PatternError {
    err(
        Code::TooLarge,
        format!(
            "pattern is {} bytes, more than the limit of {}",
            text.len(),
            limits::MAX_PATTERN_LEN
        ),
        None,
    )
}

/// Parses an IP address or CIDR; IPv4-mapped IPv6 ranges become IPv4.
pub fn address(text: &str) -> Result<(IpNet, Vec<PatternError>), PatternError> {
    let mut warnings = Vec::new();
    let unbracketed = match text.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']').ok_or_else(|| {
                err(
                    Code::InvalidAddress,
                    format!("unclosed `[` in `{text}`"),
                    None,
                )
            })?;
            format!("{inner}{after}")
        }
        None => text.to_string(),
    };
    let net = match unbracketed.split_once('/') {
        Some((addr, len)) => {
            let ip = IpAddr::from_str(addr).map_err(|_| bad_address(addr))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
                err(
                    Code::InvalidAddress,
                    format!(
                        "prefix length `{len}` is out of range for {} (0-{max})",
                        if ip.is_ipv4() { "IPv4" } else { "IPv6" }
                    ),
                    Some("write the prefix length as a number of bits, e.g. `10.0.0.0/8`"),
                )
            })?;
            let net = IpNet::new(ip, len).map_err(|_| bad_address(text))?;
            if net.trunc() != net {
                warnings.push(err(
                    Code::HostBits,
                    format!("`{text}` has host bits set"),
                    Some(&format!("it covers `{}`; write that instead", net.trunc())),
                ));
            }
            net.trunc()
        }
        None => {
            let ip = IpAddr::from_str(&unbracketed).map_err(|_| bad_address(&unbracketed))?;
            IpNet::from(ip)
        }
    };
    let net = unmap(net);
    if let IpNet::V6(v6) = net {
        let bits = u128::from(v6.network());
        if v6.prefix_len() >= 96 && bits >> 32 == 0 && bits > 1 {
            let v4 = std::net::Ipv4Addr::from((bits & 0xffff_ffff) as u32);
            return Err(err(
                Code::InvalidAddress,
                format!(
                    "`{text}` is an IPv4-compatible IPv6 address, which requests present as IPv4"
                ),
                Some(&format!("write the IPv4 form, e.g. `{v4}`")),
            ));
        }
    }
    Ok((net, warnings))
}

fn bad_address(text: &str) -> PatternError {
    err(
        Code::InvalidAddress,
        format!("`{text}` is not a valid IP address"),
        Some("write IPv4 in dotted decimal (`10.0.0.1`) and IPv6 in RFC 4291 form (`fd00::1`)"),
    )
}

/// `::ffff:a.b.c.d/n` (n >= 96) is the IPv4 range `a.b.c.d/(n-96)`.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if v6.prefix_len() >= 96 {
            if let Some(v4) = v6.addr().to_ipv4_mapped() {
                if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                    return IpNet::V4(n);
                }
            }
        }
    }
    net
}

/// Parses and normalizes a domain pattern.
pub fn domain(text: &str) -> Result<(DomainPattern, Vec<PatternError>), PatternError> {
    let mut warnings = Vec::new();
    let invalid = |msg: String, help: &str| err(Code::InvalidDomain, msg, Some(help));
    let mut t = text;
    if let Some(stripped) = t.strip_suffix('.') {
        if stripped.ends_with('.') || stripped.is_empty() {
            return Err(invalid(
                format!("empty label in `{text}`"),
                "remove the extra dot",
            ));
        }
        warnings.push(err(
            Code::TrailingDot,
            format!("trailing dot in `{text}` is ignored"),
            Some(&format!(
                "write `{stripped}`; requests with a trailing dot match it anyway"
            )),
        ));
        t = stripped;
    }
    let mut labels: Vec<String> = Vec::new();
    for (i, label) in t.split('.').enumerate() {
        if label.is_empty() {
            return Err(invalid(
                format!("empty label in `{text}`"),
                "remove the extra dot",
            ));
        }
        if label == "**" {
            if i != 0 {
                return Err(invalid(
                    format!("`**` may only be the leftmost label, in `{text}`"),
                    "write `**.example.com` for the apex and every subdomain",
                ));
            }
            labels.push(label.to_string());
            continue;
        }
        if label.contains("**") {
            return Err(invalid(
                format!("`**` must be a whole label, in `{text}`"),
                "use `*` for part of a label, e.g. `api-*.example.com`",
            ));
        }
        let ascii = if label.is_ascii() {
            label.to_ascii_lowercase()
        } else {
            if label.contains('*') {
                return Err(invalid(
                    format!("wildcard in a non-ASCII label, in `{text}`"),
                    "write the label in punycode (`xn--...`) to combine it with `*`",
                ));
            }
            if let Some((a, b)) = mixed_scripts(label) {
                warnings.push(err(
                    Code::MixedScript,
                    format!("label `{label}` mixes {a} and {b} letters"),
                    Some(
                        "look-alike names are a phishing trick; check the name is the one you mean",
                    ),
                ));
            }
            idna::domain_to_ascii(label).map_err(|_| {
                invalid(
                    format!("`{label}` is not a valid internationalized label"),
                    "check the name; it must convert to punycode (IDNA)",
                )
            })?
        };
        if let Some(bad) = ascii
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*')))
        {
            return Err(invalid(
                format!("character `{bad}` is not allowed in domain pattern `{text}`"),
                "domain patterns hold letters, digits, `-`, `_` and the wildcards `*` and `**`",
            ));
        }
        if ascii.len() > limits::MAX_LABEL_LEN {
            return Err(invalid(
                format!(
                    "label `{label}` is longer than {} bytes",
                    limits::MAX_LABEL_LEN
                ),
                "DNS labels hold at most 63 bytes",
            ));
        }
        labels.push(ascii);
    }
    let total: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    if total > limits::MAX_HOST_LEN {
        return Err(invalid(
            format!(
                "domain pattern `{text}` is longer than {} bytes",
                limits::MAX_HOST_LEN
            ),
            "DNS names hold at most 253 bytes",
        ));
    }
    if let Some(last) = labels.last() {
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("`{text}` ends in a numeric label, so no host name can match it"),
                "hosts like this are IP addresses; write the address in dotted decimal or as a CIDR",
            ));
        }
    }
    let any_depth = labels.first().is_some_and(|l| l == "**");
    let body = if any_depth { &labels[1..] } else { &labels[..] };
    let literal_from = body
        .iter()
        .rposition(|l| l.contains('*'))
        .map_or(0, |i| i + 1);
    Ok((
        DomainPattern {
            prefix: body[..literal_from].to_vec(),
            any_depth,
            anchor: body[literal_from..].join("."),
        },
        warnings,
    ))
}

/// The script of a letter, by Unicode block, for the look-alike lint.
fn script(c: char) -> &'static str {
    match u32::from(c) {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => "Latin",
        0x370..=0x3ff | 0x1f00..=0x1fff => "Greek",
        0x400..=0x52f => "Cyrillic",
        0x530..=0x58f => "Armenian",
        0x590..=0x5ff => "Hebrew",
        0x600..=0x6ff => "Arabic",
        0x900..=0x97f => "Devanagari",
        0xe00..=0xe7f => "Thai",
        0x10a0..=0x10ff => "Georgian",
        0x3040..=0x30ff => "Kana",
        0x4e00..=0x9fff => "Han",
        0xac00..=0xd7af => "Hangul",
        _ => "other",
    }
}

/// Two different scripts among the letters of a label, if any. Japanese
/// mixes Han and Kana by design, so that pair does not count.
fn mixed_scripts(label: &str) -> Option<(&'static str, &'static str)> {
    let mut first: Option<&'static str> = None;
    for c in label.chars().filter(|c| c.is_alphabetic()) {
        let s = script(c);
        match first {
            None => first = Some(s),
            Some(f) if f != s && !matches!((f, s), ("Han", "Kana") | ("Kana", "Han")) => {
                return Some((f, s))
            }
            _ => {}
        }
    }
    None
}

/// Parses a port or an inclusive port range.
pub fn port_range(text: &str) -> Result<(u16, u16), PatternError> {
    let one = |s: &str| -> Result<u16, PatternError> {
        s.parse::<u32>()
            .ok()
            .filter(|p| (1..=65535).contains(p))
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| {
                err(
                    Code::InvalidPort,
                    format!("port `{s}` is out of range"),
                    Some("ports are 1 to 65535"),
                )
            })
    };
    let (lo, hi) = match text.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let p = one(text)?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(err(
            Code::InvalidPort,
            format!("port range `{text}` is reversed"),
            Some(&format!("write `{hi}-{lo}`")),
        ));
    }
    Ok((lo, hi))
}

/// Sorts and merges inclusive ranges.
pub fn merge_ranges(mut ranges: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    ranges.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Parses a path pattern into one [`PathPattern`] per brace alternative.
pub fn path(text: &str) -> Result<Vec<PathPattern>, PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    let (root, rest) = if text == "~" {
        ("home".to_string(), "")
    } else if let Some(rest) = text.strip_prefix("~/") {
        ("home".to_string(), rest)
    } else if text.starts_with('~') {
        return Err(err(
            Code::UnanchoredPath,
            format!("`{text}`: only `~/` (the home root) is supported"),
            Some("write `~/...` for the user's home, or an absolute path"),
        ));
    } else if let Some(named) = text.strip_prefix('$') {
        let (name, rest) = named.split_once('/').unwrap_or((named, ""));
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(err(
                Code::InvalidRoot,
                format!("`${name}` is not a valid root name"),
                Some("root names are letters, digits, `_` and `-`, e.g. `$workspace`"),
            ));
        }
        (name.to_string(), rest)
    } else if let Some(rest) = text.strip_prefix('/') {
        (String::new(), rest)
    } else {
        return Err(err(
            Code::UnanchoredPath,
            format!("path pattern `{text}` is not absolute"),
            Some("start it with `/`, `~/` or a named root such as `$workspace/`"),
        ));
    };
    let mut out = Vec::new();
    for alt in expand_braces(rest)? {
        let mut segments: Vec<&str> = alt.split('/').filter(|s| !s.is_empty()).collect();
        // `**/**` means the same as `**`.
        segments.dedup_by(|a, b| *a == "**" && *b == "**");
        if let Some(dot) = segments.iter().find(|s| **s == "." || **s == "..") {
            return Err(err(
                Code::DotSegment,
                format!("`{dot}` segment in path pattern `{text}`"),
                Some("write the path without `.` and `..`; request paths are normalized before matching"),
            ));
        }
        if let Some(seg) = segments.iter().find(|s| **s != "**" && s.contains("**")) {
            return Err(err(
                Code::InvalidGlob,
                format!("`**` must be a whole segment, in `{seg}`"),
                Some("use `*` within a segment, `**` alone between slashes"),
            ));
        }
        let glob = segments.join("/");
        validate_glob(&format!("/{glob}"), text)?;
        out.push(PathPattern {
            root: root.clone(),
            glob,
        });
    }
    Ok(out)
}

fn validate_glob(glob: &str, text: &str) -> Result<(), PatternError> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|_| ())
        .map_err(|e| {
            err(
                Code::InvalidGlob,
                format!("invalid glob `{text}`: {}", e.kind()),
                Some("globs use `*`, `?`, `**`, `{a,b}` and classes like `[a-z]`"),
            )
        })
}

/// Expands `{a,b}` alternatives (not nested) into every combination.
pub fn expand_braces(text: &str) -> Result<Vec<String>, PatternError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'{' if !in_class => {
                let rest = &text[i + 1..];
                let close = rest.find('}').ok_or_else(|| {
                    err(
                        Code::BraceExpansion,
                        format!("unclosed `{{` in `{text}`"),
                        Some("close the alternatives with `}`"),
                    )
                })?;
                let inner = &rest[..close];
                if inner.contains('{') {
                    return Err(err(
                        Code::BraceExpansion,
                        format!("nested `{{` in `{text}`"),
                        Some("alternatives cannot be nested; write them out"),
                    ));
                }
                let head = &text[..i];
                let tails = expand_braces(&rest[close + 1..])?;
                let mut out = Vec::new();
                for alt in inner.split(',') {
                    for tail in &tails {
                        out.push(format!("{head}{alt}{tail}"));
                        if out.len() > limits::MAX_BRACE_EXPANSION {
                            return Err(err(
                                Code::BraceExpansion,
                                format!(
                                    "`{text}` expands to more than {} patterns",
                                    limits::MAX_BRACE_EXPANSION
                                ),
                                Some("split the rule into several"),
                            ));
                        }
                    }
                }
                return Ok(out);
            }
            b'}' if !in_class => {
                return Err(err(
                    Code::BraceExpansion,
                    format!("unmatched `}}` in `{text}`"),
                    Some("open the alternatives with `{`"),
                ))
            }
            _ => {}
        }
        i += 1;
    }
    Ok(vec![text.to_string()])
}

/// Parses a secret or tool name pattern into lower-cased globs.
pub fn name_pattern(text: &str, what: &str) -> Result<Vec<String>, PatternError> {
    if text.len() > limits::MAX_NAME_LEN {
        return Err(err(
            Code::InvalidName,
            format!(
                "{what} name pattern is longer than {} bytes",
                limits::MAX_NAME_LEN
            ),
            None,
        ));
    }
    if let Some(bad) = text.chars().find(|c| !('!'..='~').contains(c) || *c == '/') {
        return Err(err(
            Code::InvalidName,
            format!(
                "character `{}` is not allowed in {what} name pattern `{text}`",
                bad.escape_default()
            ),
            Some("names are printable ASCII without spaces or `/`"),
        ));
    }
    let mut out = Vec::new();
    for alt in expand_braces(text)? {
        if alt.is_empty() {
            return Err(err(
                Code::InvalidName,
                format!("empty {what} name in `{text}`"),
                Some("remove the empty alternative"),
            ));
        }
        validate_glob(&alt, text).map_err(|(_, m, h)| (Code::InvalidName, m, h))?;
        out.push(alt.to_ascii_lowercase());
    }
    Ok(out)
}

fn server_name(text: &str) -> Result<String, PatternError> {
    let ok = !text.is_empty()
        && text.len() <= limits::MAX_NAME_LEN
        && text
            .chars()
            .all(|c| ('!'..='~').contains(&c) && !"*?[]{}/".contains(c));
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(err(
            Code::InvalidServer,
            format!("`{}` is not a valid MCP server name", text.escape_default()),
            Some("server names are printable ASCII without spaces, `/` or wildcards"),
        ))
    }
}

fn source_pin(text: &str) -> Result<String, PatternError> {
    let ok = !text.is_empty()
        && text.len() <= limits::MAX_SOURCE_LEN
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(text.to_string())
    } else {
        Err(err(
            Code::InvalidSource,
            format!("`{}` is not a valid server source", text.escape_default()),
            Some("a source is an image reference or URL without spaces, e.g. `ghcr.io/org/server:1.0`"),
        ))
    }
}

/// Parses `session` or a duration such as `90s`, `15m`, `1h30m`, `2d`.
pub fn lifetime(text: &str) -> Result<Lifetime, PatternError> {
    if text == "session" {
        return Ok(Lifetime::Session);
    }
    let bad = || {
        err(
            Code::InvalidLifetime,
            format!("`{text}` is not a lifetime"),
            Some("write `session` or a duration such as `90s`, `15m`, `1h`, `2d`, `1h30m`"),
        )
    };
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(bad)?,
            );
        } else {
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86400,
                _ => return Err(bad()),
            };
            let n = number.take().ok_or_else(bad)?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
    }
    if number.is_some() || total == 0 {
        return Err(bad());
    }
    u32::try_from(total).map(Lifetime::Seconds).map_err(|_| {
        err(
            Code::InvalidLifetime,
            format!("lifetime `{text}` is too long"),
            Some("the longest lifetime is about 136 years; use `session` for no fixed limit"),
        )
    })
}
