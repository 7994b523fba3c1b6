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

use crate::decision::{Context, Decision, Invalid, Reason, Request};
use crate::glob::Glob;
use crate::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN};
use crate::model::{
    Access, Candidates, Condition, Destinations, DomainPattern, Effect, Rule, Surface,
};
use crate::normalize::{self, Host};
use crate::policy::{DirIndex, NameIndex, Policy, RootIndex};

/// The best (effect, rule index) found so far.
#[derive(Default)]
struct Best(Option<(Effect, u32)>);

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
            let Some(rule) = self.art.rules.get(ri as usize) else {
                continue;
            };
            let key = (rule.effect, ri);
            if best.0.is_some_and(|b| key >= b) {
                return;
            }
            if applies(ri, rule) {
                best.0 = Some(key);
                return;
            }
        }
    }

    fn finish(&self, best: Best, surface: Surface) -> Decision {
        let Some((effect, ri)) = best.0 else {
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
        let applies = |_: u32, r: &Rule| match &r.cond {
            Condition::None => true,
            Condition::Ports(ranges) => match port {
                Some(p) => ranges.iter().any(|&(a, b)| a <= p && p <= b),
                None => r.effect == Effect::Deny,
            },
            _ => false,
        };
        let mut best = Best::default();
        match host {
            Some(Host::Domain(d)) => self.probe_domains(d, &mut best, &applies),
            Some(Host::Ip(a)) => self.probe_ip(a, &mut best, &applies),
            None => {}
        }
        if let Some(a) = ip {
            self.probe_ip(a, &mut best, &applies);
        }
        self.finish(best, Surface::Network)
    }

    fn probe_domains(&self, host: &str, best: &mut Best, applies: &dyn Fn(u32, &Rule) -> bool) {
        let mut labels = host.bytes().filter(|&b| b == b'.').count() + 1;
        let mut start = 0usize;
        loop {
            let anchor = host.get(start..).unwrap_or("");
            if self.anchor_shapes.may_have(anchor.len(), labels) {
                let rem = match start {
                    0 => "",
                    s => host.get(..s - 1).unwrap_or(""),
                };
                self.probe_anchor(anchor, rem, best, applies);
            }
            match anchor.find('.') {
                Some(p) => start += p + 1,
                None => break,
            }
            labels -= 1;
        }
        if self.anchor_shapes.may_have(0, 0) {
            self.probe_anchor("", host, best, applies);
        }
    }

    fn probe_anchor(
        &self,
        anchor: &str,
        rem: &str,
        best: &mut Best,
        applies: &dyn Fn(u32, &Rule) -> bool,
    ) {
        let Some(&i) = self.domains.get(anchor) else {
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
            IpAddr::V4(a) => interval(&self.art.network.v4, u32::from(a)),
            IpAddr::V6(a) => interval(&self.art.network.v6, u128::from(a)),
        };
        if let Some(list) = list {
            self.consider(best, list, applies);
        }
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
        // Every binding is checked, in order: a name bound twice ("" is `/`
        // and cannot be rebound), then the path; then every root the policy
        // uses must be bound.
        for (i, (name, bound)) in ctx.roots.iter().enumerate() {
            if name.is_empty() || ctx.roots.iter().take(i).any(|(n, _)| n == name) {
                return Decision::invalid(Invalid::RootDuplicate);
            }
            if !normalize::is_normal_path(bound) {
                let mut rb = [0u8; MAX_PATH_LEN];
                if normalize::path(bound, &mut rb).is_err() {
                    return Decision::invalid(Invalid::RootPath);
                }
            }
        }
        for root in &self.roots {
            if !root.name.is_empty() && !ctx.roots.iter().any(|(n, _)| *n == &*root.name) {
                return Decision::invalid(Invalid::UnboundRoot);
            }
        }
        let applies = |_: u32, r: &Rule| match r.cond {
            Condition::Access(a) if r.effect == Effect::Deny => a.0 & access.0 != 0,
            Condition::Access(a) => a.contains(access),
            _ => false,
        };
        let mut best = Best::default();
        for root in &self.roots {
            if root.name.is_empty() {
                self.probe_under(root, "/", path, &mut best, &applies);
                continue;
            }
            let Some((_, bound)) = ctx.roots.iter().find(|(n, _)| *n == &*root.name) else {
                return Decision::invalid(Invalid::UnboundRoot);
            };
            if normalize::is_normal_path(bound) {
                self.probe_under(root, bound, path, &mut best, &applies);
            } else {
                let mut rb = [0u8; MAX_PATH_LEN];
                match normalize::path(bound, &mut rb) {
                    Ok(p) => self.probe_under(root, p, path, &mut best, &applies),
                    Err(_) => return Decision::invalid(Invalid::RootPath),
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
        if let Some(&c) = root.exact.get(rel) {
            self.consider(best, c, applies);
        }
        let last = rel.rsplit('/').next().unwrap_or(rel);
        // Every ancestor of `rel` ("" and each prefix ending before a `/`),
        // no deeper than the deepest key, then `rel` itself.
        let slashes = rel.match_indices('/').map(|(i, _)| i);
        for (depth, end) in std::iter::once(0).chain(slashes).enumerate() {
            if depth > root.max_depth {
                return;
            }
            let Some(dir) = root.dirs.get(rel.get(..end).unwrap_or("")) else {
                continue;
            };
            if let Some(c) = dir.prefix {
                self.consider(best, c, applies);
            }
            // The root itself ("") is matched by exact and prefix rules only.
            if rel.is_empty() {
                return;
            }
            if !dir.extension.is_empty() {
                for (dot, _) in last.match_indices('.') {
                    if let Some(&c) = dir.extension.get(last.get(dot..).unwrap_or("")) {
                        self.consider(best, c, applies);
                    }
                }
            }
            self.probe_globs(dir, rel, best, applies);
        }
        if !rel.is_empty() && rel.matches('/').count() < root.max_depth {
            if let Some(dir) = root.dirs.get(rel) {
                if let Some(c) = dir.prefix {
                    self.consider(best, c, applies);
                }
                self.probe_globs(dir, rel, best, applies);
            }
        }
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
        let send = host.is_some() || ip.is_some();
        let (domain, host_ip) = match host {
            Some(Host::Domain(d)) => (Some(d), None),
            Some(Host::Ip(a)) => (None, Some(a)),
            None => (None, None),
        };
        let applies = |ri: u32, r: &Rule| {
            let Condition::Credential(c) = &r.cond else {
                return false;
            };
            match (&c.destinations, send) {
                (None, false) => true,
                (Some(_), false) => r.effect != Effect::Deny,
                (None, true) => r.effect == Effect::Deny,
                (Some(d), true) => self.destination_matches(ri, d, domain, host_ip, ip),
            }
        };
        let mut best = Best::default();
        self.probe_names(&self.credentials, name, &mut best, &applies);
        self.finish(best, Surface::Credential)
    }

    fn destination_matches(
        &self,
        ri: u32,
        d: &Destinations,
        domain: Option<&str>,
        ip_a: Option<IpAddr>,
        ip_b: Option<IpAddr>,
    ) -> bool {
        if let (Some(host), Some(globs)) = (domain, self.dest_globs.get(ri as usize)) {
            let hit = d
                .domains
                .iter()
                .zip(globs)
                .any(|(p, labels)| pattern_matches(p, labels, host));
            if hit {
                return true;
            }
        }
        [ip_a, ip_b].into_iter().flatten().any(|a| match a {
            IpAddr::V4(v) => {
                let x = u32::from(v);
                d.v4.iter().any(|&(lo, hi)| lo <= x && x <= hi)
            }
            IpAddr::V6(v) => {
                let x = u128::from(v);
                d.v6.iter().any(|&(lo, hi)| lo <= x && x <= hi)
            }
        })
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
        for &len in &idx.prefix_lens {
            let Some(head) = name.get(..len) else {
                break;
            };
            if let Some(&c) = idx.prefix.get(head) {
                self.consider(best, c, applies);
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
fn interval<T: Ord + Copy>(iv: &[(T, Candidates)], x: T) -> Option<Candidates> {
    let pp = iv.partition_point(|&(s, _)| s <= x);
    pp.checked_sub(1).and_then(|i| iv.get(i)).map(|&(_, c)| c)
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
