//! The reference interpreter: the semantics of `spec/language.md` as a plain
//! loop over the rules of a [`CheckedPolicy`].
//!
//! It shares only request normalization with the runtime
//! (`policy_eval::normalize`); matching is written independently here, on
//! `globset` and `ipnet`, so property tests comparing it with the compiled
//! tables check the tables, not a copy of themselves. It is slow on purpose:
//! clarity over speed. [`crate::explain`] uses it to list every matching rule.

use std::collections::HashMap;
use std::net::IpAddr;

use globset::{GlobBuilder, GlobMatcher};
use ipnet::IpNet;
use policy_eval::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN, MAX_ROOT_BINDINGS};
use policy_eval::normalize::{self, Host};
use policy_eval::pin::parse_digest;
use policy_eval::{Context, Decision, Invalid, Reason, Request};

use crate::model::{
    Access, ArgConstraint, ArgTest, ArgValue, CheckedPolicy, DomainPattern, Effect, McpKind,
    NetTarget, PathPattern, RuleDef, RuleKind,
};
use crate::sets;

/// A rule whose pattern matched the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Rule index.
    pub rule: usize,
    /// Why the rule does not apply although a pattern matched, if so.
    pub not_applied: Option<&'static str>,
}

/// One part of a request, decided on its own (`spec/language.md` section 6):
/// a read+write request has a write and a read part, a send a sending and a
/// seeing part; every other request is one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    Read,
    Write,
    See,
    Send,
    /// The HTTP part of a network request with method and path.
    Http,
}

