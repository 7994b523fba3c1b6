//! Lowering: [`CheckedPolicy`] to the lookup tables of an
//! [`policy_eval::artifact::Artifact`].
//!
//! Patterns are sorted by shape so each gets a structure whose lookup cost
//! does not grow with the number of rules:
//!
//! | surface | shape | structure |
//! |---|---|---|
//! | domain | `a.b`, `*.a.b`, `**.a.b` | one hash entry per anchor, probed at each dot |
//! | domain | `api-*.a.b`, `x.*.a.b` | DFAs under the anchor (`automaton`) |
//! | IP | CIDR | sorted elementary intervals, binary search |
//! | path | literal, `dir/**`, `dir/**/*.ext` | hash per root |
//! | path | other globs | DFAs per literal directory prefix |
//! | name | literal, `prefix*` | hash |
//! | name | other globs | DFAs (and a short list of send globs) |
//!
//! Every hash or interval entry points to a candidate list: the rules
//! behind it sorted by (effect, rule index) and cut after the first rule
//! that always applies, so the runtime takes the first applicable rule of
//! each list and the best over the lists it consulted. Lists are interned:
//! equal lists share an id. A DFA group's patterns are sorted by the same
//! key and carry their conditions as a subject prefix, so its answer is
//! already the group's best applicable rule; a group too large for
//! `MAX_DFAS_PER_GROUP` DFAs is refused (E0008).

use std::collections::{BTreeMap, HashMap};

use ipnet::IpNet;
use policy_eval::artifact::{
    Artifact, Automata, Condition, CredentialCond, Destinations, DomainEntry, FsRoot, HttpBlock,
    McpServer, Meta, NameTables, Rule, ToolPin,
};
use policy_eval::limits;
use sha2::{Digest, Sha256};

use crate::automaton::{self, GroupLimits, GroupPattern, Mode};
use crate::diag::Diagnostic;
use crate::model::{
    Access, CheckedPolicy, DomainPattern, DomainText, Effect, McpKind, Methods, NetTarget, RuleDef,
    RuleKind,
};

/// Why a checked policy could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The tables would exceed the size budget.
    #[error("compiled tables need {entries} entries, more than the budget of {limit}; largest contributors: {}", rules.join(", "))]
    Budget {
        /// Entries needed.
        entries: usize,
        /// The budget (`limits::MAX_TABLE_ENTRIES`).
        limit: usize,
        /// Ids of the rules in the largest candidate lists.
        rules: Vec<String>,
    },
    /// A group of general patterns needs more automata than allowed
    /// (`MAX_DFAS_PER_GROUP` DFAs of `MAX_DFA_BYTES`), or more send globs
    /// than `MAX_SEND_GLOBS`.
    #[error("{what}; rules: {}{}", ids.join(", "), if *count > ids.len() { format!(" and {} more", count - ids.len()) } else { String::new() })]
    TooComplex {
        /// The group and what it exceeds, e.g. "the label globs under
        /// `example.com` need more than 8 automata of at most 16777216 bytes".
        what: String,
        /// Index of the first rule responsible (for the diagnostic's span).
        first: usize,
        /// Ids of the first rules responsible.
        ids: Vec<String>,
        /// How many rules are responsible.
        count: usize,
    },
    /// The worst-case decision on one surface would take more automaton
    /// steps than `limits::MAX_DECISION_STEPS` (`policy_eval::cost`).
    #[error("a {surface} decision could take {steps} automaton steps at worst, more than the limit of {limit}; rules of the automata a request meets: {}", ids.join(", "))]
    Cost {
        /// The surface's word.
        surface: &'static str,
        /// Worst-case steps.
        steps: u64,
        /// The bound.
        limit: u64,
        /// Index of the first rule responsible (for the diagnostic's span).
        first: usize,
        /// Ids of rules whose automata a worst-case request meets.
        ids: Vec<String>,
    },
}

