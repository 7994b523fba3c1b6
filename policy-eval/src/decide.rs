//! [`Policy::decide`]: normalization, table probes and precedence.
//!
//! Architecture invariant: `decide` never panics and never allocates for
//! ASCII requests. Scratch space (normalized host, path, names) lives in
//! stack buffers; the only allocation is IDNA processing of non-ASCII hosts
//! and of ASCII labels starting with `xn--`.
//!
//! Precedence is independent of rule order: among the rules that match and
//! apply, deny beats ask beats allow, and among rules of the winning effect
//! the lowest rule index decides. Candidate lists are sorted by that key, so
//! each list contributes its first applicable rule and the minimum over all
//! probed lists wins.

use std::net::IpAddr;

use crate::addr;
use crate::artifact::{
    Access, Candidates, Condition, Destinations, DomainPattern, Effect, Rule, Surface,
};
use crate::decision::{Context, Decision, Invalid, Reason, Request};
use crate::glob::Glob;
use crate::hash::Roll;
use crate::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN, MAX_ROOT_BINDINGS};
use crate::load::{has_bit, DirIndex, NameIndex, Policy, RootIndex, V4_BUCKET_BITS};
use crate::normalize::{self, Host};

/// The best (effect, rule index) found so far, and the weakest effect that
/// may still count: [`Effect::Ask`] while probing addresses embedded in an
/// IPv6 address, which only restrict (`spec/language.md` section 7).
struct Best {
    found: Option<(Effect, u32)>,
    weakest: Effect,
}

impl Default for Best {
    fn default() -> Best {
        Best {
            found: None,
            weakest: Effect::Allow,
        }
    }
}

macro_rules! try_norm {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(why) => return Decision::invalid(why),
        }
    };
}

impl Policy {
    /// Decides `req` in `ctx`. Never panics; invalid requests are denied with
    /// [`Reason::Invalid`]. See `spec/requests.md` for the semantics.
    pub fn decide(&self, req: &Request<'_>, ctx: &Context<'_>) -> Decision {
        match *req {
            Request::Network { host, ip, port } => self.decide_network(host, ip, port),
            Request::Filesystem { path, access } => self.decide_fs(path, access, ctx),
            Request::Credential { name, host, ip } => self.decide_credential(name, host, ip),
            Request::Mcp {
                server,
                tool,
                source,
            } => self.decide_mcp(server, tool, source),
        }
    }

    /// Considers the first rule of candidate list `list` that applies.
    fn consider(&self, best: &mut Best, list: Candidates, applies: &dyn Fn(u32, &Rule) -> bool) {
        let Some(list) = self.art.candidates.get(list as usize) else {
            return;
        };
        for &ri in list {
            let Some(&bits) = self.rule_bits.get(ri as usize) else {
                continue;
            };
            let effect = match bits & 3 {
                0 => Effect::Deny,
                1 => Effect::Ask,
                _ => Effect::Allow,
            };
            let key = (effect, ri);
            if effect > best.weakest || best.found.is_some_and(|b| key >= b) {
                return;
            }
            // `Condition::None` is loaded only for network and MCP rules,
            // where it always applies (`check_rule` in policy.rs).
            let unconditional = bits & 4 != 0;
            if unconditional
                || self
                    .art
                    .rules
                    .get(ri as usize)
                    .is_some_and(|r| applies(ri, r))
            {
                best.found = Some(key);
                return;
            }
        }
    }

    fn finish(&self, best: Best, surface: Surface) -> Decision {
        let Some((effect, ri)) = best.found else {
            let default = self
                .art
                .defaults
                .get(surface as usize)
                .copied()
                .unwrap_or(Effect::Deny);
            return Decision::default_effect(default);
        };
        let lifetime = match self.art.rules.get(ri as usize).map(|r| &r.cond) {
            Some(Condition::Credential(c)) if effect != Effect::Deny => Some(c.lifetime),
            _ => None,
        };
        Decision {
            effect,
            rule: Some(ri),
            reason: Reason::Rule,
            lifetime,
        }
    }

    // -----------------------------------------------------------------------
    // Network
    // -----------------------------------------------------------------------