/// The parts of `req` in tie-break order: the first part with the strictest
/// decision decides.
fn parts(req: &Request<'_>) -> &'static [Part] {
    match *req {
        Request::Filesystem { access, .. } if access == Access::READ_WRITE => {
            &[Part::Write, Part::Read]
        }
        Request::Filesystem { access, .. } if access == Access::WRITE => &[Part::Write],
        Request::Filesystem { .. } => &[Part::Read],
        Request::Credential { host, ip, .. } if host.is_some() || ip.is_some() => {
            &[Part::Send, Part::See]
        }
        Request::Credential { .. } => &[Part::See],
        Request::Network { http: Some(_), .. } => &[Part::Whole, Part::Http],
        _ => &[Part::Whole],
    }
}

/// Every rule whose pattern matches the request, in source order, or the
/// reason the request is invalid. For a request of several parts a rule is
/// listed once, applied when it applies to any part.
pub fn matches(
    policy: &CheckedPolicy,
    req: &Request<'_>,
    ctx: &Context<'_>,
) -> Result<Vec<Match>, Invalid> {
    let mut all: Vec<Match> = Vec::new();
    for &part in parts(req) {
        for m in part_matches(policy, req, ctx, part, None)?.0 {
            match all.iter_mut().find(|a| a.rule == m.rule) {
                Some(a) if m.not_applied.is_none() => a.not_applied = None,
                Some(_) => {}
                None => all.push(m),
            }
        }
    }
    all.sort_by_key(|m| m.rule);
    Ok(all)
}

/// The rules matching one part of a request (among the rules `scope`
/// lists, every rule when `None`), and whether the part's default is
/// replaced by deny (a send to a local address).
fn part_matches(
    policy: &CheckedPolicy,
    req: &Request<'_>,
    ctx: &Context<'_>,
    part: Part,
    scope: Option<&Scope<'_>>,
) -> Result<(Vec<Match>, bool), Invalid> {
    match *req {
        Request::Network {
            host,
            ip,
            port,
            http,
        } => {
            let dest = Destination::new(host, ip, true)?;
            let port = port.map(normalize::port).transpose()?;
            let http = match http {
                Some(h) => Some((
                    normalize::http_method(h.method)?,
                    normalize::http_path(h.path)?,
                )),
                None => None,
            };
            if part == Part::Http {
                let (Some((method, path)), Some(domain)) = (http, dest.domain.as_deref()) else {
                    return Ok((Vec::new(), false));
                };
                let blocks = covering_blocks(policy, domain);
                let relative = path.strip_prefix('/').unwrap_or(path);
                let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                    RuleKind::Http {
                        block,
                        methods,
                        paths,
                    } if blocks.contains(block)
                        && paths.iter().any(|g| relative_matches(g, relative)) =>
                    {
                        Some(
                            (!methods.contains(method))
                                .then_some("the rule's methods do not cover the request's method"),
                        )
                    }
                    _ => None,
                });
                return Ok((found, false));
            }
            let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                RuleKind::Network { targets, ports } => match (dest.hits(targets), ports, port) {
                    (Hit::None, _, _) => None,
                    (Hit::Embedded, _, _) if r.effect == Effect::Allow => {
                        Some(Some(EMBEDDED_ONLY_RESTRICTS))
                    }
                    (_, None, _) => Some(None),
                    (_, Some(ranges), Some(p))
                        if ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&p)) =>
                    {
                        Some(None)
                    }
                    (_, Some(_), Some(_)) => Some(Some("port not in the rule's port list")),
                    (_, Some(_), None) if r.effect != Effect::Allow => Some(None),
                    (_, Some(_), None) => {
                        Some(Some("request has no port and the rule lists ports"))
                    }
                },
                _ => None,
            });
            Ok((found, false))
        }
        Request::Filesystem { path, access } => {
            if !Access::ALL.contains(&access) {
                return Err(Invalid::Access);
            }
            let mut buf = [0u8; MAX_PATH_LEN];
            let path = normalize::path(path, &mut buf)?.to_string();
            let roots = bind_roots(policy, ctx)?;
            let bit = if part == Part::Write { 2 } else { 1 };
            let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                RuleKind::Filesystem {
                    access: scope,
                    paths,
                } if paths.iter().any(|p| path_matches(p, &path, &roots)) => {
                    Some((scope.0 & bit == 0).then_some(if bit == 2 {
                        "the rule's access scope does not cover write"
                    } else {
                        "the rule's access scope does not cover read"
                    }))
                }
                _ => None,
            });
            Ok((found, false))
        }
        Request::Credential { name, host, ip } => {
            let mut buf = [0u8; MAX_NAME_LEN];
            let name = normalize::name(name, &mut buf)?.to_string();
            let dest = if host.is_some() || ip.is_some() {
                Some(Destination::new(host, ip, false)?)
            } else {
                None
            };
            let send = part == Part::Send;
            let local = send && dest.as_ref().is_some_and(Destination::reaches_local);
            let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                RuleKind::Credential {
                    names,
                    destinations,
                    ..
                } if names.iter().any(|n| name_matches(n, &name)) => {
                    let deny = r.effect == Effect::Deny;
                    Some(match (send, &dest, destinations) {
                        (false, _, Some(_)) if deny => {
                            Some("a deny with `to` only forbids sending to its destinations")
                        }
                        (false, _, _) => None,
                        (true, _, None) if deny => None,
                        (true, _, None) => {
                            Some("the rule has no `to` list, so it grants no destination")
                        }
                        (true, Some(d), Some(to)) => match d.hits(to) {
                            Hit::None => Some("destination not in the rule's `to` list"),
                            _ if deny => None,
                            Hit::Embedded => Some(EMBEDDED_ONLY_RESTRICTS),
                            Hit::Domain if local => Some(
                                "the destination address is local (loopback, link-local \
                                 or metadata): only a rule naming the address grants it",
                            ),
                            Hit::Domain | Hit::Address => None,
                        },
                        (true, None, Some(_)) => Some("no destination"),
                    })
                }
                _ => None,
            });
            Ok((found, local))
        }
        Request::Mcp {
            server,
            tool,
            source,
            arguments,
            definition,
            resource,
            prompt,
        } => {
            let kinds = [tool.is_some(), resource.is_some(), prompt.is_some()];
            if kinds.iter().filter(|&&k| k).count() > 1 {
                return Err(Invalid::McpTarget);
            }
            let mut sbuf = [0u8; MAX_NAME_LEN];
            let server = normalize::name(server, &mut sbuf)?.to_string();
            let mut tbuf = [0u8; MAX_NAME_LEN];
            let tool = tool
                .map(|t| normalize::name(t, &mut tbuf))
                .transpose()?
                .map(str::to_string);
            let resource = resource.map(normalize::resource_uri).transpose()?;
            let mut pbuf = [0u8; MAX_NAME_LEN];
            let prompt = prompt.map(|p| normalize::name(p, &mut pbuf)).transpose()?;
            let source = source.map(normalize::source).transpose()?;
            match arguments {
                Some(_) if tool.is_none() => return Err(Invalid::ArgumentsWithoutTool),
                Some(a) if !a.is_object() => return Err(Invalid::ArgumentsNotObject),
                _ => {}
            }
            let definition = match definition {
                Some(_) if tool.is_none() => return Err(Invalid::DefinitionWithoutTool),
                Some(d) => Some(parse_digest(d).ok_or(Invalid::DefinitionDigest)?),
                None => None,
            };
            let fits = |s: &crate::model::ServerDef| {
                s.name == server && (s.source.is_none() || s.source.as_deref() == source)
            };
            let found = match scope {
                Some(sc) => sc
                    .servers
                    .get(&server)
                    .into_iter()
                    .flatten()
                    .filter_map(|&i| policy.servers.get(i).map(|s| (i, s)))
                    .find(|(_, s)| fits(s)),
                None => policy.servers.iter().enumerate().find(|(_, s)| fits(s)),
            };
            let Some((index, def)) = found else {
                return Ok((Vec::new(), false));
            };
            // A resource read or prompt get: the rules of that kind naming
            // it, by precedence, as for tools.
            let other = match (resource, prompt) {
                (Some(r), _) => Some((McpKind::Resource, r)),
                (_, Some(p)) => Some((McpKind::Prompt, p)),
                _ => None,
            };
            if let Some((want, subject)) = other {
                let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                    RuleKind::Tool {
                        server,
                        kind,
                        tools,
                        ..
                    } if *server == index
                        && *kind == want
                        && tools.iter().any(|t| name_matches(t, subject)) =>
                    {
                        Some(None)
                    }
                    _ => None,
                });
                return Ok((found, false));
            }
            let Some(tool) = tool else {
                return Ok((
                    vec![Match {
                        rule: def.rule,
                        not_applied: None,
                    }],
                    false,
                ));
            };
            // A pinned tool of another (or an unknown) definition is an
            // unapproved tool: its allow and ask rules do not apply.
            let unpinned = scope_rules(policy, scope.map(|sc| sc.rules)).any(|r| match &r.kind {
                RuleKind::Tool {
                    server,
                    kind: McpKind::Tool,
                    tools,
                    pins,
                    ..
                } => {
                    *server == index
                        && !pins.is_empty()
                        && tools.contains(&tool)
                        && !definition.is_some_and(|d| pins.contains(&d))
                }
                _ => false,
            });
            let found = matching(policy, scope.map(|sc| sc.rules), |r| match &r.kind {
                RuleKind::Tool {
                    server,
                    kind: McpKind::Tool,
                    tools,
                    args,
                    ..
                } if *server == index && tools.iter().any(|t| name_matches(t, &tool)) => {
                    if unpinned && r.effect != Effect::Deny {
                        return Some(Some("the tool's definition is not one its pin approves"));
                    }
                    Some(args_unmet(policy, ctx, r.effect, args, arguments))
                }
                _ => None,
            });
            Ok((found, false))
        }
    }
}

