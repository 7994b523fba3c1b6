//! [`Policy::decide`]: normalize the request, probe each table (`table/*`),
//! finish (combine by precedence, see `table/rules.rs`).
//!
//! Architecture invariant: `decide` never panics and never allocates for
//! ASCII requests. Scratch space (normalized host, path, names) lives in
//! stack buffers; the only allocation is IDNA processing of non-ASCII hosts
//! and of ASCII labels starting with `xn--`.

use serde_json::Value;

use crate::artifact::{Access, Condition, Effect, Surface, ToolPin};
use crate::decision::{Context, Decision, Http, Invalid, Reason, Request};
use crate::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN, MAX_ROOT_BINDINGS};
use crate::load::Policy;
use crate::normalize::{self, Host};
use crate::pin::{parse_digest, DefinitionDigest};
use crate::table::args::Held;
use crate::table::cond::Class;
use crate::table::name::NameIndex;
use crate::table::rules::{Best, Dest};

/// Checks a call's `arguments`: a JSON object, and only with a tool.
pub(crate) fn check_arguments(tool: bool, arguments: Option<&Value>) -> Result<(), Invalid> {
    match arguments {
        None => Ok(()),
        Some(_) if !tool => Err(Invalid::ArgumentsWithoutTool),
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(Invalid::ArgumentsNotObject),
    }
}

/// Parses an MCP call's `definition` digest (`spec/requests.md`): only with
/// a tool, and only `sha256:` with 64 hex digits (either case).
pub(crate) fn check_definition(
    tool: bool,
    definition: Option<&str>,
) -> Result<Option<DefinitionDigest>, Invalid> {
    match definition {
        None => Ok(None),
        Some(_) if !tool => Err(Invalid::DefinitionWithoutTool),
        Some(d) => parse_digest(d).map(Some).ok_or(Invalid::DefinitionDigest),
    }
}

/// What kept an allow or ask rule from deciding a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unmet {
    /// The rule.
    pub(crate) rule: u32,
    /// The index of its argument constraint; `None` for its pin.
    pub(crate) constraint: Option<usize>,
    /// [`Held::No`]: failed (another definition); [`Held::Unknown`]:
    /// missing or mistyped (no definition).
    pub(crate) held: Held,
}

/// What a tool call brings besides its name: its arguments, its
/// definition digest and its context.
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) arguments: Option<&'a Value>,
    pub(crate) definition: Definition<'a>,
    pub(crate) ctx: &'a Context<'a>,
}

/// The definition a tool call is of, for pins.
#[derive(Clone, Copy)]
pub(crate) enum Definition<'a> {
    /// The call's definition digest, or `None`: unknown.
    Of(Option<&'a DefinitionDigest>),
    /// A pinned one (a listing without digests: some call of the tool may
    /// be of its pinned definition).
    Pinned,
}

