//! Sized builders for the benchmarks: policies of `n` rules of one shape
//! and requests that hit and miss them, from a seeded generator, so every
//! run measures the same source text.
//!
//! * [`Kind::ALL`] and [`Kind::HAZARDS`] (`benches/decide.rs`): [`REQUESTS`]
//!   requests per fixture.
//! * [`Kind::SHAPES`] (`benches/shapes.rs`, issue 13): the pattern shapes
//!   whose cost must stay bounded, with [`SHAPE_REQUESTS`] requests each (the
//!   request named in `benches/README.md` first), and [`Kind::baseline`], the
//!   ordinary 10-rule policy of the same surface they are compared with.
//! * [`brace_source`] (`examples/scale.rs`): a million patterns from brace
//!   expansion, for compile and load scale.

use std::fmt::Write as _;

use policy_eval::Access;

use super::{Req, Source};

/// Requests per fixture (a power of two: benchmarks mask the index).
pub const REQUESTS: usize = 64;

/// Requests per [`Kind::SHAPES`] fixture (a power of two): the named
/// request, then other hits and misses.
pub const SHAPE_REQUESTS: usize = 4;

const WORDS: [&str; 16] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa",
];

// ---------------------------------------------------------------------------
// Deterministic generator
// ---------------------------------------------------------------------------

/// xorshift64*: tiny, seeded, good enough to scatter patterns.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// A word of a fixed list.
    pub fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }

    /// An effect: mostly allow, some deny, a few ask.
    pub fn effect(&mut self) -> &'static str {
        match self.below(10) {
            0..=6 => "allow",
            7..=8 => "deny",
            _ => "ask",
        }
    }
}

/// The four request kinds, each with its own generated policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Domain rules (exact, `*.`, `**.` and label globs, some port-limited).
    Domain,
    /// IPv4 and IPv6 CIDR rules.
    Cidr,
    /// Path rules (literal, prefix, extension, mixed, under roots).
    Path,
    /// MCP tool rules in pinned and unpinned servers.
    Mcp,
    /// Worst case: `n` label globs under one domain anchor.
    AnchorGlobs,
    /// Worst case: `n` general tool globs in one MCP server.
    ToolGlobs,
    /// Worst case: `n` general path globs under one literal prefix.
    PathGlobs,
    /// Ordinary secret rules (exact, `prefix*`, with and without `to`): the
    /// credentials baseline of the shapes.
    Secret,
    /// Shape: `n` label globs `a{i}-*.example.com` under one anchor.
    LabelGlobs,
    /// Shape: `n` one-label globs `x{i}-*` (no anchor at all).
    OneLabelGlobs,
    /// Shape: `n` path globs `/*x{i}*/**` (no literal prefix; W0107).
    InfixPathGlobs,
    /// Shape: `n` secret name globs `*_{i}_*`.
    NameGlobs,
    /// Shape: `n` tool globs `delete_*_{i}` in one server.
    InfixToolGlobs,
    /// Shape: `n` path globs of about 1 KB each, many `*` and `**`
    /// segments, different literals; requests are 4 KB paths.
    LongGlobs,
    /// Shape (issue 14): `n` HTTP rules in one `http` block, literal,
    /// `dir/**`, `dir/**/*.json` and general glob paths under several
    /// method sets.
    HttpRules,
    /// Shape (issue 14): `n` tool rules with argument constraints, 16 per
    /// server (the per-server list is tried in turn, so its length, not
    /// `n`, bounds a call).
    ArgRules,
    /// Shape (issue 14): `n` resource rules in one server: literal URIs,
    /// `prefix*` URIs and eight general URI globs (more would only grow
    /// the server's one automaton group, which E0008 bounds).
    ResourceRules,
}

impl Kind {
    /// The four indexed shapes of the `decide/*` benchmarks.
    pub const ALL: [Kind; 4] = [Kind::Domain, Kind::Cidr, Kind::Path, Kind::Mcp];
    /// The worst cases of the `hazard/*` benchmarks.
    pub const HAZARDS: [Kind; 3] = [Kind::AnchorGlobs, Kind::ToolGlobs, Kind::PathGlobs];
    /// The hard shapes of the `shape/*` benchmarks (issue 13).
    pub const SHAPES: [Kind; 9] = [
        Kind::LabelGlobs,
        Kind::OneLabelGlobs,
        Kind::InfixPathGlobs,
        Kind::NameGlobs,
        Kind::InfixToolGlobs,
        Kind::LongGlobs,
        Kind::HttpRules,
        Kind::ArgRules,
        Kind::ResourceRules,
    ];

    /// The ordinary kind of the same surface, whose 10-rule policy a shape
    /// is compared with (the shape's requests against it).
    pub fn baseline(self) -> Kind {
        match block(self) {
            "network" => Kind::Domain,
            "filesystem" => Kind::Path,
            "credentials" => Kind::Secret,
            _ => Kind::Mcp,
        }
    }

