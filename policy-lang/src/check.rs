//! Validation: syntax tree to [`CheckedPolicy`], collecting every diagnostic.
//!
//! The walk over the syntax tree lives here: headers, blocks, defaults, rule
//! ids, count limits. Each pattern is parsed by one function of
//! [`crate::pattern`], which both validates and normalizes it.

use std::collections::HashMap;

use policy_eval::limits;

use crate::ast::{Block, BlockKind, MetaKey, PolicyFile, RuleAst, Spanned};
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Severity, Span};
use crate::lint;
use crate::model::{
    Access, CheckedPolicy, Effect, HttpDef, Lifetime, McpKind, NetTarget, RuleDef, RuleKind,
    ServerDef, Surface,
};
use crate::pattern::{
    err, lifetime, merge_ranges, name_pattern, net_target, path, port_range, resource_pattern,
    server_name, source_pin, PatternError,
};
use crate::syntax;

mod args;
mod counts;
mod http;
mod ids;

/// The word of `default pass` (`spec/layers.md`, "Delegation").
const PASS: &str = "pass";

/// A block's `default`: an effect, or `pass` (deny on its own; in a stack,
/// no decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockDefault {
    Effect(Effect),
    Pass,
}

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
        walk.diags.extend(lint::broad_grants(p));
    }
    let has_errors = walk.diags.iter().any(|d| d.severity() == Severity::Error);
    finish(if has_errors { None } else { policy }, walk.diags)
}

/// W0108: `dropped` more diagnostics than are reported, after `at`.
pub(crate) fn truncated(at: Span, dropped: usize) -> Diagnostic {
    Diagnostic::new(
        Code::Truncated,
        at,
        format!("{dropped} more diagnostics not shown"),
    )
    .with_help("fix the problems above and check again")
}

