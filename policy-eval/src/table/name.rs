//! Name tables (secret names, MCP tool names): exact names, `prefix*` keys
//! probed in one pass over a name, other globs as automata (and the short
//! list of send globs); and the MCP server index.

use super::args::Constrained;
use super::automaton::DfaSet;
use super::rules::{Best, Checker, Scan};
use super::{has_bit, map_of, set_bit};
use crate::artifact::{Artifact, Effect, McpServer, NameTables, Surface, ToolPin};
use crate::error::LoadError;
use crate::glob::Glob;
use crate::hash::{FxMap, Roll, RollMap};
use crate::limits::{
    MAX_NAME_LEN, MAX_PINS_PER_RULE, MAX_RESOURCE_URI_LEN, MAX_SEND_GLOBS, MAX_SOURCE_LEN,
};
use crate::normalize::is_normalized_name;

/// What the keys of a name table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// Names (secrets, tools, prompts): lower-cased, at most
    /// [`MAX_NAME_LEN`] bytes.
    Names,
    /// MCP resource URIs: case kept, at most [`MAX_RESOURCE_URI_LEN`]
    /// bytes, exact keys valid URIs ([`crate::normalize::resource_uri`]).
    Uris,
}

impl Keys {
    /// The longest key, and the longest subject probed.
    pub(crate) fn max_len(self) -> usize {
        match self {
            Keys::Names => MAX_NAME_LEN,
            Keys::Uris => MAX_RESOURCE_URI_LEN,
        }
    }

    /// Whether `k` is a valid key: an exact key when `exact`, else a
    /// prefix key (send globs are parsed when indexed).
    fn valid(self, k: &str, exact: bool) -> bool {
        let printable = k.bytes().all(|b| (0x21..=0x7e).contains(&b));
        match self {
            Keys::Names => k.is_empty() || is_normalized_name(k),
            Keys::Uris => {
                printable
                    && k.len() <= MAX_RESOURCE_URI_LEN
                    && (!exact || crate::normalize::resource_uri(k).is_ok())
            }
        }
    }
}

/// Indexed name tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    exact: FxMap<Box<str>, u32>,
    /// `prefix*` keys by forward rolling hash: one pass over a name gives
    /// the hash of each of its prefixes.
    prefix: RollMap<u32>,
    /// Bit `n` set: some prefix key is `n` bytes long.
    prefix_lens: Box<[u64]>,
    /// One more than the longest prefix key (0: no prefix keys), so the
    /// probe stops there instead of hashing the whole name.
    prefix_end: usize,
    /// The other globs.
    automata: DfaSet,
    /// Globs of credential rules with `to`, tested in turn for sends.
    globs: Vec<(Glob, u32)>,
}