    /// The benchmark name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Cidr => "cidr",
            Kind::Path => "path",
            Kind::Mcp => "mcp",
            Kind::AnchorGlobs => "domain_globs_one_anchor",
            Kind::ToolGlobs => "tool_globs_one_server",
            Kind::PathGlobs => "path_globs_one_prefix",
            Kind::Secret => "secret",
            Kind::LabelGlobs => "label-globs",
            Kind::OneLabelGlobs => "one-label-globs",
            Kind::InfixPathGlobs => "path-globs",
            Kind::NameGlobs => "name-globs",
            Kind::InfixToolGlobs => "tool-globs",
            Kind::LongGlobs => "long-glob",
            Kind::HttpRules => "http-rules",
            Kind::ArgRules => "arg-rules",
            Kind::ResourceRules => "resource-rules",
        }
    }

    /// The seed of its fixtures.
    pub fn seed(self) -> u64 {
        match self {
            Kind::Domain => 1,
            Kind::Cidr => 2,
            Kind::Path => 3,
            Kind::Mcp => 4,
            Kind::AnchorGlobs => 5,
            Kind::ToolGlobs => 6,
            Kind::PathGlobs => 7,
            Kind::Secret => 8,
            Kind::LabelGlobs => 9,
            Kind::OneLabelGlobs => 10,
            Kind::InfixPathGlobs => 11,
            Kind::NameGlobs => 12,
            Kind::InfixToolGlobs => 13,
            Kind::LongGlobs => 14,
            Kind::HttpRules => 15,
            Kind::ArgRules => 16,
            Kind::ResourceRules => 17,
        }
    }
}

/// A generated block body (rule lines) and requests against it.
pub struct Block {
    /// Lines inside the surface block ([`block`]).
    pub body: String,
    /// [`REQUESTS`] requests against them ([`SHAPE_REQUESTS`] for
    /// [`Kind::SHAPES`]), hits and misses.
    pub requests: Vec<Req>,
}

/// `n` domain rules: exact `host{i}.{word}.com`, `*.z{i}.{word}.com`,
/// `**.z{i}.{word}.com` and `api-*.z{i}.{word}.com`, a third of them limited to
/// port 443. Distinct anchors, so no anchor holds more than one glob.
fn gen_domains(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    let mut rules = Vec::with_capacity(n);
    for i in 0..n {
        let word = rng.word();
        let shape = rng.below(4);
        let pattern = match shape {
            0 => format!("host{i}.{word}.com"),
            1 => format!("*.z{i}.{word}.com"),
            2 => format!("**.z{i}.{word}.com"),
            _ => format!("api-*.z{i}.{word}.com"),
        };
        let port = if rng.below(3) == 0 { " port 443" } else { "" };
        let _ = writeln!(body, "  {} {pattern}{port}", rng.effect());
        rules.push((shape, word));
    }
    let mut requests = Vec::with_capacity(REQUESTS);
    for k in 0..REQUESTS {
        let i = rng.below(n);
        let (shape, word) = rules[i];
        let host = match (k % 4, shape) {
            // Misses: an unknown name under a known word, and a near miss
            // (one label too many for `*.`, wrong prefix for `api-*`).
            (3, _) if k % 8 == 3 => format!("www.nohost{k}.{word}.com"),
            (3, 0) => format!("host{i}.{word}.org"),
            (3, 1) => format!("a.b.z{i}.{word}.com"),
            (3, 2) => format!("z{i}x.{word}.com"),
            (3, _) => format!("web-1.z{i}.{word}.com"),
            // Hits.
            (_, 0) => format!("host{i}.{word}.com"),
            (_, 1) => format!("www.z{i}.{word}.com"),
            (_, 2) => format!("a.b.z{i}.{word}.com"),
            (_, _) => format!("api-eu.z{i}.{word}.com"),
        };
        let port = match k % 5 {
            0 => Some(80),
            1 => None,
            _ => Some(443),
        };
        requests.push(Req::Network {
            host: Some(host),
            ip: None,
            port,
            http: None,
        });
    }
    Block { body, requests }
}

/// First octet no generated IPv4 rule covers (requests there miss).
const MISS_V4_OCTET: u32 = 203;