/// The rules whose pattern matches, in source order, among `among` (every
/// rule when `None`; ascending indices): `hit` gives `None` when no pattern
/// of the rule matches, else why the rule does not apply (`Some(None)`: it
/// applies).
fn matching(
    policy: &CheckedPolicy,
    among: Option<&[usize]>,
    hit: impl Fn(&RuleDef) -> Option<Option<&'static str>>,
) -> Vec<Match> {
    let test = |rule: usize| {
        let r = policy.rules.get(rule)?;
        hit(r).map(|not_applied| Match { rule, not_applied })
    };
    match among {
        Some(list) => list.iter().filter_map(|&i| test(i)).collect(),
        None => (0..policy.rules.len()).filter_map(test).collect(),
    }
}

/// The rules [`part_outcomes`] decides over, and the server definitions
/// by name (so a lookup does not walk them all).
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Rule indices, ascending: every rule that may match the request.
    pub rules: &'a [usize],
    /// Server name -> indices of its definitions, ascending.
    pub servers: &'a HashMap<String, Vec<usize>>,
}

/// Server name -> indices of its definitions in `policy`, ascending.
pub fn servers_by_name(policy: &CheckedPolicy) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, s) in policy.servers.iter().enumerate() {
        out.entry(s.name.clone()).or_default().push(i);
    }
    out
}