impl NameIndex {
    /// Validates one name table and indexes it.
    pub(crate) fn build(
        table: &'static str,
        t: &NameTables,
        art: &Artifact,
        surface: Surface,
        keys: Keys,
        ck: &Checker,
    ) -> Result<NameIndex, LoadError> {
        let limit = if surface == Surface::Credential {
            MAX_SEND_GLOBS
        } else {
            0
        };
        if t.globs.len() > limit {
            return Err(LoadError::table(
                table,
                format!("{} send globs exceed the limit of {limit}", t.globs.len()),
            ));
        }
        let automata = DfaSet::load(table, &t.automata, &art.rules, surface, false)?;
        for (_, c) in t.exact.iter().chain(&t.prefix).chain(&t.globs) {
            ck.list(table, *c, surface)?;
        }
        let glob_ok = |k: &str| {
            k.bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && !b.is_ascii_uppercase())
        };
        if let Some((k, _)) = t.globs.iter().find(|(k, _)| !glob_ok(k)) {
            return Err(LoadError::table(
                table,
                format!("name key `{k}` is not normalized"),
            ));
        }
        for (exact, list) in [(true, &t.exact), (false, &t.prefix)] {
            if let Some((k, _)) = list.iter().find(|(k, _)| !keys.valid(k, exact)) {
                return Err(LoadError::table(
                    table,
                    format!("name key `{k}` is not normalized"),
                ));
            }
        }
        let exact = map_of(table, "exact name", &t.exact)?;
        let mut prefix = RollMap::default();
        let mut prefix_lens = vec![0u64; keys.max_len() / 64 + 1].into_boxed_slice();
        let mut prefix_end = 0;
        for (k, c) in map_of(table, "name prefix", &t.prefix)? {
            set_bit(&mut prefix_lens, k.len());
            prefix_end = prefix_end.max(k.len() + 1);
            prefix.insert(&k, Roll::forward(&k), c);
        }
        let globs = t
            .globs
            .iter()
            .map(|(p, c)| {
                Glob::flat(p)
                    .map(|g| (g, *c))
                    .map_err(|e| LoadError::table(table, format!("name glob `{p}`: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(NameIndex {
            exact,
            prefix,
            prefix_lens,
            prefix_end,
            automata,
            globs,
        })
    }

    /// Probes the tables with a normalized name: `prefix` is the condition
    /// prefix of the automata (`b"s"` seeing, `b"x"` sending, `b""` for
    /// tools); the send globs are tested only when `send`.
    pub(crate) fn probe(
        &self,
        name: &str,
        prefix: &[u8],
        send: bool,
        scan: &Scan,
        best: &mut Best,
    ) {
        if let Some(&c) = self.exact.get(name) {
            scan.consider(best, c);
        }
        let mut h = Roll::new();
        for len in 0..self.prefix_end.min(name.len() + 1) {
            if has_bit(&self.prefix_lens, len) {
                if let Some(&c) = self.prefix.get(h.value(), name.get(..len).unwrap_or("")) {
                    scan.consider(best, c);
                }
            }
            if let Some(&b) = name.as_bytes().get(len) {
                h.push(b);
            }
        }
        self.automata.probe(prefix, name.as_bytes(), scan, best);
        if send {
            for (g, c) in &self.globs {
                if g.is_match(name) {
                    scan.consider(best, *c);
                }
            }
        }
    }
}

/// The approved MCP servers (`art.mcp.servers`) and their tool tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct McpIndex {
    /// Server name → index into `art.mcp.servers`.
    servers: FxMap<Box<str>, u32>,
    /// Per server: tool tables.
    tools: Vec<NameIndex>,
    /// Per server: resource URI tables.
    resources: Vec<NameIndex>,
    /// Per server: prompt tables.
    prompts: Vec<NameIndex>,
    /// Per server: its tool rules with argument constraints.
    constrained: Vec<Vec<Constrained>>,
    /// Per server: pinned tool name → index into the server's `pins`.
    pins: Vec<FxMap<Box<str>, u32>>,
    /// Pinned rule → (server, index into its `pins`).
    pin_of_rule: FxMap<u32, (u32, u32)>,
}

impl McpIndex {
    /// Validates the server table (names, pins, approval rules, tool tables)
    /// and indexes it by name.
    pub(crate) fn build(art: &Artifact, ck: &Checker) -> Result<McpIndex, LoadError> {
        let mut servers = FxMap::default();
        let mut tools = Vec::with_capacity(art.mcp.servers.len());
        let mut resources = Vec::with_capacity(art.mcp.servers.len());
        let mut prompts = Vec::with_capacity(art.mcp.servers.len());
        let mut constrained = Vec::with_capacity(art.mcp.servers.len());
        let mut pins = Vec::with_capacity(art.mcp.servers.len());
        let mut pin_of_rule = FxMap::default();
        let mut seen = vec![false; art.rules.len()];
        for (i, s) in art.mcp.servers.iter().enumerate() {
            if !is_normalized_name(&s.name) {
                return Err(LoadError::table(
                    "mcp",
                    format!("server name `{}` is not normalized", s.name),
                ));
            }
            if let Some(src) = &s.source {
                if crate::normalize::source(src).is_err() || src.len() > MAX_SOURCE_LEN {
                    return Err(LoadError::table(
                        "mcp",
                        format!("server `{}`: invalid source", s.name),
                    ));
                }
            }
            match art.rules.get(s.rule as usize) {
                Some(r) if r.surface == Surface::Mcp && r.effect == Effect::Allow => {}
                _ => {
                    return Err(LoadError::table(
                        "mcp",
                        format!(
                            "server `{}`: approval rule {} is not an MCP allow rule",
                            s.name, s.rule
                        ),
                    ))
                }
            }
            let m = Surface::Mcp;
            tools.push(NameIndex::build("mcp", &s.tools, art, m, Keys::Names, ck)?);
            resources.push(NameIndex::build(
                "mcp",
                &s.resources,
                art,
                m,
                Keys::Uris,
                ck,
            )?);
            prompts.push(NameIndex::build(
                "mcp",
                &s.prompts,
                art,
                m,
                Keys::Names,
                ck,
            )?);
            if !s.resources.globs.is_empty() || !s.prompts.globs.is_empty() {
                return Err(LoadError::table(
                    "mcp",
                    format!(
                        "server `{}`: send globs in a resource or prompt table",
                        s.name
                    ),
                ));
            }
            constrained.push(Constrained::build(&s.name, &s.constrained, art, &mut seen)?);
            let idx = u32::try_from(i).map_err(|_| LoadError::table("mcp", "too many"))?;
            pins.push(pin_index(s, art, idx, &mut pin_of_rule)?);
            if servers.insert(s.name.as_str().into(), idx).is_some() {
                return Err(LoadError::table(
                    "mcp",
                    format!("duplicate server `{}`", s.name),
                ));
            }
        }
        Ok(McpIndex {
            servers,
            tools,
            resources,
            prompts,
            constrained,
            pins,
            pin_of_rule,
        })
    }