    fn decide_network(&self, host: Option<&str>, ip: Option<&str>, port: Option<u32>) -> Decision {
        if host.is_none() && ip.is_none() {
            return Decision::invalid(Invalid::NetworkTarget);
        }
        let mut hb = [0u8; MAX_HOST_LEN];
        let host = try_norm!(host.map(|h| normalize::host(h, &mut hb)).transpose());
        let ip = try_norm!(ip.map(normalize::ip).transpose());
        let port = try_norm!(port.map(normalize::port).transpose());
        // A request without a port could be for any port: a port list keeps
        // an allow from granting it, never a deny or an ask from applying.
        let applies = |_: u32, r: &Rule| match &r.cond {
            Condition::None => true,
            Condition::Ports(ranges) => match port {
                Some(p) => ranges.iter().any(|&(a, b)| a <= p && p <= b),
                None => r.effect != Effect::Allow,
            },
            _ => false,
        };
        let mut best = Best::default();
        let host_ip = match host {
            Some(Host::Domain(d)) => {
                self.probe_domains(d, &mut best, &applies);
                None
            }
            Some(Host::Ip(a)) => Some(a),
            None => None,
        };
        for a in [host_ip, ip].into_iter().flatten() {
            self.probe_ip(a, &mut best, &applies);
        }
        for a in [host_ip, ip].into_iter().flatten() {
            self.probe_embedded(a, &mut best, &applies);
        }
        self.finish(best, Surface::Network)
    }

    /// Probes the IPv4 addresses embedded in `ip` (NAT64, 6to4, ...) with
    /// only deny and ask rules counting: they make a decision stricter,
    /// never grant it.
    fn probe_embedded(&self, ip: IpAddr, best: &mut Best, applies: &dyn Fn(u32, &Rule) -> bool) {
        let IpAddr::V6(v6) = ip else {
            return;
        };
        let weakest = best.weakest;
        best.weakest = Effect::Ask;
        for a in addr::embedded_v4(v6).as_slice() {
            if let Some(list) = self.v4_interval(*a) {
                self.consider(best, list, applies);
            }
        }
        best.weakest = weakest;
    }

    fn probe_domains(&self, host: &str, best: &mut Best, applies: &dyn Fn(u32, &Rule) -> bool) {
        // One right-to-left pass: at each label boundary the rolling hash is
        // that of the suffix (the anchor) starting there.
        let b = host.as_bytes();
        let mut h = Roll::new();
        if self.anchor_shapes.may_have(0, 0) {
            self.probe_anchor(h.value(), "", host, best, applies);
        }
        let mut labels = 0usize;
        for i in (0..b.len()).rev() {
            h.push(b.get(i).copied().unwrap_or(0));
            if i == 0 || b.get(i - 1) == Some(&b'.') {
                labels += 1;
                let anchor = host.get(i..).unwrap_or("");
                if self.anchor_shapes.may_have(anchor.len(), labels) {
                    let rem = host.get(..i.saturating_sub(1)).unwrap_or("");
                    self.probe_anchor(h.value(), anchor, rem, best, applies);
                }
            }
        }
    }

    fn probe_anchor(
        &self,
        hash: u64,
        anchor: &str,
        rem: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        let Some(&i) = self.domains.get(hash, anchor) else {
            return;
        };
        let Some(e) = self.art.network.domains.get(i as usize) else {
            return;
        };
        if rem.is_empty() {
            self.consider(best, e.exact, applies);
        } else if !rem.contains('.') {
            self.consider(best, e.one_label, applies);
        }
        self.consider(best, e.any_depth, applies);
        if let Some(globs) = self.domain_globs.get(i as usize) {
            for (g, labels) in e.globs.iter().zip(globs) {
                if labels_match(labels, g.any_depth, rem) {
                    self.consider(best, g.candidates, applies);
                }
            }
        }
    }

    fn probe_ip(&self, ip: IpAddr, best: &mut Best, applies: &dyn Fn(u32, &Rule) -> bool) {
        let list = match ip {
            IpAddr::V4(a) => self.v4_interval(u32::from(a)),
            IpAddr::V6(a) => interval(&self.art.network.v6, u128::from(a)),
        };
        if let Some(list) = list {
            self.consider(best, list, applies);
        }
    }

    /// The candidates of the IPv4 interval holding `x`: the bucket of its
    /// top bits bounds the binary search.
    fn v4_interval(&self, x: u32) -> Option<Candidates> {
        bucketed_interval(&self.art.network.v4, &self.v4_buckets, x)
    }

    // -----------------------------------------------------------------------
    // Filesystem
    // -----------------------------------------------------------------------