/// The rules `among` lists, every rule when `None`.
fn scope_rules<'p>(
    policy: &'p CheckedPolicy,
    among: Option<&'p [usize]>,
) -> Box<dyn Iterator<Item = &'p RuleDef> + 'p> {
    match among {
        Some(list) => Box::new(list.iter().filter_map(|&i| policy.rules.get(i))),
        None => Box::new(policy.rules.iter()),
    }
}

/// One part of a request as [`part_outcomes`] decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartOutcome {
    /// The rules that apply to the part, ascending.
    pub applied: Vec<usize>,
    /// The part's decision.
    pub decision: Decision,
    /// The part's decision without its deciding rule (the same as
    /// `decision` when the default decided).
    pub without: Decision,
}

/// Each part of `req` in tie-break order, decided over the rules of
/// `scope` (they must hold every rule that may match `req`): the rules that
/// apply, the decision, and the decision if the deciding rule were
/// removed. The shadowed and redundant lints are built on it.
pub fn part_outcomes(
    policy: &CheckedPolicy,
    req: &Request<'_>,
    ctx: &Context<'_>,
    scope: &Scope<'_>,
) -> Result<Vec<PartOutcome>, Invalid> {
    let mut out = Vec::new();
    for &part in parts(req) {
        if part == Part::Http {
            continue;
        }
        let (found, local) = part_matches(policy, req, ctx, part, Some(scope))?;
        let decision = decide_part(policy, req, &found, local);
        let rest: Vec<Match> = found
            .iter()
            .copied()
            .filter(|m| decision.rule.is_none_or(|w| m.rule != w as usize))
            .collect();
        let without = decide_part(policy, req, &rest, local);
        out.push(PartOutcome {
            applied: found
                .iter()
                .filter(|m| m.not_applied.is_none())
                .map(|m| m.rule)
                .collect(),
            decision,
            without,
        });
    }
    Ok(out)
}

const EMBEDDED_ONLY_RESTRICTS: &str =
    "matched only an IPv4 address embedded in the IPv6 address, which can deny or ask, not allow";

/// A stack's decision by `spec/layers.md`: every layer decides alone, a
/// layer whose `pass` default decided every part of the request making no
/// decision; the enforced decision is the strictest of the enforcing layers'
/// ([`policy_eval::strictness`]), the first from the top on a tie; the
/// would-be decision is the same over every layer, returned when audit
/// layers make it stricter. Layers are `(policy, audit)`, top first; the
/// result is `(decision, deciding layer, would-be decision and layer)`.
pub fn decide_stack(
    layers: &[(&CheckedPolicy, bool)],
    req: &Request<'_>,
    ctx: &Context<'_>,
) -> (Decision, usize, Option<(Decision, usize)>) {
    let decisions: Vec<Decision> = layers.iter().map(|(p, _)| decide(p, req, ctx)).collect();
    // A layer whose `pass` default decided every part of the request makes
    // no decision.
    let passes = |p: &CheckedPolicy, d: &Decision| {
        let falls = |r: &Request<'_>| decide(p, r, ctx).reason == Reason::Default;
        d.reason == Reason::Default
            && p.passes[req.surface() as usize]
            && match *req {
                Request::Filesystem { path, access }
                    if access == policy_eval::Access::READ_WRITE =>
                {
                    falls(&Request::Filesystem {
                        path,
                        access: policy_eval::Access::READ,
                    }) && falls(&Request::Filesystem {
                        path,
                        access: policy_eval::Access::WRITE,
                    })
                }
                Request::Credential { name, host, ip } if host.is_some() || ip.is_some() => {
                    falls(&Request::Credential {
                        name,
                        host: None,
                        ip: None,
                    })
                }
                _ => true,
            }
    };
    let voting: Vec<bool> = layers
        .iter()
        .zip(&decisions)
        .map(|((p, _), d)| !passes(p, d))
        .collect();
    let rank = |d: &Decision| policy_eval::strictness(d.effect, d.lifetime);
    let strictest = |among: &dyn Fn(usize) -> bool| {
        let mut best: Option<usize> = None;
        for i in (0..decisions.len()).filter(|&i| among(i)) {
            if best.is_none_or(|b| rank(&decisions[i]) < rank(&decisions[b])) {
                best = Some(i);
            }
        }
        best
    };
    let Some(e) = strictest(&|i| voting[i] && !layers[i].1) else {
        let first = layers.iter().position(|(_, audit)| !audit).unwrap_or(0);
        return (Decision::default_effect(Effect::Deny), first, None);
    };
    let would = strictest(&|i| voting[i])
        .filter(|&w| rank(&decisions[w]) != rank(&decisions[e]))
        .map(|w| (decisions[w], w));
    (decisions[e], e, would)
}