/// A compiled policy and the warnings found while compiling.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The artifact's content; `policy_eval::artifact::Artifact::to_bytes` encodes it.
    pub artifact: Artifact,
    /// Performance warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Compiles a checked policy. `source` is the text it was checked from (its
/// SHA-256 goes into the artifact).
pub fn compile(policy: &CheckedPolicy, source: &str) -> Result<Compiled, CompileError> {
    compile_with_budget(policy, source, limits::MAX_TABLE_ENTRIES)
}

/// [`compile`] with a custom table budget (for tests of the budget itself).
pub fn compile_with_budget(
    policy: &CheckedPolicy,
    source: &str,
    budget: usize,
) -> Result<Compiled, CompileError> {
    compile_with_limits(policy, source, budget, GroupLimits::default())
}

/// [`compile_with_budget`] with custom automaton limits (for tests of the
/// group splitting).
pub fn compile_with_limits(
    policy: &CheckedPolicy,
    source: &str,
    budget: usize,
    groups: GroupLimits,
) -> Result<Compiled, CompileError> {
    let mut c = Compiler::new(policy, groups);
    let mut artifact = Artifact {
        meta: Meta {
            name: policy.name.clone(),
            version: policy.version.clone(),
            description: policy.description.clone(),
            owner: policy.owner.clone(),
            source_hash: Sha256::digest(source.as_bytes()).into(),
        },
        rules: policy.rules.iter().map(rule).collect(),
        defaults: policy.defaults,
        passes: policy.passes,
        ..Artifact::default()
    };
    c.network(&mut artifact);
    artifact.filesystem.roots = c.filesystem();
    artifact.http.blocks = c.http();
    artifact.credentials = c.name_tables(
        policy
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.kind {
                RuleKind::Credential { names, .. } => Some((i, names)),
                _ => None,
            }),
        "the secret name globs".to_string(),
    );
    // Tool rules grouped by server in one pass (not one pass over every
    // rule per server, which is quadratic in a policy of many servers).
    // Rules with argument constraints go to the server's short list, tried
    // in turn (`policy_eval` `table/args.rs`), not into the name tables.
    let n = policy.servers.len();
    let mut tools_of: Vec<Vec<(usize, &Vec<String>)>> = vec![Vec::new(); n];
    let mut resources_of: Vec<Vec<(usize, &Vec<String>)>> = vec![Vec::new(); n];
    let mut prompts_of: Vec<Vec<(usize, &Vec<String>)>> = vec![Vec::new(); n];
    let mut constrained_of: Vec<Vec<(Vec<String>, u32)>> = vec![Vec::new(); n];
    let mut pins_of: Vec<Vec<ToolPin>> = vec![Vec::new(); n];
    for (i, r) in policy.rules.iter().enumerate() {
        if let RuleKind::Tool {
            server,
            kind,
            tools,
            args,
            pins,
        } = &r.kind
        {
            if let (Some(list), [tool], false) =
                (pins_of.get_mut(*server), &tools[..], pins.is_empty())
            {
                list.push(ToolPin {
                    tool: tool.clone(),
                    rule: index(i),
                    digests: pins.clone(),
                });
            }
            let plain = match kind {
                McpKind::Tool => &mut tools_of,
                McpKind::Resource => &mut resources_of,
                McpKind::Prompt => &mut prompts_of,
            };
            if args.is_empty() {
                if let Some(list) = plain.get_mut(*server) {
                    list.push((i, tools));
                }
            } else if let Some(list) = constrained_of.get_mut(*server) {
                list.push((tools.clone(), index(i)));
            }
        }
    }
    let mut servers = Vec::with_capacity(n);
    for ((((def, tools), constrained), mut pins), (resources, prompts)) in policy
        .servers
        .iter()
        .zip(tools_of)
        .zip(constrained_of)
        .zip(pins_of)
        .zip(resources_of.into_iter().zip(prompts_of))
    {
        pins.sort_by(|a, b| a.tool.cmp(&b.tool));
        let group = |what: &str| format!("the {what} globs of server `{}`", def.name);
        servers.push(McpServer {
            name: def.name.clone(),
            source: def.source.clone(),
            rule: index(def.rule),
            tools: c.name_tables(tools.into_iter(), group("tool name")),
            constrained,
            pins,
            resources: c.name_tables(resources.into_iter(), group("resource URI")),
            prompts: c.name_tables(prompts.into_iter(), group("prompt name")),
        });
    }
    artifact.mcp.servers = servers;
    if let Some(e) = c.refused.take() {
        return Err(e);
    }
    let entries: usize = c.lists.iter().map(Vec::len).sum::<usize>() + c.lists.len();
    if entries > budget {
        let mut largest: Vec<&Vec<u32>> = c.lists.iter().collect();
        largest.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let mut rules: Vec<String> = largest
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(|r| policy.rules.get(*r as usize).map(|r| r.id.clone()))
            .take(10)
            .collect();
        rules.dedup();
        return Err(CompileError::Budget {
            entries,
            limit: budget,
            rules,
        });
    }
    artifact.candidates = c.lists;
    let cost = policy_eval::cost::Cost::of(&artifact);
    let (surface, steps) = cost.worst();
    if steps > limits::MAX_DECISION_STEPS {
        let heaviest = &cost.heaviest[surface as usize];
        return Err(CompileError::Cost {
            surface: surface.as_str(),
            steps,
            limit: limits::MAX_DECISION_STEPS,
            first: heaviest.first().map_or(0, |&r| r as usize),
            ids: heaviest
                .iter()
                .take(5)
                .filter_map(|&r| policy.rules.get(r as usize).map(|r| r.id.clone()))
                .collect(),
        });
    }
    Ok(Compiled {
        artifact,
        warnings: c.warnings,
    })
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn rule(r: &RuleDef) -> Rule {
    let cond = match &r.kind {
        RuleKind::Network { ports: Some(p), .. } => Condition::Ports(p.clone()),
        RuleKind::Tool { args, .. } if !args.is_empty() => Condition::Arguments(args.clone()),
        RuleKind::Network { ports: None, .. }
        | RuleKind::Server { .. }
        | RuleKind::Tool { .. }
        | RuleKind::HttpBlock { .. } => Condition::None,
        RuleKind::Http { methods, .. } => Condition::Methods(*methods),
        RuleKind::Filesystem { access, .. } => Condition::Access(*access),
        RuleKind::Credential {
            destinations,
            lifetime,
            ..
        } => Condition::Credential(CredentialCond {
            destinations: destinations.as_ref().map(|d| destination_set(d)),
            lifetime: *lifetime,
        }),
    };
    Rule {
        id: r.id.clone(),
        surface: r.surface,
        effect: r.effect,
        line: r.line,
        column: r.column,
        cond,
        ask_reason: r.ask_reason.clone().unwrap_or_default(),
    }
}