/// `n` address rules: IPv4 CIDRs of prefix /8 to /32 (outside
/// `203.0.0.0/8`) and, one in eight, IPv6 CIDRs in `2001:db8::/32` of prefix
/// /32 to /128. Misses ask about `203.0.0.0/8` and `2001:db9::/32`.
fn gen_cidrs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    // (is_v6, network, prefix) per rule.
    let mut rules: Vec<(bool, u128, u32)> = Vec::with_capacity(n);
    for _ in 0..n {
        if rng.below(8) == 0 {
            let len = 32 + rng.below(97) as u32;
            let raw = (0x2001_0db8u128 << 96)
                | (u128::from(rng.next_u64()) << 32)
                | u128::from(rng.next_u64() as u32);
            let net = raw & (!0u128).checked_shl(128 - len).unwrap_or(0);
            let addr = std::net::Ipv6Addr::from(net);
            let _ = writeln!(body, "  {} {addr}/{len}", rng.effect());
            rules.push((true, net, len));
        } else {
            let len = 8 + rng.below(25) as u32;
            let mut raw = rng.next_u64() as u32;
            if raw >> 24 == MISS_V4_OCTET {
                raw ^= 1 << 24;
            }
            let net = raw & (!0u32).checked_shl(32 - len).unwrap_or(0);
            let addr = std::net::Ipv4Addr::from(net);
            let _ = writeln!(body, "  {} {addr}/{len}", rng.effect());
            rules.push((false, u128::from(net), len));
        }
    }
    let mut requests = Vec::with_capacity(REQUESTS);
    for k in 0..REQUESTS {
        let ip = if k % 4 == 3 {
            // Misses: addresses in ranges no rule covers.
            if k % 8 == 3 {
                let low = rng.next_u64() as u32 & 0x00ff_ffff;
                std::net::Ipv4Addr::from((MISS_V4_OCTET << 24) | low).to_string()
            } else {
                std::net::Ipv6Addr::from((0x2001_0db9u128 << 96) | u128::from(rng.next_u64()))
                    .to_string()
            }
        } else {
            let (v6, net, len) = rules[rng.below(n)];
            if v6 {
                let host = u128::from(rng.next_u64()) & (!0u128).checked_shr(len).unwrap_or(0);
                std::net::Ipv6Addr::from(net | host).to_string()
            } else {
                let host = (rng.next_u64() as u32) & (!0u32).checked_shr(len).unwrap_or(0);
                std::net::Ipv4Addr::from(net as u32 | host).to_string()
            }
        };
        requests.push(Req::Network {
            host: None,
            ip: Some(ip),
            port: Some(443),
            http: None,
        });
    }
    Block { body, requests }
}

/// `n` path rules: literal `/srv/d{i}/f.txt`, prefix `/srv/d{i}/**`,
/// extension `/srv/**/*.e{i}`, mixed `/srv/d{i}/**/k/*.key` (one glob per
/// literal prefix), and a few under `$workspace` and `~`.
fn gen_paths(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    let mut shapes = Vec::with_capacity(n);
    for i in 0..n {
        let shape = match rng.below(10) {
            0..=1 => 0,
            2..=3 => 1,
            4..=5 => 2,
            6..=7 => 3,
            8 => 4,
            _ => 5,
        };
        let pattern = match shape {
            0 => format!("/srv/d{i}/f.txt"),
            1 => format!("/srv/d{i}/**"),
            2 => format!("/srv/**/*.e{i}"),
            3 => format!("/srv/d{i}/**/k/*.key"),
            4 => format!("$workspace/w{i}/**"),
            _ => format!("~/h{i}/*.conf"),
        };
        let access = match rng.below(3) {
            0 => "read",
            1 => "write",
            _ => "read write",
        };
        let _ = writeln!(body, "  {} {access} {pattern}", rng.effect());
        shapes.push(shape);
    }
    let mut requests = Vec::with_capacity(REQUESTS);
    for k in 0..REQUESTS {
        let i = rng.below(n);
        let path = match (k % 4, shapes[i]) {
            (3, _) if k % 8 == 3 => format!("/usr/lib/x{k}/libz.so.1"),
            (3, 4) => format!("/home/u/w/other{i}/src/main.rs"),
            (3, _) => format!("/srv/d{i}/a/b/c/notes.md"),
            (_, 0) => format!("/srv/d{i}/f.txt"),
            (_, 1) => format!("/srv/d{i}/a/b/c.txt"),
            (_, 2) => format!("/srv/x/y/file.e{i}"),
            (_, 3) => format!("/srv/d{i}/q/k/id.key"),
            (_, 4) => format!("/home/u/w/w{i}/src/main.rs"),
            (_, _) => format!("/home/u/h{i}/app.conf"),
        };
        requests.push(Req::Filesystem {
            path,
            access: Access::READ,
        });
    }
    Block { body, requests }
}