/// Decides a request by the semantics in `spec/language.md`: each part by
/// precedence over the rules that apply to it, then the strictest part, the
/// first listed on a tie.
pub fn decide(policy: &CheckedPolicy, req: &Request<'_>, ctx: &Context<'_>) -> Decision {
    if let Request::Network { http: Some(_), .. } = req {
        return decide_http(policy, req, ctx);
    }
    let mut out: Option<Decision> = None;
    for &part in parts(req) {
        let d = match part_matches(policy, req, ctx, part, None) {
            Ok((found, local)) => decide_part(policy, req, &found, local),
            Err(why) => return Decision::invalid(why),
        };
        out = Some(match out {
            Some(prev) if d.effect >= prev.effect => prev,
            _ => d,
        });
    }
    out.unwrap_or_else(|| Decision::default_effect(policy.defaults[req.surface() as usize]))
}

/// A network request with method and path (`spec/language.md` section 7,
/// "HTTP rules"): the connection is decided as without them; a deny stands
/// (network denies are the floor). A host covered by `http` blocks is then
/// decided by the best HTTP rule of those blocks, or denied by the own rule
/// of the first covering block when none matches; the stricter of the two
/// decisions wins, the HTTP one on a tie.
fn decide_http(policy: &CheckedPolicy, req: &Request<'_>, ctx: &Context<'_>) -> Decision {
    let conn = match part_matches(policy, req, ctx, Part::Whole, None) {
        Ok((found, local)) => decide_part(policy, req, &found, local),
        Err(why) => return Decision::invalid(why),
    };
    if conn.effect == Effect::Deny {
        return conn;
    }
    let domain = match *req {
        Request::Network { host, ip, .. } => match Destination::new(host, ip, true) {
            Ok(Destination {
                domain: Some(d), ..
            }) => d,
            _ => return conn,
        },
        _ => return conn,
    };
    let Some(&first) = covering_blocks(policy, &domain).first() else {
        return conn;
    };
    let found = match part_matches(policy, req, ctx, Part::Http, None) {
        Ok((found, _)) => found,
        Err(why) => return Decision::invalid(why),
    };
    let best = found
        .iter()
        .filter(|m| m.not_applied.is_none())
        .filter_map(|m| policy.rules.get(m.rule).map(|r| (r.effect, m.rule)))
        .min();
    let (effect, rule) = match (best, policy.http.get(first)) {
        (Some(best), _) => best,
        (None, Some(block)) => (Effect::Deny, block.rule),
        (None, None) => return conn,
    };
    let part = Decision {
        effect,
        rule: u32::try_from(rule).ok(),
        reason: Reason::Rule,
        lifetime: None,
    };
    if conn.effect < part.effect {
        conn
    } else {
        part
    }
}