    fn decide_fs(&self, path: &str, access: Access, ctx: &Context<'_>) -> Decision {
        if access.0 == 0 || access.0 > 3 {
            return Decision::invalid(Invalid::Access);
        }
        // Normalized paths (the common case) are used in place; only others
        // are copied into a buffer, so the fast path clears no 4 KiB array.
        if normalize::is_normal_path(path) {
            return self.decide_fs_normal(path, access, ctx);
        }
        let mut pb = [0u8; MAX_PATH_LEN];
        let path = try_norm!(normalize::path(path, &mut pb));
        self.decide_fs_normal(path, access, ctx)
    }

    fn decide_fs_normal(&self, path: &str, access: Access, ctx: &Context<'_>) -> Decision {
        // At most MAX_ROOT_BINDINGS bindings, which bounds the quadratic
        // search for a name bound twice below. Then every binding is checked,
        // in order: a name bound twice ("" is `/` and cannot be rebound), then
        // the path; then every root the policy uses must be bound. Bit `i` of
        // `normal` records that binding `i` needs no copy (the limit is 64).
        if ctx.roots.len() > MAX_ROOT_BINDINGS {
            return Decision::invalid(Invalid::TooManyRoots);
        }
        let mut normal = 0u64;
        for (i, (name, bound)) in ctx.roots.iter().enumerate() {
            if name.is_empty() || ctx.roots.iter().take(i).any(|(n, _)| n == name) {
                return Decision::invalid(Invalid::RootDuplicate);
            }
            if normalize::is_normal_path(bound) {
                normal |= 1u64.checked_shl(i as u32).unwrap_or(0);
            } else {
                let mut rb = [0u8; MAX_PATH_LEN];
                if normalize::path(bound, &mut rb).is_err() {
                    return Decision::invalid(Invalid::RootPath);
                }
            }
        }
        if self
            .roots
            .iter()
            .any(|r| !r.name.is_empty() && !ctx.roots.iter().any(|(n, _)| *n == &*r.name))
        {
            return Decision::invalid(Invalid::UnboundRoot);
        }
        // Read and write together are decided as the stricter of the two,
        // write first on a tie (`Decision::strictest`); a deny of the write
        // part settles it.
        let first = if access.contains(Access::WRITE) {
            Access::WRITE
        } else {
            Access::READ
        };
        let d = self.decide_fs_part(path, first, ctx, normal);
        if access != Access::READ_WRITE || d.effect == Effect::Deny {
            return d;
        }
        d.strictest(self.decide_fs_part(path, Access::READ, ctx, normal))
    }

    /// Decides one access, [`Access::READ`] or [`Access::WRITE`], on a path
    /// whose root bindings are checked (bit `i` of `normal`: binding `i` is
    /// already normal).
    fn decide_fs_part(&self, path: &str, part: Access, ctx: &Context<'_>, normal: u64) -> Decision {
        let applies = |_: u32, r: &Rule| match r.cond {
            Condition::Access(a) => a.contains(part),
            _ => false,
        };
        let mut best = Best::default();
        for root in &self.roots {
            if root.name.is_empty() {
                self.probe_under(root, "/", path, &mut best, &applies);
                continue;
            }
            let Some(i) = ctx.roots.iter().position(|(n, _)| *n == &*root.name) else {
                continue; // unreachable: checked above
            };
            let bound = ctx.roots.get(i).map_or("", |(_, b)| *b);
            if normal & 1u64.checked_shl(i as u32).unwrap_or(0) != 0 {
                self.probe_under(root, bound, path, &mut best, &applies);
            } else {
                let mut rb = [0u8; MAX_PATH_LEN];
                if let Ok(p) = normalize::path(bound, &mut rb) {
                    self.probe_under(root, p, path, &mut best, &applies);
                }
            }
        }
        self.finish(best, Surface::Filesystem)
    }

    /// Probes `root`'s tables with `path` relative to the root's bound path.
    fn probe_under(
        &self,
        root: &RootIndex,
        root_path: &str,
        path: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        let rel = if root_path == "/" {
            path.strip_prefix('/')
        } else if path == root_path {
            Some("")
        } else {
            path.strip_prefix(root_path)
                .and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rel) = rel {
            self.probe_root(root, rel, best, applies);
        }
    }