/// MCP servers `s0`..`s3` (two pinned by source) sharing `n` tool rules:
/// per server two general globs (`*_admin`, `*secret*`), then exact
/// `get_{i}`, prefix `list_{i}_*`, exact pairs `create_{i}, update_{i}` and
/// prefix `delete_{i}*`.
fn gen_mcp(n: usize, rng: &mut Rng) -> Block {
    const SERVERS: usize = 4;
    let source = |j: usize| j.is_multiple_of(2).then(|| format!("ghcr.io/acme/s{j}:v1"));
    let mut blocks = vec![String::new(); SERVERS];
    // Per rule: (server, shape), shape 0/1 general, 2.. by position.
    let mut rules = Vec::with_capacity(n);
    for i in 0..n {
        let j = i % SERVERS;
        let shape = match i / SERVERS {
            0 => 0,
            1 => 1,
            _ => 2 + rng.below(4),
        };
        let tools = match shape {
            0 => "*_admin".to_string(),
            1 => "*secret*".to_string(),
            2 => format!("get_{i}"),
            3 => format!("list_{i}_*"),
            4 => format!("create_{i}, update_{i}"),
            _ => format!("delete_{i}*"),
        };
        let _ = writeln!(blocks[j], "    {} {tools}", rng.effect());
        rules.push((j, shape));
    }
    let mut body = String::new();
    for (j, block) in blocks.iter().enumerate() {
        match source(j) {
            Some(s) => {
                let _ = writeln!(body, "  server s{j} source \"{s}\" {{");
            }
            None => {
                let _ = writeln!(body, "  server s{j} {{");
            }
        }
        body.push_str(block);
        body.push_str("  }\n");
    }
    let mut requests = Vec::with_capacity(REQUESTS);
    for k in 0..REQUESTS {
        let i = rng.below(n);
        let (j, shape) = rules[i];
        let (server, tool) = match (k % 4, shape) {
            (3, _) if k % 8 == 3 => (format!("zz{k}"), format!("get_{i}")),
            (3, _) => (format!("s{j}"), format!("merge_{i}")),
            (_, 0) => (format!("s{j}"), "reset_admin".to_string()),
            (_, 1) => (format!("s{j}"), "read_secret_value".to_string()),
            (_, 2) => (format!("s{j}"), format!("get_{i}")),
            (_, 3) => (format!("s{j}"), format!("list_{i}_issues")),
            (_, 4) => (format!("s{j}"), format!("update_{i}")),
            (_, _) => (format!("s{j}"), format!("delete_{i}_branch")),
        };
        let source = if server.starts_with("zz") {
            None
        } else {
            source(j)
        };
        requests.push(Req::Mcp {
            server,
            tool: Some(tool),
            source,
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        });
    }
    Block { body, requests }
}

/// Worst case for domains: `api{i}-*.shared.example.com`, all under the one
/// anchor `shared.example.com`, so every request under it tests each glob.
fn gen_anchor_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} api{i}-*.shared.example.com", rng.effect());
    }
    let requests = (0..REQUESTS)
        .map(|k| {
            let host = match k % 4 {
                3 => format!("www{k}.shared.example.com"),
                _ => format!("api{}-eu.shared.example.com", rng.below(n)),
            };
            Req::Network {
                host: Some(host),
                ip: None,
                port: Some(443),
                http: None,
            }
        })
        .collect();
    Block { body, requests }
}

/// Worst case for names: `n` suffix globs `*_t{i}` in one server, which no
/// hash holds, so every tool request tests each of them.
fn gen_tool_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::from("  server s0 {\n");
    for i in 0..n {
        let _ = writeln!(body, "    {} *_t{i}", rng.effect());
    }
    body.push_str("  }\n");
    let requests = (0..REQUESTS)
        .map(|k| {
            let tool = match k % 4 {
                3 => format!("other_{k}"),
                _ => format!("run_t{}", rng.below(n)),
            };
            Req::Mcp {
                server: "s0".into(),
                tool: Some(tool),
                source: None,
                arguments: None,
                definition: None,
                resource: None,
                prompt: None,
            }
        })
        .collect();
    Block { body, requests }
}

/// One glob group for paths: `n` globs
/// `/data/**/x{i}*.log` sharing the literal prefix `/data`.
fn gen_path_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} read /data/**/x{i}*.log", rng.effect());
    }
    let requests = (0..REQUESTS)
        .map(|k| match k % 4 {
            3 => Req::Filesystem {
                path: format!("/data/a/b/y{k}.log"),
                access: Access::READ,
            },
            _ => Req::Filesystem {
                path: format!("/data/a/b/x{}-1.log", rng.below(n)),
                access: Access::READ,
            },
        })
        .collect();
    Block { body, requests }
}