fn destination_set(targets: &[NetTarget]) -> Destinations {
    let mut d = Destinations::default();
    for t in targets {
        match t {
            NetTarget::Domain(p) => d.domains.push(p.clone()),
            NetTarget::Net(IpNet::V4(n)) => {
                d.v4.push((u32::from(n.network()), u32::from(n.broadcast())))
            }
            NetTarget::Net(IpNet::V6(n)) => {
                d.v6.push((u128::from(n.network()), u128::from(n.broadcast())))
            }
        }
    }
    d
}

struct Compiler<'p> {
    policy: &'p CheckedPolicy,
    lists: Vec<Vec<u32>>,
    interned: HashMap<Vec<u32>, u32>,
    warnings: Vec<Diagnostic>,
    groups: GroupLimits,
    /// The first group refused; later groups are not built.
    refused: Option<CompileError>,
}

/// Domain rules under one anchor, before interning.
#[derive(Default)]
struct DomainBuild {
    exact: Vec<u32>,
    one_label: Vec<u32>,
    any_depth: Vec<u32>,
    /// (rule, labels, any_depth) of the general shapes.
    globs: Vec<(u32, Vec<String>, bool)>,
}

/// Path rules under one root, before interning.
#[derive(Default)]
struct RootBuild {
    exact: BTreeMap<String, Vec<u32>>,
    prefix: BTreeMap<String, Vec<u32>>,
    extension: BTreeMap<(String, String), Vec<u32>>,
    /// Literal directory → (rule, glob).
    globs: BTreeMap<String, Vec<(u32, String)>>,
}