    fn probe_root(
        &self,
        root: &RootIndex,
        rel: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        let last = rel.rsplit('/').next().unwrap_or(rel);
        // One left-to-right pass: before each `/` the rolling hash is that of
        // the ancestor directory ending there; at the end, that of `rel`.
        let mut h = Roll::new();
        self.probe_dir(root, h.value(), "", rel, last, best, applies);
        if rel.is_empty() {
            if let Some(&c) = root.exact.get(h.value(), rel) {
                self.consider(best, c, applies);
            }
            return;
        }
        let mut depth = 0usize;
        for (i, &c) in rel.as_bytes().iter().enumerate() {
            if c == b'/' {
                depth += 1;
                if depth <= root.max_depth {
                    let dir = rel.get(..i).unwrap_or("");
                    self.probe_dir(root, h.value(), dir, rel, last, best, applies);
                }
            }
            h.push(c);
        }
        if let Some(&c) = root.exact.get(h.value(), rel) {
            self.consider(best, c, applies);
        }
        // `rel` itself as a directory: `rel/**` and globs whose `**` matches
        // zero segments.
        if depth < root.max_depth {
            if let Some(dir) = root.dirs.get(h.value(), rel) {
                if let Some(c) = dir.prefix {
                    self.consider(best, c, applies);
                }
                self.probe_globs(dir, rel, best, applies);
            }
        }
    }

    /// Probes the rules keyed by `dir`, a strict ancestor of `rel` (or ""
    /// for the root, when `rel` may be empty).
    #[allow(clippy::too_many_arguments)]
    fn probe_dir(
        &self,
        root: &RootIndex,
        hash: u64,
        dir: &str,
        rel: &str,
        last: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        let Some(d) = root.dirs.get(hash, dir) else {
            return;
        };
        if let Some(c) = d.prefix {
            self.consider(best, c, applies);
        }
        // The root itself ("") is matched by exact and prefix rules only.
        if rel.is_empty() {
            return;
        }
        // `*SUFFIX` keys all start with a dot: probe the suffix of each key
        // length that starts with one, so a segment of many dots costs one
        // probe per key length.
        for &len in &d.extension_lens {
            let Some(start) = last.len().checked_sub(len) else {
                break;
            };
            if last.as_bytes().get(start) == Some(&b'.') {
                if let Some(&c) = d.extension.get(last.get(start..).unwrap_or("")) {
                    self.consider(best, c, applies);
                }
            }
        }
        self.probe_globs(d, rel, best, applies);
    }

    fn probe_globs(
        &self,
        dir: &DirIndex,
        rel: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        for (g, c) in &dir.globs {
            if g.is_match(rel) {
                self.consider(best, *c, applies);
            }
        }
    }

    // -----------------------------------------------------------------------
    // Credentials
    // -----------------------------------------------------------------------

    fn decide_credential(&self, name: &str, host: Option<&str>, ip: Option<&str>) -> Decision {
        let mut nb = [0u8; MAX_NAME_LEN];
        let name = try_norm!(normalize::name(name, &mut nb));
        let mut hb = [0u8; MAX_HOST_LEN];
        let host = try_norm!(host.map(|h| normalize::host(h, &mut hb)).transpose());
        let ip = try_norm!(ip.map(normalize::ip).transpose());
        if host.is_none() && ip.is_none() {
            return self.decide_see(name);
        }
        let (domain, host_ip) = match host {
            Some(Host::Domain(d)) => (Some(d), None),
            Some(Host::Ip(a)) => (None, Some(a)),
            None => (None, None),
        };
        // Sending also needs what seeing needs: the stricter of the two, the
        // send first on a tie; a denied send settles it.
        let send = self.decide_send(name, &Dest::new(domain, [host_ip, ip]));
        if send.effect == Effect::Deny {
            return send;
        }
        send.strictest(self.decide_see(name))
    }

    /// Seeing a secret: rules without `to`, and allow and ask rules with
    /// `to`, apply.
    fn decide_see(&self, name: &str) -> Decision {
        let applies = |_: u32, r: &Rule| match &r.cond {
            Condition::Credential(c) => c.destinations.is_none() || r.effect != Effect::Deny,
            _ => false,
        };
        let mut best = Best::default();
        self.probe_names(&self.credentials, name, &mut best, &applies);
        self.finish(best, Surface::Credential)
    }