/// `n` ordinary secret rules: exact `SECRET_{i}`, prefix `NPM_{i}_*` sendable
/// to `registry{i}.example.com`, `deny AWS_{i}_*`, and `ask DB_{i}` sendable
/// to `10.{i % 256}.0.0/16`.
fn gen_secrets(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    let mut shapes = Vec::with_capacity(n);
    for i in 0..n {
        let shape = rng.below(4);
        let _ = match shape {
            0 => writeln!(body, "  allow SECRET_{i}"),
            1 => writeln!(body, "  allow NPM_{i}_* to registry{i}.example.com for 1h"),
            2 => writeln!(body, "  deny AWS_{i}_*"),
            _ => writeln!(body, "  ask DB_{i} to 10.{}.0.0/16 for 15m", i % 256),
        };
        shapes.push(shape);
    }
    let requests = (0..REQUESTS)
        .map(|k| {
            let i = rng.below(n);
            let (name, host) = match (k % 4, shapes[i]) {
                (3, _) => (format!("OTHER_{k}"), None),
                (2, 1) => (
                    format!("NPM_{i}_TOKEN"),
                    Some(format!("registry{i}.example.com")),
                ),
                (2, _) => (format!("NPM_{i}_TOKEN"), Some("evil.example".to_string())),
                (_, 0) => (format!("secret_{i}"), None),
                (_, 1) => (format!("NPM_{i}_TOKEN"), None),
                (_, 2) => (format!("AWS_{i}_KEY"), None),
                (_, _) => (format!("DB_{i}"), None),
            };
            Req::Credential {
                name,
                host,
                ip: None,
            }
        })
        .collect();
    Block { body, requests }
}

/// A network request for `host` without a port.
fn host(host: String) -> Req {
    Req::Network {
        host: Some(host),
        ip: None,
        port: None,
        http: None,
    }
}

/// A filesystem read (or write) of `path`.
fn file(path: String, access: Access) -> Req {
    Req::Filesystem { path, access }
}

/// Shape: `n` label globs `a{i}-*.example.com`, all under the anchor
/// `example.com`. Requests: `zzz.example.com` (a miss under the anchor),
/// a hit on the last rule, a miss with a prefix of a rule, one label too
/// many.
fn gen_label_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} a{i}-*.example.com", rng.effect());
    }
    let last = n - 1;
    let requests = vec![
        host("zzz.example.com".into()),
        host(format!("a{last}-eu.example.com")),
        host(format!("a{last}.example.com")),
        host(format!("www.a{last}-eu.example.com")),
    ];
    Block { body, requests }
}

/// Shape: `n` one-label globs `x{i}-*`, which have no anchor to hash.
/// Requests: `github.com`, a hit on the last rule, a one-label miss, and a
/// near miss.
fn gen_one_label_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} x{i}-*", rng.effect());
    }
    let last = n - 1;
    let requests = vec![
        host("github.com".into()),
        host(format!("x{last}-a")),
        host("localhost".into()),
        host(format!("x{last}a")),
    ];
    Block { body, requests }
}

/// Shape: `n` path globs `/*x{i}*/**`, which share no literal prefix (more
/// than 256 warn, W0107). Requests: read `/etc/passwd`, a read under the
/// last rule, a write there (no rule's access), a miss.
fn gen_infix_path_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} read /*x{i}*/**", rng.effect());
    }
    let last = n - 1;
    let requests = vec![
        file("/etc/passwd".into(), Access::READ),
        file(format!("/data-x{last}-1/f.txt"), Access::READ),
        file(format!("/data-x{last}-1/f.txt"), Access::WRITE),
        file("/srv/app/src/main.rs".into(), Access::READ),
    ];
    Block { body, requests }
}

/// Shape: `n` secret globs `deny *_{i}_*`. Requests: see `GITHUB_TOKEN`,
/// see a name the last rule matches, send `GITHUB_TOKEN` to `github.com`, a
/// name with `/`.
fn gen_name_globs(n: usize, _rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  deny *_{i}_*");
    }
    let last = n - 1;
    let see = |name: String| Req::Credential {
        name,
        host: None,
        ip: None,
    };
    let requests = vec![
        see("GITHUB_TOKEN".into()),
        see(format!("ci_{last}_token")),
        Req::Credential {
            name: "GITHUB_TOKEN".into(),
            host: Some("github.com".into()),
            ip: None,
        },
        see(format!("A/{last}/B")),
    ];
    Block { body, requests }
}

/// Shape: `n` tool globs `delete_*_{i}` in server `s1` (unpinned, as in the
/// [`Kind::Mcp`] baseline). Requests: `delete_branch_x` (the prefix of every
/// rule, no suffix), a hit on the last rule, `get_me`, a hit in upper case.
fn gen_infix_tool_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::from("  server s1 {\n");
    for i in 0..n {
        let _ = writeln!(body, "    {} delete_*_{i}", rng.effect());
    }
    body.push_str("  }\n");
    let last = n - 1;
    let tool = |tool: String| Req::Mcp {
        server: "s1".into(),
        tool: Some(tool),
        source: None,
        arguments: None,
        definition: None,
        resource: None,
        prompt: None,
    };
    let requests = vec![
        tool("delete_branch_x".into()),
        tool(format!("delete_repo_{last}")),
        tool("get_me".into()),
        tool(format!("DELETE_A/B_{last}")),
    ];
    Block { body, requests }
}