impl<'p> Compiler<'p> {
    fn new(policy: &'p CheckedPolicy, groups: GroupLimits) -> Compiler<'p> {
        let mut interned = HashMap::new();
        interned.insert(Vec::new(), 0);
        Compiler {
            policy,
            lists: vec![Vec::new()],
            interned,
            warnings: Vec::new(),
            groups,
            refused: None,
        }
    }

    /// The automata of one group of `(rule, regex)` patterns: sorted by
    /// (effect, rule index), duplicates dropped. A refused group is recorded
    /// (the first one becomes the compile error) and gives no automata.
    fn automata(
        &mut self,
        what: impl FnOnce() -> String,
        mut pats: Vec<(u32, String)>,
    ) -> Automata {
        if self.refused.is_some() || pats.is_empty() {
            return Automata::default();
        }
        pats.sort_by_key(|(r, _)| self.key(*r));
        pats.dedup();
        let pats: Vec<GroupPattern> = pats
            .into_iter()
            .map(|(rule, regex)| GroupPattern { rule, regex })
            .collect();
        match automaton::build_group(&pats, self.groups) {
            Ok(a) => a,
            Err(e) => {
                let what = format!(
                    "{} need more than {} automata of at most {} bytes",
                    what(),
                    self.groups.max_dfas,
                    self.groups.dfa_bytes
                );
                self.refuse(what, &e.rules);
                Automata::default()
            }
        }
    }

    /// Records the first refused group.
    fn refuse(&mut self, what: String, rules: &[u32]) {
        if self.refused.is_some() {
            return;
        }
        let ids: Vec<String> = rules
            .iter()
            .take(5)
            .filter_map(|r| self.policy.rules.get(*r as usize).map(|r| r.id.clone()))
            .collect();
        self.refused = Some(CompileError::TooComplex {
            what,
            first: rules.iter().min().map_or(0, |r| *r as usize),
            ids,
            count: rules.len(),
        });
    }

    /// Whether a rule applies whenever one of its patterns matched.
    fn unconditional(&self, r: u32) -> bool {
        match self.policy.rules.get(r as usize).map(|r| &r.kind) {
            Some(RuleKind::Network { ports, .. }) => ports.is_none(),
            Some(RuleKind::Filesystem { access, .. }) => *access == Access::READ_WRITE,
            Some(RuleKind::Server { .. } | RuleKind::Tool { .. } | RuleKind::HttpBlock { .. }) => {
                true
            }
            Some(RuleKind::Http { methods, .. }) => *methods == Methods::ALL,
            Some(RuleKind::Credential { .. }) | None => false,
        }
    }

    fn key(&self, r: u32) -> (Effect, u32) {
        (
            self.policy
                .rules
                .get(r as usize)
                .map_or(Effect::Deny, |r| r.effect),
            r,
        )
    }

    /// Sorts, dedups, cuts after the first unconditional rule, and interns.
    fn intern(&mut self, mut rules: Vec<u32>) -> u32 {
        rules.sort_by_key(|r| self.key(*r));
        rules.dedup();
        if let Some(cut) = rules.iter().position(|r| self.unconditional(*r)) {
            rules.truncate(cut + 1);
        }
        if let Some(id) = self.interned.get(&rules) {
            return *id;
        }
        let id = index(self.lists.len());
        self.lists.push(rules.clone());
        self.interned.insert(rules, id);
        id
    }

    fn network(&mut self, artifact: &mut Artifact) {
        let mut domains: BTreeMap<String, DomainBuild> = BTreeMap::new();
        let mut v4: Vec<(u128, u128, u32)> = Vec::new();
        let mut v6: Vec<(u128, u128, u32)> = Vec::new();
        for (i, r) in self.policy.rules.iter().enumerate() {
            let RuleKind::Network { targets, .. } = &r.kind else {
                continue;
            };
            for t in targets {
                match t {
                    NetTarget::Domain(p) => add_domain(&mut domains, p, index(i)),
                    NetTarget::Net(IpNet::V4(n)) => v4.push((
                        u128::from(u32::from(n.network())),
                        u128::from(u32::from(n.broadcast())),
                        index(i),
                    )),
                    NetTarget::Net(IpNet::V6(n)) => {
                        v6.push((u128::from(n.network()), u128::from(n.broadcast()), index(i)))
                    }
                }
            }
        }
        for (anchor, b) in domains {
            let pats = b
                .globs
                .iter()
                .filter_map(|(rule, labels, any_depth)| {
                    let r = self.policy.rules.get(*rule as usize)?;
                    let RuleKind::Network { ports, .. } = &r.kind else {
                        return None;
                    };
                    let prefix =
                        automaton::port_prefix(ports.as_deref(), r.effect == Effect::Allow);
                    let body = automaton::labels_regex(labels, *any_depth)?;
                    Some((*rule, format!("{prefix}{body}")))
                })
                .collect();
            let globs = self.automata(|| format!("the label globs under `{anchor}`"), pats);
            let entry = DomainEntry {
                exact: self.intern(b.exact),
                one_label: self.intern(b.one_label),
                any_depth: self.intern(b.any_depth),
                globs,
                anchor,
            };
            artifact.network.domains.push(entry);
        }
        artifact.network.v4 = self
            .intervals(v4, u128::from(u32::MAX))
            .into_iter()
            .map(|(s, c)| (u32::try_from(s).unwrap_or(u32::MAX), c))
            .collect();
        artifact.network.v6 = self.intervals(v6, u128::MAX);
    }

    /// Elementary intervals of overlapping ranges: a sweep over range ends
    /// keeping the set of covering rules.
    fn intervals(&mut self, ranges: Vec<(u128, u128, u32)>, max: u128) -> Vec<(u128, u32)> {
        let mut events: Vec<(u128, bool, u32)> = Vec::with_capacity(ranges.len() * 2);
        for (lo, hi, r) in ranges {
            events.push((lo, true, r));
            if hi < max {
                events.push((hi + 1, false, r));
            }
        }
        events.sort_unstable();
        let mut active: BTreeMap<(Effect, u32), usize> = BTreeMap::new();
        let mut out: Vec<(u128, u32)> = vec![(0, 0)];
        let mut i = 0;
        while i < events.len() {
            let pos = events[i].0;
            while i < events.len() && events[i].0 == pos {
                let (_, start, r) = events[i];
                let key = self.key(r);
                if start {
                    *active.entry(key).or_insert(0) += 1;
                } else if let Some(n) = active.get_mut(&key) {
                    *n -= 1;
                    if *n == 0 {
                        active.remove(&key);
                    }
                }
                i += 1;
            }
            let mut rules = Vec::new();
            for (_, r) in active.keys() {
                rules.push(*r);
                if self.unconditional(*r) {
                    break;
                }
            }
            let id = self.intern(rules);
            match out.last_mut() {
                Some(last) if last.0 == pos => last.1 = id,
                Some(last) if last.1 == id => {}
                _ => out.push((pos, id)),
            }
        }
        // Merge neighbours that ended up equal after an in-place update.
        out.dedup_by(|b, a| a.1 == b.1);
        out
    }

    fn filesystem(&mut self) -> Vec<FsRoot> {
        let mut roots: BTreeMap<String, Vec<(u32, &'p str)>> = BTreeMap::new();
        for (i, r) in self.policy.rules.iter().enumerate() {
            let RuleKind::Filesystem { paths, .. } = &r.kind else {
                continue;
            };
            for p in paths {
                roots
                    .entry(p.root.clone())
                    .or_default()
                    .push((index(i), p.glob.as_str()));
            }
        }
        roots
            .into_iter()
            .map(|(name, globs)| {
                let place = |dir: &str| match name.as_str() {
                    "" => format!("/{dir}"),
                    "home" => format!("~/{dir}"),
                    r => format!("${r}/{dir}"),
                };
                let mut root = self.path_table(&globs, place);
                root.name = name;
                root
            })
            .collect()
    }

    /// The `http` blocks: each block's hosts and a path table of its rules.
    fn http(&mut self) -> Vec<HttpBlock> {
        let mut rules_of: Vec<Vec<(u32, &'p str)>> = vec![Vec::new(); self.policy.http.len()];
        for (i, r) in self.policy.rules.iter().enumerate() {
            if let RuleKind::Http { block, paths, .. } = &r.kind {
                if let Some(list) = rules_of.get_mut(*block) {
                    list.extend(paths.iter().map(|p| (index(i), p.as_str())));
                }
            }
        }
        self.policy
            .http
            .iter()
            .zip(rules_of)
            .map(|(def, globs)| {
                let host = def.hosts.first().map(DomainText::text).unwrap_or_default();
                HttpBlock {
                    rule: index(def.rule),
                    hosts: def.hosts.clone(),
                    paths: self.path_table(&globs, |dir| {
                        format!("the HTTP rules of `{host}` under `/{dir}`")
                    }),
                }
            })
            .collect()
    }

    /// One path table (a filesystem root, an `http` block) from `(rule,
    /// relative glob)` pairs: literal paths, `dir/**` prefixes, `dir/**/*.ext`
    /// extensions, and the other globs as automata by literal directory,
    /// each pattern after its rule's condition prefix ([`cond_prefix`]).
    /// `place` names a directory in an E0008.
    fn path_table(&mut self, globs: &[(u32, &str)], place: impl Fn(&str) -> String) -> FsRoot {
        let mut b = RootBuild::default();
        for &(rule, glob) in globs {
            match path_shape(glob) {
                PathShape::Exact => b.exact.entry(glob.to_string()).or_default().push(rule),
                PathShape::Prefix(dir) => b.prefix.entry(dir).or_default().push(rule),
                PathShape::Extension(dir, ext) => {
                    b.extension.entry((dir, ext)).or_default().push(rule)
                }
                PathShape::Glob(dir) => b
                    .globs
                    .entry(dir)
                    .or_default()
                    .push((rule, glob.to_string())),
            }
        }
        let mut out_globs = Vec::with_capacity(b.globs.len());
        for (dir, pats) in &b.globs {
            let pats = pats
                .iter()
                .filter_map(|(rule, glob)| {
                    let r = self.policy.rules.get(*rule as usize)?;
                    Some((
                        *rule,
                        format!("{}{}", cond_prefix(&r.kind)?, path_regex(glob)?),
                    ))
                })
                .collect();
            let a = self.automata(|| format!("the path globs under `{}`", place(dir)), pats);
            out_globs.push((dir.clone(), a));
        }
        FsRoot {
            name: String::new(),
            exact: b
                .exact
                .into_iter()
                .map(|(k, r)| (k, self.intern(r)))
                .collect(),
            prefix: b
                .prefix
                .into_iter()
                .map(|(k, r)| (k, self.intern(r)))
                .collect(),
            extension: b
                .extension
                .into_iter()
                .map(|((d, e), r)| (d, e, self.intern(r)))
                .collect(),
            globs: out_globs,
        }
    }

    /// Name tables (secrets or tools) from `(rule, globs)` pairs; `what`
    /// names the group in an E0008.
    fn name_tables<'a>(
        &mut self,
        rules: impl Iterator<Item = (usize, &'a Vec<String>)>,
        what: String,
    ) -> NameTables {
        let mut exact: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut prefix: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut pats: Vec<(u32, String)> = Vec::new();
        let mut sends: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (i, names) in rules {
            let rule = index(i);
            for n in names {
                if !has_wildcard(n) {
                    exact.entry(n.clone()).or_default().push(rule);
                    continue;
                }
                if n.ends_with('*') && !has_wildcard(&n[..n.len() - 1]) {
                    prefix
                        .entry(n[..n.len() - 1].to_string())
                        .or_default()
                        .push(rule);
                    continue;
                }
                let Some(body) = automaton::glob_regex(n, Mode::Name) else {
                    continue;
                };
                match self.policy.rules.get(i) {
                    // Seeing (`s`): rules without `to`, and allow and ask
                    // rules with `to`. The static part of sending (`x`): deny
                    // rules without `to`. Rules with `to` are also matched
                    // for sends from the send-glob list.
                    Some(RuleDef {
                        effect,
                        kind: RuleKind::Credential { destinations, .. },
                        ..
                    }) => {
                        let deny = *effect == Effect::Deny;
                        match (destinations.is_some(), deny) {
                            (false, true) => pats.push((rule, format!("[sx]{body}"))),
                            (false, false) => pats.push((rule, format!("s{body}"))),
                            (true, false) => pats.push((rule, format!("s{body}"))),
                            (true, true) => {}
                        }
                        if destinations.is_some() {
                            sends.entry(n.clone()).or_default().push(rule);
                        }
                    }
                    _ => pats.push((rule, body)),
                }
            }
        }
        if sends.len() > limits::MAX_SEND_GLOBS {
            let mut rules: Vec<u32> = sends.values().flatten().copied().collect();
            rules.sort_unstable();
            rules.dedup();
            self.refuse(
                format!(
                    "{what} of rules with `to` are {} distinct globs, more than the limit of {}",
                    sends.len(),
                    limits::MAX_SEND_GLOBS
                ),
                &rules,
            );
        }
        let automata = self.automata(|| what, pats);
        NameTables {
            exact: exact
                .into_iter()
                .map(|(k, r)| (k, self.intern(r)))
                .collect(),
            prefix: prefix
                .into_iter()
                .map(|(k, r)| (k, self.intern(r)))
                .collect(),
            automata,
            globs: sends
                .into_iter()
                .map(|(k, r)| (k, self.intern(r)))
                .collect(),
        }
    }
}

/// The condition prefix of a path rule's patterns: for a filesystem rule
/// its access (the part decided is searched as `r` or `w`), for an HTTP rule
/// the class of its method bytes (`Method::byte`). `None` for other rules.
fn cond_prefix(kind: &RuleKind) -> Option<String> {
    Some(match kind {
        RuleKind::Filesystem { access, .. } if *access == Access::READ_WRITE => "[rw]".into(),
        RuleKind::Filesystem { access, .. } if access.contains(Access::WRITE) => "w".into(),
        RuleKind::Filesystem { .. } => "r".into(),
        RuleKind::Http { methods, .. } => {
            let bytes: String = methods.iter().map(|m| char::from(m.byte())).collect();
            format!("[{bytes}]")
        }
        _ => return None,
    })
}

/// The regex of a relative path glob: `x/**` also matches `x` (language
/// semantics; globset's does not), so each trailing `/**` may be dropped.
fn path_regex(glob: &str) -> Option<String> {
    let mut alts = Vec::new();
    let mut text = glob;
    loop {
        alts.push(automaton::glob_regex(text, Mode::Path)?);
        match text.strip_suffix("/**") {
            Some(shorter) if !shorter.is_empty() => text = shorter,
            _ => break,
        }
    }
    Some(format!("(?:{})", alts.join("|")))
}

fn add_domain(domains: &mut BTreeMap<String, DomainBuild>, p: &DomainPattern, rule: u32) {
    let b = domains.entry(p.anchor.clone()).or_default();
    match (p.any_depth, p.prefix.as_slice()) {
        (false, []) => b.exact.push(rule),
        (false, [one]) if one == "*" => b.one_label.push(rule),
        (true, []) => b.any_depth.push(rule),
        _ => b.globs.push((rule, p.prefix.clone(), p.any_depth)),
    }
}

/// Whether a glob text has any wildcard or escape.
fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// The lookup shape of a relative path glob.
#[derive(Debug, PartialEq, Eq)]
enum PathShape {
    /// No wildcard at all.
    Exact,
    /// `dir/**` (or `**`, with dir "").
    Prefix(String),
    /// `dir/**/*.ext` (or `**/*.ext`): dir and suffix `.ext`.
    Extension(String, String),
    /// Anything else, with its literal directory prefix.
    Glob(String),
}

fn path_shape(glob: &str) -> PathShape {
    if !has_wildcard(glob) {
        return PathShape::Exact;
    }
    let segments: Vec<&str> = glob.split('/').collect();
    let literal = segments.iter().take_while(|s| !has_wildcard(s)).count();
    let dir = segments[..literal].join("/");
    let rest = &segments[literal..];
    match rest {
        ["**"] => PathShape::Prefix(dir),
        ["**", last] => match last.strip_prefix('*') {
            Some(ext) if ext.starts_with('.') && !has_wildcard(ext) => {
                PathShape::Extension(dir, ext.to_string())
            }
            _ => PathShape::Glob(dir),
        },
        _ => PathShape::Glob(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_policy_fails_naming_its_rules() {
        // Nested ranges with port conditions: every elementary interval keeps
        // every covering rule, so the tables grow quadratically.
        let mut src = String::from("policy big\nnetwork {\n");
        for i in 0..32 {
            src.push_str(&format!("  r{i}: deny 10.0.0.0/{} port 22\n", i));
        }
        src.push_str("}\n");
        let checked = crate::check::check_source(&src).policy.expect("valid");
        assert!(compile(&checked, &src).is_ok());
        let err = compile_with_budget(&checked, &src, 100).expect_err("over budget");
        let CompileError::Budget {
            entries,
            limit,
            rules,
        } = &err
        else {
            panic!("not a budget error: {err}");
        };
        assert!(*entries > 100 && *limit == 100);
        assert!(rules.iter().any(|r| r == "r0"), "{rules:?}");
        assert!(
            err.to_string().contains("largest contributors: r0"),
            "{err}"
        );
    }

    #[test]
    fn path_shapes() {
        assert_eq!(path_shape("etc/passwd"), PathShape::Exact);
        assert_eq!(path_shape("**"), PathShape::Prefix(String::new()));
        assert_eq!(path_shape(".ssh/**"), PathShape::Prefix(".ssh".into()));
        assert_eq!(
            path_shape("**/*.key"),
            PathShape::Extension(String::new(), ".key".into())
        );
        assert_eq!(
            path_shape("a/**/*.tar.gz"),
            PathShape::Extension("a".into(), ".tar.gz".into())
        );
        assert_eq!(path_shape("a/**/b/*.key"), PathShape::Glob("a".into()));
        assert_eq!(path_shape("src/*.rs"), PathShape::Glob("src".into()));
        assert_eq!(path_shape("**/*key"), PathShape::Glob(String::new()));
        assert_eq!(path_shape("a\\*"), PathShape::Glob(String::new()));
    }
}