/// What an MCP request asks of a server: its use, a tool call, a resource
/// read or a prompt get (at most one of `tool`, `resource`, `prompt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum McpTarget<'a> {
    /// The server itself.
    Server,
    /// A tool call.
    Tool(&'a str),
    /// A resource read, by URI.
    Resource(&'a str),
    /// A prompt get, by name.
    Prompt(&'a str),
}

impl<'a> McpTarget<'a> {
    /// The target of a request's `tool`, `resource` and `prompt`
    /// ([`Invalid::McpTarget`] for more than one).
    pub(crate) fn of(
        tool: Option<&'a str>,
        resource: Option<&'a str>,
        prompt: Option<&'a str>,
    ) -> Result<McpTarget<'a>, Invalid> {
        match (tool, resource, prompt) {
            (None, None, None) => Ok(McpTarget::Server),
            (Some(t), None, None) => Ok(McpTarget::Tool(t)),
            (None, Some(r), None) => Ok(McpTarget::Resource(r)),
            (None, None, Some(p)) => Ok(McpTarget::Prompt(p)),
            _ => Err(Invalid::McpTarget),
        }
    }

    /// Normalizes the name or URI: tool and prompt names lower-cased into
    /// `buf`, a resource URI validated (`spec/requests.md`).
    pub(crate) fn normalize<'b>(
        self,
        buf: &'b mut [u8; MAX_NAME_LEN],
    ) -> Result<McpTarget<'b>, Invalid>
    where
        'a: 'b,
    {
        Ok(match self {
            McpTarget::Server => McpTarget::Server,
            McpTarget::Tool(t) => McpTarget::Tool(normalize::name(t, buf)?),
            McpTarget::Resource(r) => McpTarget::Resource(normalize::resource_uri(r)?),
            McpTarget::Prompt(p) => McpTarget::Prompt(normalize::name(p, buf)?),
        })
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
            Request::Network {
                host,
                ip,
                port,
                http,
            } => self.decide_network(host, ip, port, http),
            Request::Filesystem { path, access } => self.decide_fs(path, access, ctx),
            Request::Credential { name, host, ip } => self.decide_credential(name, host, ip),
            Request::Mcp {
                server,
                tool,
                source,
                arguments,
                definition,
                resource,
                prompt,
            } => {
                let target = try_norm!(McpTarget::of(tool, resource, prompt));
                self.decide_mcp(server, target, source, arguments, definition, ctx)
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

    fn decide_network(
        &self,
        host: Option<&str>,
        ip: Option<&str>,
        port: Option<u32>,
        http: Option<Http<'_>>,
    ) -> Decision {
        if host.is_none() && ip.is_none() {
            return Decision::invalid(Invalid::NetworkTarget);
        }
        let mut hb = [0u8; MAX_HOST_LEN];
        let host = try_norm!(host.map(|h| normalize::host(h, &mut hb)).transpose());
        let ip = try_norm!(ip.map(normalize::ip).transpose());
        let port = try_norm!(port.map(normalize::port).transpose());
        let http = match http {
            None => None,
            Some(h) => Some((
                try_norm!(normalize::http_method(h.method)),
                try_norm!(normalize::http_path(h.path)),
            )),
        };
        // A request without a port could be for any port: a port list keeps
        // an allow from granting it, never a deny or an ask from applying
        // (the list indexes, `table/cond.rs`).
        let scan = self.rules.scan(&self.art, Class::Port(port));
        let net = &self.art.network;
        let mut best = Best::default();
        let host_ip = match host {
            Some(Host::Domain(d)) => {
                let prefix = match port {
                    Some(p) => [0, (p >> 8) as u8, p as u8],
                    None => [1, 0, 0],
                };
                self.domains
                    .probe(&net.domains, d, prefix, &scan, &mut best);
                None
            }
            Some(Host::Ip(a)) => Some(a),
            None => None,
        };
        for a in [host_ip, ip].into_iter().flatten() {
            self.ips.probe(net, a, &scan, &mut best);
        }
        for a in [host_ip, ip].into_iter().flatten() {
            self.ips.probe_embedded(net, a, &scan, &mut best);
        }
        let conn = self.finish(best, Surface::Network);
        // HTTP rules carve into what the connection decision allows
        // (`spec/language.md` section 7, "HTTP rules"): a deny stays a deny;
        // a host covered by `http` blocks is then decided by their rules too,
        // the stricter of the two, the HTTP part first on a tie.
        let (Some((method, path)), Some(Host::Domain(d))) = (http, host) else {
            return conn;
        };
        if conn.effect == Effect::Deny || self.http.is_empty() {
            return conn;
        }
        let scan = self.rules.scan(&self.art, Class::Method(method));
        let mut best = Best::default();
        let Some(block) = self.http.probe(d, method, path, &scan, &mut best) else {
            return conn;
        };
        let part = match best.found {
            Some(_) => self.finish(best, Surface::Network),
            None => Decision {
                effect: Effect::Deny,
                rule: Some(block),
                reason: Reason::Rule,
                lifetime: None,
            },
        };
        part.strictest(conn)
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
        let class = if part == Access::WRITE {
            Class::Write
        } else {
            Class::Read
        };
        let scan = self.rules.scan(&self.art, class);
        let mut best = Best::default();
        let part = if part == Access::WRITE { b'w' } else { b'r' };
        for root in &self.roots {
            if root.name.is_empty() {
                root.probe_under("/", path, part, &scan, &mut best);
                continue;
            }
            let Some(i) = ctx.roots.iter().position(|(n, _)| *n == &*root.name) else {
                continue; // unreachable: checked above
            };
            let bound = ctx.roots.get(i).map_or("", |(_, b)| *b);
            if normal & 1u64.checked_shl(i as u32).unwrap_or(0) != 0 {
                root.probe_under(bound, path, part, &scan, &mut best);
            } else {
                let mut rb = [0u8; MAX_PATH_LEN];
                if let Ok(p) = normalize::path(bound, &mut rb) {
                    root.probe_under(p, path, part, &scan, &mut best);
                }
            }
        }
        self.finish(best, Surface::Filesystem)
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
        let mut best = Best::default();
        let scan = self.rules.scan(&self.art, Class::See);
        self.credentials.probe(name, b"s", false, &scan, &mut best);
        self.finish(best, Surface::Credential)
    }

    /// The sending part of a credential request (`spec/language.md`
    /// section 9): allow and ask rules whose `to` matches, deny rules
    /// without `to` or whose `to` matches (embedded addresses included). A
    /// send to a local address is granted only by a rule that names the
    /// address, never by the default.
    fn decide_send(&self, name: &str, dest: &Dest<'_>) -> Decision {
        let mut best = Best::default();
        let scan = self.rules.scan(&self.art, Class::Send(dest));
        self.credentials.probe(name, b"x", true, &scan, &mut best);
        if dest.local && best.found.is_none() {
            return Decision::default_effect(Effect::Deny);
        }
        self.finish(best, Surface::Credential)
    }

    // -----------------------------------------------------------------------
    // MCP
    // -----------------------------------------------------------------------

    fn decide_mcp(
        &self,
        server: &str,
        target: McpTarget<'_>,
        source: Option<&str>,
        arguments: Option<&Value>,
        definition: Option<&str>,
        ctx: &Context<'_>,
    ) -> Decision {
        let mut sb = [0u8; MAX_NAME_LEN];
        let server = try_norm!(normalize::name(server, &mut sb));
        let mut tb = [0u8; MAX_NAME_LEN];
        let target = try_norm!(target.normalize(&mut tb));
        let source = try_norm!(source.map(normalize::source).transpose());
        let tool = matches!(target, McpTarget::Tool(_));
        try_norm!(check_arguments(tool, arguments));
        let definition = try_norm!(check_definition(tool, definition));
        let Some(si) = self.approved_server(server, source) else {
            return self.finish(Best::default(), Surface::Mcp);
        };
        match target {
            McpTarget::Server => self.server_approval(si),
            McpTarget::Tool(t) => self.decide_tool(
                si,
                t,
                Call {
                    arguments,
                    definition: Definition::Of(definition.as_ref()),
                    ctx,
                },
            ),
            McpTarget::Resource(uri) => {
                self.finish(self.named_best(self.mcp.resources(si), uri), Surface::Mcp)
            }
            McpTarget::Prompt(p) => {
                self.finish(self.named_best(self.mcp.prompts(si), p), Surface::Mcp)
            }
        }
    }

    /// The best rule of a server's resource or prompt tables for `subject`
    /// (normalized): precedence as for tools, no conditions.
    fn named_best(&self, idx: Option<&NameIndex>, subject: &str) -> Best {
        let mut best = Best::default();
        if let Some(idx) = idx {
            idx.probe(
                subject,
                b"",
                false,
                &self.rules.scan(&self.art, Class::Tool),
                &mut best,
            );
        }
        best
    }

    /// The index of the approved server named `server` (normalized) for
    /// `source` (normalized), or `None` for an unapproved server.
    pub(crate) fn approved_server(&self, server: &str, source: Option<&str>) -> Option<u32> {
        let si = self.mcp.approved(&self.art, server, source)?;
        self.art.mcp.servers.get(si as usize).map(|_| si)
    }

    fn server_approval(&self, si: u32) -> Decision {
        let rule = self.art.mcp.servers.get(si as usize).map_or(0, |s| s.rule);
        let effect = self.rule(rule).map_or(Effect::Allow, |r| r.effect);
        Decision {
            effect,
            rule: Some(rule),
            reason: Reason::Rule,
            lifetime: None,
        }
    }

    /// Decides a call of the normalized tool `t` of the approved server `si`
    /// by its tool rules (those with argument constraints tried in turn,
    /// `table/args.rs`; a pinned tool of another definition by its deny
    /// rules only), then the `mcp` default.
    pub(crate) fn decide_tool(&self, si: u32, t: &str, call: Call<'_>) -> Decision {
        self.finish(self.tool_best(si, t, Some(call)), Surface::Mcp)
    }

    /// The effect of the filesystem request for a path argument, `None`
    /// when it is invalid (`table/args.rs`).
    fn path_effect(&self, path: &str, access: Access, ctx: &Context<'_>) -> Option<Effect> {
        let d = self.decide_fs(path, access, ctx);
        (!matches!(d.reason, Reason::Invalid(_))).then_some(d.effect)
    }

    /// The best tool rule for tool `t` of server `si`: its rules without
    /// argument constraints, and for a `Some(call)` those with constraints
    /// that apply to it. A call of a pinned tool whose definition is not
    /// pinned is an unapproved tool: only a deny decides it, else the
    /// default (`spec/language.md` section 10, "Pins").
    fn tool_best(&self, si: u32, t: &str, call: Option<Call<'_>>) -> Best {
        let mut best = Best::default();
        let scan = self.rules.scan(&self.art, Class::Tool);
        if let Some(idx) = self.mcp.tools(si) {
            idx.probe(t, b"", false, &scan, &mut best);
        }
        if let Some(call) = call {
            let paths = |p: &str, a: Access| self.path_effect(p, a, call.ctx);
            for c in self.mcp.constrained(si) {
                if c.names(t) && c.applies(call.arguments, &paths) {
                    scan.consider_rule(&mut best, c.rule);
                }
            }
            let unpinned = match call.definition {
                Definition::Of(d) => self.unpinned(si, t, d).is_some(),
                Definition::Pinned => false,
            };
            if unpinned && best.found.is_some_and(|(e, _)| e != Effect::Deny) {
                best = Best::default();
            }
        }
        best
    }

    /// For a call of tool `t` of server `si` with `definition`: the pin of
    /// the tool when it has one and the definition is missing or not among
    /// its digests.
    pub(crate) fn unpinned(
        &self,
        si: u32,
        t: &str,
        definition: Option<&DefinitionDigest>,
    ) -> Option<&ToolPin> {
        let pin = self.mcp.pin(&self.art, si, t)?;
        let approved = definition.is_some_and(|d| pin.digests.contains(d));
        (!approved).then_some(pin)
    }

    /// For a tool call decided `d`, other than allow: the pin of the tool
    /// when its definition is not pinned, else the first allow or ask rule
    /// with argument constraints that names the tool but does not apply,
    /// with its first unmet constraint (what the JSON decision reports as
    /// `unmet`).
    pub(crate) fn unmet_constraint(
        &self,
        req: &Request<'_>,
        ctx: &Context<'_>,
        d: &Decision,
    ) -> Option<Unmet> {
        let Request::Mcp {
            server,
            tool: Some(tool),
            source,
            arguments,
            definition,
            resource: None,
            prompt: None,
        } = *req
        else {
            return None;
        };
        if d.effect == Effect::Allow || matches!(d.reason, Reason::Invalid(_)) {
            return None;
        }
        let mut sb = [0u8; MAX_NAME_LEN];
        let mut tb = [0u8; MAX_NAME_LEN];
        let server = normalize::name(server, &mut sb).ok()?;
        let tool = normalize::name(tool, &mut tb).ok()?;
        let source = source.map(normalize::source).transpose().ok()?;
        let si = self.approved_server(server, source)?;
        let definition = check_definition(true, definition).ok()?;
        if let Some(pin) = self.unpinned(si, tool, definition.as_ref()) {
            return Some(Unmet {
                rule: pin.rule,
                constraint: None,
                held: if definition.is_some() {
                    Held::No
                } else {
                    Held::Unknown
                },
            });
        }
        let paths = |p: &str, a: Access| self.path_effect(p, a, ctx);
        self.mcp
            .constrained(si)
            .iter()
            .filter(|c| c.effect != Effect::Deny && c.names(tool))
            .find_map(|c| {
                c.first_unmet(arguments, &paths).map(|(i, held)| Unmet {
                    rule: c.rule,
                    constraint: Some(i),
                    held,
                })
            })
    }

    /// The effect of the best tool rule without argument constraints for
    /// tool `t` of server `si`, if one matches.
    pub(crate) fn unconstrained_tool_effect(&self, si: u32, t: &str) -> Option<Effect> {
        self.tool_best(si, t, None).found.map(|(e, _)| e)
    }

    /// The decision when no server was approved: the `mcp` default.
    pub(crate) fn mcp_default(&self) -> Decision {
        self.finish(Best::default(), Surface::Mcp)
    }
}