    /// The sending part of a credential request (`spec/language.md`
    /// section 9): allow and ask rules whose `to` matches, deny rules
    /// without `to` or whose `to` matches (embedded addresses included). A
    /// send to a local address is granted only by a rule that names the
    /// address, never by the default.
    fn decide_send(&self, name: &str, dest: &Dest<'_>) -> Decision {
        let applies = |ri: u32, r: &Rule| {
            let Condition::Credential(c) = &r.cond else {
                return false;
            };
            match &c.destinations {
                None => r.effect == Effect::Deny,
                Some(d) if r.effect == Effect::Deny => {
                    self.domain_in(ri, d, dest.domain)
                        || dest.ips.iter().flatten().any(|&a| address_in(d, a))
                        || dest.embedded_v4().any(|x| v4_in(d, x))
                }
                Some(d) => {
                    (!dest.local && self.domain_in(ri, d, dest.domain))
                        || dest.ips.iter().flatten().any(|&a| address_in(d, a))
                }
            }
        };
        let mut best = Best::default();
        self.probe_names(&self.credentials, name, &mut best, &applies);
        if dest.local && best.found.is_none() {
            return Decision::default_effect(Effect::Deny);
        }
        self.finish(best, Surface::Credential)
    }

    /// Whether `domain` matches one of the domain patterns of rule `ri`'s
    /// destinations `d`.
    fn domain_in(&self, ri: u32, d: &Destinations, domain: Option<&str>) -> bool {
        let (Some(host), Some(globs)) = (domain, self.dest_globs.get(ri as usize)) else {
            return false;
        };
        d.domains
            .iter()
            .zip(globs)
            .any(|(p, labels)| pattern_matches(p, labels, host))
    }

    fn probe_names(
        &self,
        idx: &NameIndex,
        name: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        if let Some(&c) = idx.exact.get(name) {
            self.consider(best, c, applies);
        }
        let mut h = Roll::new();
        for len in 0..idx.prefix_end.min(name.len() + 1) {
            if has_bit(&idx.prefix_lens, len) {
                if let Some(&c) = idx.prefix.get(h.value(), name.get(..len).unwrap_or("")) {
                    self.consider(best, c, applies);
                }
            }
            if let Some(&b) = name.as_bytes().get(len) {
                h.push(b);
            }
        }
        for (g, c) in &idx.globs {
            if g.is_match(name) {
                self.consider(best, *c, applies);
            }
        }
    }

    // -----------------------------------------------------------------------
    // MCP
    // -----------------------------------------------------------------------

    fn decide_mcp(&self, server: &str, tool: Option<&str>, source: Option<&str>) -> Decision {
        let mut sb = [0u8; MAX_NAME_LEN];
        let server = try_norm!(normalize::name(server, &mut sb));
        let mut tb = [0u8; MAX_NAME_LEN];
        let tool = try_norm!(tool.map(|t| normalize::name(t, &mut tb)).transpose());
        let source = try_norm!(source.map(normalize::source).transpose());
        let approved = self.servers.get(server).and_then(|&i| {
            let s = self.art.mcp.servers.get(i as usize)?;
            let pinned_ok = match &s.source {
                Some(pin) => source == Some(pin.as_str()),
                None => true,
            };
            pinned_ok.then_some(i)
        });
        let Some(si) = approved else {
            return self.finish(Best::default(), Surface::Mcp);
        };
        let Some(s) = self.art.mcp.servers.get(si as usize) else {
            return self.finish(Best::default(), Surface::Mcp);
        };
        match tool {
            None => {
                let effect = self.rule(s.rule).map_or(Effect::Allow, |r| r.effect);
                Decision {
                    effect,
                    rule: Some(s.rule),
                    reason: Reason::Rule,
                    lifetime: None,
                }
            }
            Some(t) => {
                let mut best = Best::default();
                if let Some(idx) = self.tools.get(si as usize) {
                    let applies = |_: u32, r: &Rule| matches!(r.cond, Condition::None);
                    self.probe_names(idx, t, &mut best, &applies);
                }
                self.finish(best, Surface::Mcp)
            }
        }
    }
}

/// The candidate list of the elementary interval containing `x`.
/// Per value of the top [`V4_BUCKET_BITS`] bits, the index of the interval
/// holding the first address with those bits; one more entry at the end.
pub(crate) fn v4_buckets(iv: &[(u32, Candidates)]) -> Vec<u32> {
    (0..=(1u32 << V4_BUCKET_BITS))
        .map(|b| {
            let first = u64::from(b) << (32 - V4_BUCKET_BITS);
            let after = iv.partition_point(|&(s, _)| u64::from(s) <= first);
            u32::try_from(after.saturating_sub(1)).unwrap_or(u32::MAX)
        })
        .collect()
}