/// Method sets of [`Kind::HttpRules`].
const HTTP_METHODS: &[&str] = &["GET", "GET|HEAD", "POST", "*", "DELETE", "PUT|PATCH"];

/// `n` HTTP rules in one block for `api.example.com` (allowed on 443): rule
/// `i` has the path `/v1/e{i}` (literal), `/v1/p{i}/**`,
/// `/v1/x{i}/**/*.json` or the general glob `/v1/g{i % 64}/*/r{i}` (64
/// literal directories, so no directory's automaton grows with `n`), under
/// a method set of [`HTTP_METHODS`]. Requests: a literal hit, a prefix
/// hit, a glob hit on the last rules, and a miss (the block's deny).
fn gen_http_rules(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::from("  allow api.example.com port 443\n  http api.example.com {\n");
    let mut sets = Vec::with_capacity(n);
    for i in 0..n {
        let path = match i % 4 {
            0 => format!("/v1/e{i}"),
            1 => format!("/v1/p{i}/**"),
            2 => format!("/v1/x{i}/**/*.json"),
            _ => format!("/v1/g{}/*/r{i}", i % 64),
        };
        let methods = HTTP_METHODS[rng.below(HTTP_METHODS.len())];
        sets.push(methods);
        let _ = writeln!(body, "    {} {methods} {path}", rng.effect());
    }
    body.push_str("  }\n");
    let last = |shape: usize| (0..n).rev().find(|i| i % 4 == shape).unwrap_or(0);
    // A method the rule covers: the first of its set (`*`: GET).
    let method = |i: usize| match sets
        .get(i)
        .map_or("GET", |m| m.split('|').next().unwrap_or("GET"))
    {
        "*" => "GET".to_string(),
        m => m.to_string(),
    };
    let http = |method: String, path: String| Req::Network {
        host: Some("api.example.com".into()),
        ip: None,
        port: Some(443),
        http: Some((method, path)),
    };
    let (e, p, g) = (last(0), last(1), last(3));
    let requests = vec![
        http(method(e), format!("/v1/e{e}")),
        http(method(p), format!("/v1/p{p}/a/b")),
        http(method(g), format!("/v1/g{}/item/r{g}", g % 64)),
        http("GET".into(), "/v2/none".into()),
    ];
    Block { body, requests }
}

/// `n` resource rules in server `docs`: rule `i` is `EFFECT resource
/// file:///d{i}/README.md` or `file:///d{i}/*` (alternately), the first
/// eight also a general glob `file:///*/g{i}-*.md`. Requests: hits on the
/// last literal and prefix rules and on a glob, and a miss (another case).
fn gen_resource_rules(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::from("  server docs {\n");
    for i in 0..n {
        let effect = rng.effect();
        if i % 2 == 0 {
            let _ = writeln!(body, "    {effect} resource file:///d{i}/README.md");
        } else {
            let _ = writeln!(body, "    {effect} resource file:///d{i}/*");
        }
        if i < 8 {
            let _ = writeln!(body, "    {effect} resource file:///*/g{i}-*.md");
        }
    }
    body.push_str("  }\n");
    let last = n - 1;
    let (lit, pre) = if last.is_multiple_of(2) {
        (last, last.saturating_sub(1))
    } else {
        (last - 1, last)
    };
    let read = |uri: String| Req::Mcp {
        server: "docs".into(),
        tool: None,
        source: None,
        arguments: None,
        definition: None,
        resource: Some(uri),
        prompt: None,
    };
    let requests = vec![
        read(format!("file:///d{lit}/README.md")),
        read(format!("file:///d{pre}/src/a/b/c.rs")),
        read(format!("file:///x/y/g{}-notes.md", n.min(8) - 1)),
        read(format!("file:///D{lit}/README.md")),
    ];
    Block { body, requests }
}

/// Constrained tool rules per server in [`Kind::ArgRules`].
const ARG_RULES_PER_SERVER: usize = 16;

/// A 4 KB `arguments` object: `extra_{k}` string members (60 bytes each)
/// around the two that constraints read.
pub fn arguments_4kb(q: &str, limit: u64) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for k in 0..64 {
        m.insert(format!("extra_{k:02}"), format!("{k:0>50}").into());
    }
    m.insert("q".into(), q.into());
    m.insert("limit".into(), limit.into());
    serde_json::Value::Object(m)
}