/// The `http` blocks with a host pattern matching `domain`, in source order.
fn covering_blocks(policy: &CheckedPolicy, domain: &str) -> Vec<usize> {
    policy
        .http
        .iter()
        .enumerate()
        .filter(|(_, b)| b.hosts.iter().any(|p| domain_matches(p, domain)))
        .map(|(i, _)| i)
        .collect()
}

fn decide_part(
    policy: &CheckedPolicy,
    req: &Request<'_>,
    found: &[Match],
    default_deny: bool,
) -> Decision {
    let best = found
        .iter()
        .filter(|m| m.not_applied.is_none())
        .filter_map(|m| policy.rules.get(m.rule).map(|r| (r.effect, m.rule)))
        .min();
    match best {
        Some((effect, rule)) => {
            let lifetime = match policy.rules.get(rule).map(|r| &r.kind) {
                Some(RuleKind::Credential { lifetime, .. }) if effect != Effect::Deny => {
                    Some(*lifetime)
                }
                _ => None,
            };
            Decision {
                effect,
                rule: u32::try_from(rule).ok(),
                reason: Reason::Rule,
                lifetime,
            }
        }
        None if default_deny => Decision::default_effect(Effect::Deny),
        None => Decision::default_effect(policy.defaults[req.surface() as usize]),
    }
}

/// How a destination matched a target list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Hit {
    /// No target matched.
    None,
    /// Only an IPv4 address embedded in an IPv6 address matched.
    Embedded,
    /// A domain pattern matched (and no address range).
    Domain,
    /// An address range holds an address of the request.
    Address,
}

/// A normalized network destination: a domain and/or addresses, and the
/// IPv4 addresses those embed.
struct Destination {
    domain: Option<String>,
    ips: Vec<IpAddr>,
    embedded: Vec<IpAddr>,
}

impl Destination {
    fn new(host: Option<&str>, ip: Option<&str>, network: bool) -> Result<Destination, Invalid> {
        if network && host.is_none() && ip.is_none() {
            return Err(Invalid::NetworkTarget);
        }
        let mut dest = Destination {
            domain: None,
            ips: Vec::new(),
            embedded: Vec::new(),
        };
        if let Some(h) = host {
            let mut buf = [0u8; MAX_HOST_LEN];
            match normalize::host(h, &mut buf)? {
                Host::Domain(d) => dest.domain = Some(d.to_string()),
                Host::Ip(a) => dest.ips.push(a),
            }
        }
        if let Some(a) = ip {
            dest.ips.push(normalize::ip(a)?);
        }
        for a in &dest.ips {
            if let IpAddr::V6(v6) = a {
                dest.embedded
                    .extend(policy_eval::addr::embedded_v4(*v6).iter().map(IpAddr::V4));
            }
        }
        Ok(dest)
    }

    /// The strongest way any target matches.
    fn hits(&self, targets: &[NetTarget]) -> Hit {
        targets
            .iter()
            .map(|t| match t {
                NetTarget::Domain(p) => {
                    if self.domain.as_deref().is_some_and(|d| domain_matches(p, d)) {
                        Hit::Domain
                    } else {
                        Hit::None
                    }
                }
                NetTarget::Net(n) => {
                    if self.ips.iter().any(|a| n.contains(a)) {
                        Hit::Address
                    } else if self.embedded.iter().any(|a| n.contains(a)) {
                        Hit::Embedded
                    } else {
                        Hit::None
                    }
                }
            })
            .max()
            .unwrap_or(Hit::None)
    }

    /// Whether an address of the destination, or one it embeds, lies in
    /// `@loopback`, `@link-local` or `@metadata`.
    fn reaches_local(&self) -> bool {
        let local: Vec<IpNet> = ["loopback", "link-local", "metadata"]
            .iter()
            .flat_map(|s| sets::members(s).unwrap_or_default())
            .filter_map(|m| m.parse::<IpNet>().ok())
            .collect();
        self.ips
            .iter()
            .chain(&self.embedded)
            .any(|a| local.iter().any(|n| n.contains(a)))
    }
}