fn finish(policy: Option<CheckedPolicy>, mut diags: Vec<Diagnostic>) -> CheckResult {
    diags.sort_by_key(|d| (d.span.start, d.span.end, d.code));
    diags.dedup();
    if diags.len() > limits::MAX_DIAGNOSTICS {
        let dropped = diags.len() - limits::MAX_DIAGNOSTICS;
        diags.truncate(limits::MAX_DIAGNOSTICS);
        let at = diags.last().map_or(Span::default(), |d| d.span);
        diags.push(truncated(at, dropped));
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
    http: Vec<HttpDef>,
    /// Head span of each `http` block (E0504 points at one).
    http_spans: Vec<Span>,
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
            http: Vec::new(),
            http_spans: Vec::new(),
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
        let mut passes = [false; 4];
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
            if let Some(default) = self.block(block) {
                let s = block.kind.value.surface() as usize;
                match default {
                    BlockDefault::Effect(effect) => defaults[s] = effect,
                    BlockDefault::Pass => passes[s] = true,
                }
            }
        }
        self.check_http_coverage();
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
            passes,
            rules: std::mem::take(&mut self.rules),
            servers: std::mem::take(&mut self.servers),
            http: std::mem::take(&mut self.http),
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
    fn block(&mut self, block: &Block) -> Option<BlockDefault> {
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
        if block.rules.is_empty()
            && block.servers.is_empty()
            && block.http.is_empty()
            && block.defaults.is_empty()
        {
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
        for http in &block.http {
            self.http_block(http);
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
            self.constrained_per_server(server);
            self.pins_per_server(server);
            for tool in &server.rules {
                self.rule(Surface::Mcp, tool, Some(index));
            }
        }
        default
    }

    fn default(&mut self, defaults: &[Spanned<String>]) -> Option<BlockDefault> {
        let first = defaults.first()?;
        for dup in defaults.iter().skip(1) {
            self.diags.push(
                Diagnostic::new(Code::DuplicateDefault, dup.span, "`default` given twice")
                    .with_note(first.span, "first given here")
                    .with_help("keep one `default` line per block"),
            );
        }
        if first.value == PASS {
            return Some(BlockDefault::Pass);
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
                let words = [
                    Effect::Allow.as_str(),
                    Effect::Deny.as_str(),
                    Effect::Ask.as_str(),
                    PASS,
                ];
                d.help = Some(match did_you_mean(other, &words) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a default is `allow`, `deny`, `ask` or `pass`".to_string(),
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
                .with_help("prefer `default deny` with explicit allow rules (in a layer of a stack, `default pass` defers to the layers above)"),
            );
        }
        Some(BlockDefault::Effect(effect))
    }

    /// Checks one rule of `surface`; `within` is the enclosing server (mcp)
    /// or `http` block (network), by index.
    fn rule(&mut self, surface: Surface, rule: &RuleAst, within: Option<usize>) {
        if self.over_rule_limit(rule.span) {
            return;
        }
        let effect = rule.effect.value;
        let first = rule.targets.first().map_or("", |t| t.value.as_str());
        let derived = match (surface, within) {
            (Surface::Mcp, Some(s)) => format!(
                "mcp.{}.{}.{}{first}",
                self.servers.get(s).map_or("", |s| s.name.as_str()),
                effect.as_str(),
                match rule.mcp_kind.as_ref().map(|k| k.value) {
                    Some(McpKind::Resource) => "resource.",
                    Some(McpKind::Prompt) => "prompt.",
                    _ => "",
                }
            ),
            (Surface::Network, Some(b)) => format!(
                "{}.{}.{first}",
                self.http
                    .get(b)
                    .and_then(|b| self.rules.get(b.rule))
                    .map_or("network.http", |r| r.id.as_str()),
                effect.as_str()
            ),
            _ => format!("{}.{}.{first}", surface.as_str(), effect.as_str()),
        };
        let kind = match surface {
            Surface::Network if within.is_some() => self.http_rule(rule, within.unwrap_or(0)),
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
                let kind = rule.mcp_kind.as_ref().map_or(McpKind::Tool, |k| k.value);
                if kind != McpKind::Tool {
                    let extra = rule.pins.as_ref().map(|p| p.0);
                    if let Some(at) = extra.or(rule.constraints.first().map(|c| c.span)) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::ToolOnly,
                                at,
                                "`pinned` and `where` belong to tool rules",
                            )
                            .with_help("a resource or prompt rule names URIs or prompts only"),
                        );
                        return;
                    }
                }
                let tools = match kind {
                    McpKind::Tool => self.names(&rule.targets, Effect::Deny, "tool"),
                    McpKind::Prompt => self.names(&rule.targets, Effect::Deny, "prompt"),
                    McpKind::Resource => self.resource_patterns(&rule.targets, effect),
                };
                let Some(args) = self.constraints(rule.span, effect, &rule.constraints) else {
                    return;
                };
                let Some(pins) = self.pins(rule, effect, &tools) else {
                    return;
                };
                RuleKind::Tool {
                    server: within.unwrap_or(0),
                    kind,
                    tools,
                    args,
                    pins,
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
            RuleKind::Http { paths, .. } => paths.len(),
            RuleKind::Server { .. } | RuleKind::HttpBlock { .. } => 0,
        });
        if self.over_patterns(0) {
            let message = format!(
                "policy has more than {} patterns (after brace and set expansion)",
                limits::MAX_PATTERNS
            );
            return self.count_limit(rule.span, message);
        }
        let index = self.push_rule(
            rule.label.as_ref(),
            surface,
            effect,
            rule.span,
            kind,
            derived,
        );
        if let Some(reason) = &rule.ask_reason {
            let checked = self.ask_reason(effect, reason);
            if let Some(r) = self.rules.get_mut(index) {
                r.ask_reason = checked;
            }
        }
    }

    /// E0016: a `reason` belongs to an `ask` rule and is 1 to
    /// `MAX_ASK_REASON_LEN` bytes of text without control characters.
    fn ask_reason(&mut self, effect: Effect, reason: &Spanned<String>) -> Option<String> {
        let text = reason.value.as_str();
        let problem = if effect != Effect::Ask {
            Some((
                format!("`reason` on an `{}` rule", effect.as_str()),
                "only `ask` rules show a reason to the human approving: remove it, or make the rule `ask`",
            ))
        } else if text.trim().is_empty() {
            Some((
                "empty `reason`".to_string(),
                "say what the human approves, e.g. `reason \"edits a pull request\"`",
            ))
        } else if text.len() > limits::MAX_ASK_REASON_LEN {
            Some((
                format!(
                    "`reason` is {} bytes, more than the limit of {}",
                    text.len(),
                    limits::MAX_ASK_REASON_LEN
                ),
                "shorten it; link to a document for details",
            ))
        } else if text.chars().any(char::is_control) {
            Some((
                "`reason` contains a control character".to_string(),
                "write it on one line, without escapes such as `\\n`",
            ))
        } else {
            None
        };
        match problem {
            Some((message, help)) => {
                self.diags.push(
                    Diagnostic::new(Code::InvalidReason, reason.span, message).with_help(help),
                );
                None
            }
            None => Some(text.to_string()),
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

    /// Resource URI globs of a resource rule (E0607 for invalid ones).
    fn resource_patterns(&mut self, targets: &[Spanned<String>], effect: Effect) -> Vec<String> {
        self.globs(targets, effect, "resource", resource_pattern)
    }

    /// Name globs (secrets, tools, prompts), lower-cased (E0301).
    fn names(&mut self, targets: &[Spanned<String>], effect: Effect, what: &str) -> Vec<String> {
        self.globs(targets, effect, what, |t| name_pattern(t, what))
    }

    /// The globs `parse` makes of `targets`, reporting the invalid ones;
    /// `*` in an allow warns (W0102).
    fn globs(
        &mut self,
        targets: &[Spanned<String>],
        effect: Effect,
        what: &str,
        parse: impl Fn(&str) -> Result<Vec<String>, PatternError>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for t in targets {
            if self.over_patterns(out.len()) {
                break;
            }
            match parse(&t.value) {
                Ok(mut v) => {
                    if effect == Effect::Allow && v.iter().any(|n| n == "*") {
                        let help = format!("name the {what}s the agent needs instead");
                        self.report(
                            t.span,
                            err(
                                Code::AllowsEverything,
                                format!("`{}` allows every {what}", t.value),
                                Some(&help),
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