/// `n` tool rules with argument constraints, [`ARG_RULES_PER_SERVER`] per
/// server `s{j}`: rule `i` is `EFFECT t{i} where /q matches "repo:{i}/*"
/// and /limit in 1..100` (an `in` set of two strings every third rule).
/// Requests go to the last server: a hit on its last rule, a miss (the
/// limit out of range), the same hit with a 4 KB arguments object, and a
/// call without arguments.
fn gen_arg_rules(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    let servers = n.div_ceil(ARG_RULES_PER_SERVER);
    for j in 0..servers {
        let _ = writeln!(body, "  server s{j} {{");
        for i in j * ARG_RULES_PER_SERVER..((j + 1) * ARG_RULES_PER_SERVER).min(n) {
            let second = if i.is_multiple_of(3) {
                format!("/mode in \"ro{i}\", \"rw{i}\"")
            } else {
                "/limit in 1..100".to_string()
            };
            let effect = if i == n - 1 { "allow" } else { rng.effect() };
            let _ = writeln!(
                body,
                "    {effect} t{i} where /q matches \"repo:{i}/*\" and {second}"
            );
        }
        body.push_str("  }\n");
    }
    let last = n - 1;
    let server = format!("s{}", last / ARG_RULES_PER_SERVER);
    let call = |args: Option<serde_json::Value>| Req::Mcp {
        server: server.clone(),
        tool: Some(format!("t{last}")),
        source: None,
        arguments: args,
        definition: None,
        resource: None,
        prompt: None,
    };
    let mut hit = serde_json::json!({ "q": format!("repo:{last}/x"), "limit": 5 });
    if last.is_multiple_of(3) {
        hit["mode"] = format!("ro{last}").into();
    }
    let mut big = arguments_4kb(&format!("repo:{last}/x"), 5);
    if last.is_multiple_of(3) {
        big["mode"] = format!("ro{last}").into();
    }
    let requests = vec![
        call(Some(hit)),
        call(Some(
            serde_json::json!({ "q": format!("repo:{last}/x"), "limit": 500, "mode": "zz" }),
        )),
        call(Some(big)),
        call(None),
    ];
    Block { body, requests }
}

/// Letters of the long globs' and long paths' segments.
const LONG_LETTERS: &[u8] = b"abcdefgh";

/// The 4 KB request path of [`Kind::LongGlobs`]: segments of 8 random
/// letters `a` to `h`, so every glob's letters keep many positions
/// alive, and no `Q`, so no glob matches it.
pub fn long_path() -> String {
    let mut rng = Rng::new(0x4B);
    let mut path = String::new();
    while path.len() + 9 <= 4_080 {
        path.push('/');
        for _ in 0..8 {
            path.push(char::from(LONG_LETTERS[rng.below(LONG_LETTERS.len())]));
        }
    }
    path
}

/// One long glob of [`Kind::LongGlobs`]: `/**/*a*b*/**/*c*d*/...` up to
/// about 1,000 bytes (under `MAX_PATTERN_LEN`), letters drawn from
/// `a` to `h`, ending `/**/*Q{i}*`.
pub fn long_glob(i: usize, rng: &mut Rng) -> String {
    let end = format!("/**/*Q{i}*");
    let mut glob = String::new();
    while glob.len() + 10 + end.len() <= policy_eval::limits::MAX_PATTERN_LEN {
        let [a, b] = [(); 2].map(|()| char::from(LONG_LETTERS[rng.below(LONG_LETTERS.len())]));
        let _ = write!(glob, "/**/*{a}*{b}*");
    }
    glob.push_str(&end);
    glob
}

/// Shape: `n` long path globs ([`long_glob`], `allow read`). Requests: the
/// 4 KB [`long_path`] (a miss that every glob follows to its end), the same
/// path ending in `/Q0` (a hit on the first glob), `/etc/passwd`, and a
/// write of the 4 KB path (no rule's access).
fn gen_long_globs(n: usize, rng: &mut Rng) -> Block {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  allow read {}", long_glob(i, rng));
    }
    let long = long_path();
    let requests = vec![
        file(long.clone(), Access::READ),
        file(format!("{long}/Q0"), Access::READ),
        file("/etc/passwd".into(), Access::READ),
        file(long, Access::WRITE),
    ];
    Block { body, requests }
}

/// Alternatives of each of the two brace groups of [`brace_source`].
const BRACE_LETTERS: &[u8] = b"abcdefghijklmnop";