/// [`interval`] searching only the intervals of `x`'s bucket: the answer
/// lies between the intervals holding the first address of its bucket and
/// of the next one.
pub(crate) fn bucketed_interval(
    iv: &[(u32, Candidates)],
    buckets: &[u32],
    x: u32,
) -> Option<Candidates> {
    let b = (x >> (32 - V4_BUCKET_BITS)) as usize;
    let lo = buckets.get(b).map_or(0, |&i| i as usize);
    let hi = buckets.get(b + 1).map_or(usize::MAX, |&i| i as usize);
    let slice = iv.get(lo..=hi.min(iv.len().saturating_sub(1)))?;
    interval(slice, x)
}

fn interval<T: Ord + Copy>(iv: &[(T, Candidates)], x: T) -> Option<Candidates> {
    let pp = iv.partition_point(|&(s, _)| s <= x);
    pp.checked_sub(1).and_then(|i| iv.get(i)).map(|&(_, c)| c)
}

/// A send's destination: the domain, the addresses (the host when it is an
/// IP literal, and the `ip` field), the IPv4 addresses they embed, and
/// whether any of those is local.
struct Dest<'a> {
    domain: Option<&'a str>,
    ips: [Option<IpAddr>; 2],
    embedded: [addr::Embedded; 2],
    local: bool,
}

impl<'a> Dest<'a> {
    fn new(domain: Option<&'a str>, ips: [Option<IpAddr>; 2]) -> Dest<'a> {
        let embedded = ips.map(|a| match a {
            Some(IpAddr::V6(v6)) => addr::embedded_v4(v6),
            _ => addr::Embedded::default(),
        });
        let mut dest = Dest {
            domain,
            ips,
            embedded,
            local: false,
        };
        dest.local = ips.iter().flatten().any(|&a| addr::is_local(a))
            || dest
                .embedded_v4()
                .any(|x| addr::is_local(IpAddr::V4(x.into())));
        dest
    }

    /// The IPv4 addresses embedded in the destination's IPv6 addresses.
    fn embedded_v4(&self) -> impl Iterator<Item = u32> + '_ {
        self.embedded
            .iter()
            .flat_map(|e| e.as_slice().iter().copied())
    }
}

/// Whether an address range of `d` holds `a`.
fn address_in(d: &Destinations, a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v4_in(d, u32::from(v)),
        IpAddr::V6(v) => {
            let x = u128::from(v);
            d.v6.iter().any(|&(lo, hi)| lo <= x && x <= hi)
        }
    }
}

fn v4_in(d: &Destinations, x: u32) -> bool {
    d.v4.iter().any(|&(lo, hi)| lo <= x && x <= hi)
}

/// Whether `labels` match the rightmost labels of `rem` (a dotted remainder,
/// "" for none); extra labels on the left only when `any_depth`.
pub(crate) fn labels_match(labels: &[Glob], any_depth: bool, rem: &str) -> bool {
    let mut parts = rem.rsplit('.').filter(|l| !l.is_empty());
    for g in labels.iter().rev() {
        match parts.next() {
            Some(l) if g.is_match(l) => {}
            _ => return false,
        }
    }
    any_depth || parts.next().is_none()
}

/// Whether a normalized domain matches a destination pattern.
pub(crate) fn pattern_matches(p: &DomainPattern, labels: &[Glob], host: &str) -> bool {
    let rem = if p.anchor.is_empty() {
        Some(host)
    } else if host == p.anchor {
        Some("")
    } else {
        host.strip_suffix(p.anchor.as_str())
            .and_then(|r| r.strip_suffix('.'))
    };
    rem.is_some_and(|rem| labels_match(labels, p.any_depth, rem))
}

#[cfg(test)]
mod bucket_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bucketed_search_equals_plain_search(
            mut starts in prop::collection::vec(any::<u32>(), 0..300),
            near in prop::collection::vec(any::<u32>(), 1..64),
            probes in prop::collection::vec(any::<u32>(), 1..64),
        ) {
            // Intervals start at 0 and ascend; probes land near and on bounds.
            starts.push(0);
            starts.sort_unstable();
            starts.dedup();
            let iv: Vec<(u32, Candidates)> = starts.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();
            let buckets = v4_buckets(&iv);
            let mut xs = probes;
            for (k, n) in near.iter().enumerate() {
                if let Some(&(s, _)) = iv.get(*n as usize % iv.len()) {
                    xs.extend([s, s.wrapping_sub(1), s.wrapping_add(1), s.wrapping_add(k as u32)]);
                }
            }
            xs.extend([0, u32::MAX, 1 << 20, (1 << 20) - 1]);
            for x in xs {
                prop_assert_eq!(bucketed_interval(&iv, &buckets, x), interval(&iv, x), "x = {}", x);
            }
        }
    }
}