/// Whether a normalized domain matches a pattern: label by label from the
/// right; `**` lets any number of labels (zero included) stand on the left.
pub fn domain_matches(p: &DomainPattern, host: &str) -> bool {
    // The anchor's labels must end the host (a cheap test first).
    if !host.ends_with(p.anchor.as_str()) {
        return false;
    }
    let host: Vec<&str> = host.split('.').collect();
    let mut pat: Vec<&str> = p.prefix.iter().map(String::as_str).collect();
    if !p.anchor.is_empty() {
        pat.extend(p.anchor.split('.'));
    }
    if host.len() < pat.len() || (!p.any_depth && host.len() != pat.len()) {
        return false;
    }
    let tail = &host[host.len() - pat.len()..];
    pat.iter()
        .zip(tail)
        .all(|(p, h)| *p == "*" || p == h || (p.contains(GLOB_CHARS) && glob_matches(p, h)))
}

thread_local! {
    /// Compiled globs, by literal separator then pattern: the interpreter
    /// stays a plain loop, but a policy of thousands of rules does not
    /// recompile every glob for every request (`polc diff` checks its
    /// witnesses with it). Cleared when it grows past [`GLOB_MEMO`].
    static GLOBS: std::cell::RefCell<[std::collections::HashMap<String, Option<GlobMatcher>>; 2]> =
        std::cell::RefCell::new([std::collections::HashMap::new(), std::collections::HashMap::new()]);
}

/// The characters that make a label or name a glob rather than a literal.
const GLOB_CHARS: [char; 5] = ['*', '?', '[', '{', '\\'];

/// Entries of the glob memo before it is cleared.
const GLOB_MEMO: usize = 100_000;

/// Whether `text` matches the glob `pattern` (globset, backslash escapes;
/// `*` and `?` stop at `/` when `separator`).
fn glob_is_match(pattern: &str, separator: bool, text: &str) -> bool {
    GLOBS.with(|m| {
        let mut m = m.borrow_mut();
        let m = &mut m[usize::from(separator)];
        if let Some(g) = m.get(pattern) {
            return g.as_ref().is_some_and(|g| g.is_match(text));
        }
        if m.len() > GLOB_MEMO {
            m.clear();
        }
        let g = GlobBuilder::new(pattern)
            .literal_separator(separator)
            .backslash_escape(true)
            .build()
            .ok()
            .map(|g| g.compile_matcher());
        let hit = g.as_ref().is_some_and(|g| g.is_match(text));
        m.insert(pattern.to_string(), g);
        hit
    })
}

fn glob_matches(pattern: &str, text: &str) -> bool {
    glob_is_match(pattern, true, text)
}

/// Why a tool rule with argument constraints `args` does not apply to a
/// call with `arguments` (`None`: it applies). A constraint holds, fails
/// (a value of the tested type that does not pass) or is unknown (no value
/// at the pointer, or one of another type); an allow or ask needs every
/// constraint to hold, a deny applies unless one fails.
fn args_unmet(
    policy: &CheckedPolicy,
    ctx: &Context<'_>,
    effect: Effect,
    args: &[ArgConstraint],
    arguments: Option<&serde_json::Value>,
) -> Option<&'static str> {
    let outcomes = args
        .iter()
        .map(|c| arg_holds(policy, ctx, effect, c, arguments));
    if effect == Effect::Deny {
        outcomes
            .into_iter()
            .any(|h| h == Some(false))
            .then_some("an argument fails a constraint of this deny")
    } else {
        outcomes
            .into_iter()
            .any(|h| h != Some(true))
            .then_some("an argument constraint does not hold (a value fails it, or is missing or of another type)")
    }
}