    /// The pin of tool `t` (normalized) of server `si`, if it has one.
    #[inline]
    pub(crate) fn pin<'a>(&self, art: &'a Artifact, si: u32, t: &str) -> Option<&'a ToolPin> {
        let pi = *self.pins.get(si as usize)?.get(t)?;
        art.mcp.servers.get(si as usize)?.pins.get(pi as usize)
    }

    /// The pin whose pinned rule is `rule`, if any.
    pub(crate) fn pin_of_rule<'a>(&self, art: &'a Artifact, rule: u32) -> Option<&'a ToolPin> {
        let &(si, pi) = self.pin_of_rule.get(&rule)?;
        art.mcp.servers.get(si as usize)?.pins.get(pi as usize)
    }

    /// The index of server `server` (normalized) if it is approved and its
    /// pin, if any, equals `source`.
    #[inline]
    pub(crate) fn approved(
        &self,
        art: &Artifact,
        server: &str,
        source: Option<&str>,
    ) -> Option<u32> {
        self.servers.get(server).and_then(|&i| {
            let s = art.mcp.servers.get(i as usize)?;
            let pinned_ok = match &s.source {
                Some(pin) => source == Some(pin.as_str()),
                None => true,
            };
            pinned_ok.then_some(i)
        })
    }

    /// The tool rules with argument constraints of server `si`.
    pub(crate) fn constrained(&self, si: u32) -> &[Constrained] {
        self.constrained.get(si as usize).map_or(&[], Vec::as_slice)
    }

    /// The tool tables of server `si`.
    pub(crate) fn tools(&self, si: u32) -> Option<&NameIndex> {
        self.tools.get(si as usize)
    }

    /// The resource URI tables of server `si`.
    pub(crate) fn resources(&self, si: u32) -> Option<&NameIndex> {
        self.resources.get(si as usize)
    }

    /// The prompt tables of server `si`.
    pub(crate) fn prompts(&self, si: u32) -> Option<&NameIndex> {
        self.prompts.get(si as usize)
    }
}

/// Validates the pins of server `s` (index `si`) and indexes them by tool:
/// exact normalized names, sorted and unique; each pinned rule an MCP allow
/// or ask, pinning one tool; 1 to [`MAX_PINS_PER_RULE`] digests, sorted and
/// unique. A pin only ever narrows (an unpinned call keeps only its
/// denies), so a crafted pin cannot widen a decision.
fn pin_index(
    s: &McpServer,
    art: &Artifact,
    si: u32,
    of_rule: &mut FxMap<u32, (u32, u32)>,
) -> Result<FxMap<Box<str>, u32>, LoadError> {
    let bad = |p: String| Err(LoadError::table("mcp", format!("server `{}`: {p}", s.name)));
    let mut map = FxMap::default();
    for (pi, p) in s.pins.iter().enumerate() {
        let exact = is_normalized_name(&p.tool) && !p.tool.contains(['*', '?', '[', ']', '{', '}']);
        if !exact || pi > 0 && s.pins[pi - 1].tool >= p.tool {
            return bad(format!(
                "pin of `{}`: not an exact name, or out of order",
                p.tool
            ));
        }
        match art.rules.get(p.rule as usize) {
            Some(r) if r.surface == Surface::Mcp && r.effect != Effect::Deny => {}
            _ => {
                return bad(format!(
                    "pin of `{}`: rule {} is not an MCP allow or ask",
                    p.tool, p.rule
                ))
            }
        }
        let sorted = p.digests.windows(2).all(|w| w[0] < w[1]);
        if p.digests.is_empty() || p.digests.len() > MAX_PINS_PER_RULE || !sorted {
            return bad(format!(
                "pin of `{}`: expected 1 to {MAX_PINS_PER_RULE} sorted, unique digests",
                p.tool
            ));
        }
        let pi = u32::try_from(pi).map_err(|_| LoadError::table("mcp", "too many pins"))?;
        if of_rule.insert(p.rule, (si, pi)).is_some() {
            return bad(format!("rule {} pins two tools", p.rule));
        }
        map.insert(p.tool.as_str().into(), pi);
    }
    Ok(map)
}