/// A filesystem policy of `patterns` patterns from brace expansion, 256 per
/// rule: `allow read /d{k}/{a,...,p}{a,...,p}` (the last rule fewer), so
/// the keys are short and alike (`d123/ab`), the input that clusters a weak
/// hash. Returns the source and its rule count.
pub fn brace_source(patterns: usize) -> (String, usize) {
    let group = |n: usize| {
        if n == 1 {
            return "a".to_string();
        }
        let alts: Vec<String> = BRACE_LETTERS[..n]
            .iter()
            .map(|&c| char::from(c).to_string())
            .collect();
        format!("{{{}}}", alts.join(","))
    };
    let per = BRACE_LETTERS.len() * BRACE_LETTERS.len();
    let all = group(BRACE_LETTERS.len());
    let mut body = String::new();
    let mut rules = 0;
    let mut left = patterns;
    while left > 0 {
        let k = rules;
        if left >= per {
            let _ = writeln!(body, "  allow read /d{k}/{all}{all}");
            left -= per;
        } else if left >= BRACE_LETTERS.len() {
            let rows = left / BRACE_LETTERS.len();
            let _ = writeln!(body, "  allow read /d{k}/{}{all}", group(rows));
            left -= rows * BRACE_LETTERS.len();
        } else {
            let _ = writeln!(body, "  allow read /d{k}/{}", group(left));
            left = 0;
        }
        rules += 1;
    }
    let src = policy_source(&format!("scale-braces-{patterns}"), &[("filesystem", body)]);
    (src, rules)
}

/// `n` rules of `kind` and requests against them.
pub fn generate(kind: Kind, n: usize, rng: &mut Rng) -> Block {
    if n == 0 {
        return Block {
            body: String::new(),
            requests: Vec::new(),
        };
    }
    match kind {
        Kind::Domain => gen_domains(n, rng),
        Kind::Cidr => gen_cidrs(n, rng),
        Kind::Path => gen_paths(n, rng),
        Kind::Mcp => gen_mcp(n, rng),
        Kind::AnchorGlobs => gen_anchor_globs(n, rng),
        Kind::ToolGlobs => gen_tool_globs(n, rng),
        Kind::PathGlobs => gen_path_globs(n, rng),
        Kind::Secret => gen_secrets(n, rng),
        Kind::LabelGlobs => gen_label_globs(n, rng),
        Kind::OneLabelGlobs => gen_one_label_globs(n, rng),
        Kind::InfixPathGlobs => gen_infix_path_globs(n, rng),
        Kind::NameGlobs => gen_name_globs(n, rng),
        Kind::InfixToolGlobs => gen_infix_tool_globs(n, rng),
        Kind::LongGlobs => gen_long_globs(n, rng),
        Kind::HttpRules => gen_http_rules(n, rng),
        Kind::ArgRules => gen_arg_rules(n, rng),
        Kind::ResourceRules => gen_resource_rules(n, rng),
    }
}

/// The block a kind's rules go in.
pub fn block(kind: Kind) -> &'static str {
    match kind {
        Kind::Domain
        | Kind::Cidr
        | Kind::AnchorGlobs
        | Kind::LabelGlobs
        | Kind::OneLabelGlobs
        | Kind::HttpRules => "network",
        Kind::Path | Kind::PathGlobs | Kind::InfixPathGlobs | Kind::LongGlobs => "filesystem",
        Kind::Secret | Kind::NameGlobs => "credentials",
        Kind::Mcp
        | Kind::ToolGlobs
        | Kind::InfixToolGlobs
        | Kind::ArgRules
        | Kind::ResourceRules => "mcp",
    }
}

/// A whole policy file holding the given surface blocks.
pub fn policy_source(name: &str, blocks: &[(&str, String)]) -> String {
    let mut src = format!("policy {name}\nversion 1.0.0\n");
    for (block, body) in blocks {
        let _ = write!(src, "\n{block} {{\n  default deny\n{body}}}\n");
    }
    src
}

impl Source for Rng {
    fn below(&mut self, n: usize) -> usize {
        Rng::below(self, n)
    }
}

/// A one-surface policy of `n` rules of `kind`, and requests against it;
/// the same text on every run.
pub fn fixture_source(kind: Kind, n: usize) -> (String, Vec<Req>) {
    let mut rng = Rng::new(kind.seed() * 1_000_003 + n as u64);
    let g = generate(kind, n, &mut rng);
    let src = policy_source(
        &format!("bench-{}-{n}", kind.name()),
        &[(block(kind), g.body)],
    );
    (src, g.requests)
}

/// A policy of `n` rules, a quarter of each of [`Kind::ALL`].
pub fn mixed_source(n: usize) -> String {
    let mut rng = Rng::new(0xB16);
    let mut network = String::new();
    let mut blocks = Vec::new();
    for kind in Kind::ALL {
        let g = generate(kind, n / 4, &mut rng);
        match kind {
            Kind::Domain | Kind::Cidr => network.push_str(&g.body),
            _ => blocks.push((block(kind), g.body)),
        }
    }
    blocks.insert(0, ("network", network));
    policy_source(&format!("bench-mixed-{n}"), &blocks)
}