/// `Some(true)` when the value at the constraint's pointer passes its test,
/// `Some(false)` when it has the tested type and fails, `None` when it is
/// missing or of another type.
/// A path constraint holds when the filesystem request for the path gets
/// the rule's effect or a more permissive one (an allow rule needs allow,
/// an ask rule allow or ask); an invalid path is mistyped.
fn arg_holds(
    policy: &CheckedPolicy,
    ctx: &Context<'_>,
    effect: Effect,
    c: &ArgConstraint,
    arguments: Option<&serde_json::Value>,
) -> Option<bool> {
    use serde_json::Value;
    let v = arguments?.pointer(&c.pointer)?;
    match &c.test {
        &ArgTest::Path(access) => {
            let d = decide(
                policy,
                &Request::Filesystem {
                    path: v.as_str()?,
                    access,
                },
                ctx,
            );
            if matches!(d.reason, Reason::Invalid(_)) {
                return None;
            }
            Some(d.effect >= effect)
        }
        ArgTest::Glob(g) => match v {
            Value::String(s) if s.len() <= MAX_PATH_LEN => Some(name_matches(g, s)),
            _ => None,
        },
        ArgTest::Range(lo, hi) => {
            let x = v.as_f64()?;
            Some(*lo as f64 <= x && x <= *hi as f64)
        }
        ArgTest::OneOf(values) => {
            let typed = values.iter().any(|w| {
                matches!(
                    (w, v),
                    (ArgValue::Str(_), Value::String(_))
                        | (ArgValue::Int(_), Value::Number(_))
                        | (ArgValue::Bool(_), Value::Bool(_))
                )
            });
            let equal = values.iter().any(|w| match (w, v) {
                (ArgValue::Str(w), Value::String(s)) => w == s,
                (&ArgValue::Int(w), Value::Number(n)) => n.as_f64() == Some(w as f64),
                (ArgValue::Bool(w), Value::Bool(b)) => w == b,
                _ => false,
            });
            typed.then_some(equal)
        }
    }
}

/// Names (secrets, tools) have no segments: `*` and `?` match any byte,
/// `/` included, so `deny delete_*` also covers a tool named `delete_a/b`.
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    let literal = pattern.find(GLOB_CHARS).map_or(pattern, |i| &pattern[..i]);
    if literal.len() == pattern.len() {
        return pattern == name;
    }
    // The literal start must start the name (a cheap test first).
    name.starts_with(literal) && glob_is_match(pattern, false, name)
}

/// Root bindings from the context, normalized; at most
/// `MAX_ROOT_BINDINGS` of them, and every root the policy uses must be bound.
fn bind_roots(policy: &CheckedPolicy, ctx: &Context<'_>) -> Result<Vec<(String, String)>, Invalid> {
    if ctx.roots.len() > MAX_ROOT_BINDINGS {
        return Err(Invalid::TooManyRoots);
    }
    let mut out: Vec<(String, String)> = vec![(String::new(), "/".to_string())];
    for (name, path) in ctx.roots {
        if out.iter().any(|(n, _)| n == name) {
            return Err(Invalid::RootDuplicate);
        }
        let mut buf = [0u8; MAX_PATH_LEN];
        let path = normalize::path(path, &mut buf).map_err(|_| Invalid::RootPath)?;
        out.push((name.to_string(), path.to_string()));
    }
    if policy
        .roots
        .iter()
        .any(|r| !out.iter().any(|(n, _)| n == r))
    {
        return Err(Invalid::UnboundRoot);
    }
    Ok(out)
}

/// Whether a normalized absolute path matches a pattern under its root.
pub(crate) fn path_matches(p: &PathPattern, path: &str, roots: &[(String, String)]) -> bool {
    let Some((_, root)) = roots.iter().find(|(n, _)| *n == p.root) else {
        return false;
    };
    let relative = if path == root {
        ""
    } else if root == "/" {
        &path[1..]
    } else if let Some(rest) = path
        .strip_prefix(root.as_str())
        .and_then(|r| r.strip_prefix('/'))
    {
        rest
    } else {
        return false;
    };
    relative_matches(&p.glob, relative)
}

/// Glob match of a relative path, where `**` also matches zero segments at
/// the end (globset's `a/**` does not match `a`).
fn relative_matches(glob_text: &str, relative: &str) -> bool {
    if glob_text == "**" {
        return true;
    }
    if glob_text.is_empty() || relative.is_empty() {
        return glob_text.is_empty() && relative.is_empty();
    }
    if glob_matches(glob_text, relative) {
        return true;
    }
    glob_text
        .strip_suffix("/**")
        .is_some_and(|shorter| relative_matches(shorter, relative))
}
