//! Decision, compile and load benchmarks (see `benches/README.md`).
//!
//! Policies are generated from a seeded xorshift generator, so every run
//! measures the same source text. Each `decide/<surface>/<rules>` benchmark
//! cycles through a fixed set of [`REQUESTS`] requests (hits and misses), one
//! request per iteration, so no single request stays hot.
//!
//! `BENCH_QUICK=1` shortens warm-up and measurement to 200 ms each, for CI.

// Benchmark setup fails loudly: a generated policy that does not compile is a
// bug in this file, and a panic is the clearest report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use policy_eval::{Access, Context, Policy, Request};

/// Rule counts of the `decide/*` benchmarks.
const SIZES: [usize; 3] = [10, 1_000, 10_000];
/// Requests cycled per benchmark (a power of two: the index is masked).
const REQUESTS: usize = 64;
/// Rule counts of the `hazard/*` benchmarks (shapes the compiler cannot
/// index, measured to show their linear cost).
const HAZARD_SIZES: [usize; 2] = [10, 1_000];
/// Rules in the compile / load benchmarks (a mix of all four shapes).
const BIG: usize = 10_000;
/// Rules behind the JSON entry point benchmark.
const JSON_RULES: usize = 1_000;
/// Root bindings used by every request.
const ROOTS: &[(&str, &str)] = &[("home", "/home/u"), ("workspace", "/home/u/w")];

const WORDS: [&str; 16] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa",
];

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------
// Deterministic generator
// ---------------------------------------------------------------------------

/// xorshift64*: tiny, seeded, good enough to scatter patterns.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }

    fn effect(&mut self) -> &'static str {
        match self.below(10) {
            0..=6 => "allow",
            7..=8 => "deny",
            _ => "ask",
        }
    }
}

/// The four request kinds, each with its own generated policy.
#[derive(Clone, Copy)]
enum Kind {
    Domain,
    Cidr,
    Path,
    Mcp,
    /// Worst case: `n` label globs under one domain anchor.
    AnchorGlobs,
    /// Worst case: `n` general tool globs in one MCP server.
    ToolGlobs,
    /// Worst case: `n` general path globs under one literal prefix.
    PathGlobs,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Domain, Kind::Cidr, Kind::Path, Kind::Mcp];
    const HAZARDS: [Kind; 3] = [Kind::AnchorGlobs, Kind::ToolGlobs, Kind::PathGlobs];

    fn name(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Cidr => "cidr",
            Kind::Path => "path",
            Kind::Mcp => "mcp",
            Kind::AnchorGlobs => "domain_globs_one_anchor",
            Kind::ToolGlobs => "tool_globs_one_server",
            Kind::PathGlobs => "path_globs_one_prefix",
        }
    }

    fn seed(self) -> u64 {
        match self {
            Kind::Domain => 1,
            Kind::Cidr => 2,
            Kind::Path => 3,
            Kind::Mcp => 4,
            Kind::AnchorGlobs => 5,
            Kind::ToolGlobs => 6,
            Kind::PathGlobs => 7,
        }
    }
}

/// An owned request; [`Req::as_request`] borrows it as a [`Request`].
#[derive(Debug, Clone)]
enum Req {
    Net {
        host: Option<String>,
        ip: Option<String>,
        port: Option<u32>,
    },
    Path(String),
    Mcp {
        server: String,
        tool: String,
        source: Option<String>,
    },
}

impl Req {
    fn as_request(&self) -> Request<'_> {
        match self {
            Req::Net { host, ip, port } => Request::Network {
                host: host.as_deref(),
                ip: ip.as_deref(),
                port: *port,
            },
            Req::Path(path) => Request::Filesystem {
                path,
                access: Access::READ,
            },
            Req::Mcp {
                server,
                tool,
                source,
            } => Request::Mcp {
                server,
                tool: Some(tool),
                source: source.as_deref(),
            },
        }
    }
}

/// A generated block body (rule lines) and requests against it.
struct Generated {
    /// Lines inside the surface block (network, filesystem or mcp).
    body: String,
    requests: Vec<Req>,
}

/// `n` domain rules: exact `host{i}.{word}.com`, `*.z{i}.{word}.com`,
/// `**.z{i}.{word}.com` and `api-*.z{i}.{word}.com`, a third of them limited to
/// port 443. Distinct anchors, so no anchor holds more than one glob.
fn gen_domains(n: usize, rng: &mut Rng) -> Generated {
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
        requests.push(Req::Net {
            host: Some(host),
            ip: None,
            port,
        });
    }
    Generated { body, requests }
}

/// First octet no generated IPv4 rule covers (requests there miss).
const MISS_V4_OCTET: u32 = 203;

/// `n` address rules: IPv4 CIDRs of prefix /8 to /32 (outside
/// `203.0.0.0/8`) and, one in eight, IPv6 CIDRs in `2001:db8::/32` of prefix
/// /32 to /128. Misses ask about `203.0.0.0/8` and `2001:db9::/32`.
fn gen_cidrs(n: usize, rng: &mut Rng) -> Generated {
    let mut body = String::new();
    // (is_v6, network, prefix) per rule.
    let mut rules: Vec<(bool, u128, u32)> = Vec::with_capacity(n);
    for _ in 0..n {
        if rng.below(8) == 0 {
            let len = 32 + rng.below(97) as u32;
            let raw = (0x2001_0db8u128 << 96)
                | (u128::from(rng.next()) << 32)
                | u128::from(rng.next() as u32);
            let net = raw & (!0u128).checked_shl(128 - len).unwrap_or(0);
            let addr = std::net::Ipv6Addr::from(net);
            let _ = writeln!(body, "  {} {addr}/{len}", rng.effect());
            rules.push((true, net, len));
        } else {
            let len = 8 + rng.below(25) as u32;
            let mut raw = rng.next() as u32;
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
                let low = rng.next() as u32 & 0x00ff_ffff;
                std::net::Ipv4Addr::from((MISS_V4_OCTET << 24) | low).to_string()
            } else {
                std::net::Ipv6Addr::from((0x2001_0db9u128 << 96) | u128::from(rng.next()))
                    .to_string()
            }
        } else {
            let (v6, net, len) = rules[rng.below(n)];
            if v6 {
                let host = u128::from(rng.next()) & (!0u128).checked_shr(len).unwrap_or(0);
                std::net::Ipv6Addr::from(net | host).to_string()
            } else {
                let host = (rng.next() as u32) & (!0u32).checked_shr(len).unwrap_or(0);
                std::net::Ipv4Addr::from(net as u32 | host).to_string()
            }
        };
        requests.push(Req::Net {
            host: None,
            ip: Some(ip),
            port: Some(443),
        });
    }
    Generated { body, requests }
}

/// `n` path rules: literal `/srv/d{i}/f.txt`, prefix `/srv/d{i}/**`,
/// extension `/srv/**/*.e{i}`, mixed `/srv/d{i}/**/k/*.key` (one glob per
/// literal prefix), and a few under `$workspace` and `~`.
fn gen_paths(n: usize, rng: &mut Rng) -> Generated {
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
        requests.push(Req::Path(path));
    }
    Generated { body, requests }
}

/// MCP servers `s0`..`s3` (two pinned by source) sharing `n` tool rules:
/// per server two general globs (`*_admin`, `*secret*`), then exact
/// `get_{i}`, prefix `list_{i}_*`, exact pairs `create_{i}, update_{i}` and
/// prefix `delete_{i}*`.
fn gen_mcp(n: usize, rng: &mut Rng) -> Generated {
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
            tool,
            source,
        });
    }
    Generated { body, requests }
}

/// Worst case for domains: `api{i}-*.shared.example.com`, all under the one
/// anchor `shared.example.com`, so every request under it tests each glob.
fn gen_anchor_globs(n: usize, rng: &mut Rng) -> Generated {
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
            Req::Net {
                host: Some(host),
                ip: None,
                port: Some(443),
            }
        })
        .collect();
    Generated { body, requests }
}

/// Worst case for names: `n` suffix globs `*_t{i}` in one server, which no
/// hash holds, so every tool request tests each of them.
fn gen_tool_globs(n: usize, rng: &mut Rng) -> Generated {
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
                tool,
                source: None,
            }
        })
        .collect();
    Generated { body, requests }
}

/// Worst case for paths within the W0107 limit: `n` (at most 256) globs
/// `/data/**/x{i}*.log` sharing the literal prefix `/data`.
fn gen_path_globs(n: usize, rng: &mut Rng) -> Generated {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, "  {} read /data/**/x{i}*.log", rng.effect());
    }
    let requests = (0..REQUESTS)
        .map(|k| match k % 4 {
            3 => Req::Path(format!("/data/a/b/y{k}.log")),
            _ => Req::Path(format!("/data/a/b/x{}-1.log", rng.below(n))),
        })
        .collect();
    Generated { body, requests }
}

fn generate(kind: Kind, n: usize, rng: &mut Rng) -> Generated {
    match kind {
        Kind::Domain => gen_domains(n, rng),
        Kind::Cidr => gen_cidrs(n, rng),
        Kind::Path => gen_paths(n, rng),
        Kind::Mcp => gen_mcp(n, rng),
        Kind::AnchorGlobs => gen_anchor_globs(n, rng),
        Kind::ToolGlobs => gen_tool_globs(n, rng),
        Kind::PathGlobs => gen_path_globs(n, rng),
    }
}

fn block(kind: Kind) -> &'static str {
    match kind {
        Kind::Domain | Kind::Cidr | Kind::AnchorGlobs => "network",
        Kind::Path | Kind::PathGlobs => "filesystem",
        Kind::Mcp | Kind::ToolGlobs => "mcp",
    }
}

/// A whole policy file holding the given surface blocks.
fn policy_source(name: &str, blocks: &[(&str, String)]) -> String {
    let mut src = format!("policy {name}\nversion 1.0.0\n");
    for (block, body) in blocks {
        let _ = write!(src, "\n{block} {{\n  default deny\n{body}}}\n");
    }
    src
}

/// Check + compile `src`; panics on errors or warnings.
fn compile_bytes(src: &str) -> Vec<u8> {
    let checked = policy_lang::check::check_source(src);
    let Some(policy) = checked.policy else {
        panic!("generated policy has errors: {:?}", checked.diagnostics);
    };
    let compiled = policy_lang::compile::compile(&policy, src).expect("compile");
    assert!(
        compiled.warnings.is_empty(),
        "generated policy warns: {:?}",
        compiled.warnings
    );
    compiled.artifact.to_bytes()
}

/// A one-surface policy of `n` rules and its requests.
fn fixture(kind: Kind, n: usize) -> (Policy, Vec<Req>) {
    let mut rng = Rng::new(kind.seed() * 1_000_003 + n as u64);
    let g = generate(kind, n, &mut rng);
    let src = policy_source(
        &format!("bench-{}-{n}", kind.name()),
        &[(block(kind), g.body)],
    );
    let bytes = compile_bytes(&src);
    let policy = Policy::from_bytes(&bytes).expect("load");
    (policy, g.requests)
}

/// The compile / load fixture: `n` rules, a quarter of each kind.
fn mixed_source(n: usize) -> String {
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

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn bench_decide(c: &mut Criterion) {
    for kind in Kind::ALL {
        decide_group(c, "decide", kind, &SIZES);
    }
}

fn bench_hazards(c: &mut Criterion) {
    for kind in Kind::HAZARDS {
        // Path globs stay within the W0107 limit (256 per prefix).
        let sizes = match kind {
            Kind::PathGlobs => [10, 250],
            _ => HAZARD_SIZES,
        };
        decide_group(c, "hazard", kind, &sizes);
    }
}

/// Benchmarks `<prefix>/<kind>/<n>` for each size: one decision per
/// iteration, cycling through the fixture's requests.
fn decide_group(c: &mut Criterion, prefix: &str, kind: Kind, sizes: &[usize]) {
    let ctx = Context {
        roots: ROOTS,
        ..Default::default()
    };
    let name = format!("{prefix}/{}", kind.name());
    let mut group = c.benchmark_group(&name);
    for &n in sizes {
        // Built on first use, so a filtered run (`cargo bench -- path`) skips
        // the fixtures it does not measure.
        let mut fixture_cell: Option<(Policy, Vec<Req>)> = None;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let (policy, owned) = fixture_cell.get_or_insert_with(|| {
                let (policy, owned) = fixture(kind, n);
                let hits = owned
                    .iter()
                    .filter(|r| policy.decide(&r.as_request(), &ctx).rule.is_some())
                    .count();
                eprintln!(
                    "{name}/{n}: {hits} of {REQUESTS} requests decided by a rule, \
                     {} artifact bytes",
                    policy.artifact().to_bytes().len()
                );
                (policy, owned)
            });
            let reqs: Vec<Request<'_>> = owned.iter().map(Req::as_request).collect();
            let mut i = 0usize;
            b.iter(|| {
                let r = &reqs[i & (REQUESTS - 1)];
                i = i.wrapping_add(1);
                policy.decide(black_box(r), black_box(&ctx))
            });
        });
    }
    group.finish();
}

fn bench_compile_load(c: &mut Criterion) {
    // Built on first use, so a filtered run skips it.
    let mixed: OnceCell<(String, Vec<u8>)> = OnceCell::new();
    let mixed = || {
        mixed.get_or_init(|| {
            let src = mixed_source(BIG);
            let bytes = compile_bytes(&src);
            eprintln!(
                "artifact/mixed/{BIG}: {} bytes ({} source bytes)",
                bytes.len(),
                src.len()
            );
            (src, bytes)
        })
    };
    let mut group = c.benchmark_group("compile");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("check+compile", BIG), |b| {
        let src = &mixed().0;
        b.iter(|| {
            let checked = policy_lang::check::check_source(black_box(src));
            let policy = checked.policy.expect("checks");
            policy_lang::compile::compile(&policy, src).expect("compiles")
        });
    });
    group.finish();

    let mut group = c.benchmark_group("load");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("from_bytes", BIG), |b| {
        let bytes = &mixed().1;
        b.iter(|| Policy::from_bytes(black_box(bytes)).expect("loads"));
    });
    group.finish();
}

/// The JSON fixture: a 1,000-rule domain policy and one request it decides
/// by a rule, as JSON text and as the owned request.
fn json_fixture() -> (Policy, String, Req) {
    let (policy, reqs) = fixture(Kind::Domain, JSON_RULES);
    let ctx = Context::default();
    let req = reqs
        .into_iter()
        .find(|r| policy.decide(&r.as_request(), &ctx).rule.is_some())
        .expect("a hit");
    let Req::Net {
        host: Some(host),
        port,
        ..
    } = &req
    else {
        panic!("domain requests are network requests");
    };
    let port = port.map_or(String::new(), |p| format!(",\"port\":{p}"));
    let json = format!("{{\"surface\":\"network\",\"host\":\"{host}\"{port}}}");
    eprintln!("json/{JSON_RULES}: {json} -> {}", policy.decide_json(&json));
    (policy, json, req)
}

fn bench_json(c: &mut Criterion) {
    let fix: OnceCell<(Policy, String, Req)> = OnceCell::new();
    let fix = || fix.get_or_init(json_fixture);
    let ctx = Context::default();
    let mut group = c.benchmark_group("json");
    group.bench_function(BenchmarkId::new("decide_json", JSON_RULES), |b| {
        let (policy, json, _) = fix();
        b.iter(|| policy.decide_json(black_box(json)));
    });
    group.bench_function(BenchmarkId::new("decide_same_request", JSON_RULES), |b| {
        let (policy, _, req) = fix();
        let req = req.as_request();
        b.iter(|| policy.decide(black_box(&req), black_box(&ctx)));
    });
    group.finish();
}

/// The `cost` fixture: a few domain rules and extension rules (one of them
/// multi-dot), and the requests of the `cost` group by name.
fn cost_fixture() -> (Policy, Vec<(&'static str, Req)>) {
    let src = policy_source(
        "bench-cost",
        &[
            (
                "network",
                "  allow api.github.com port 443\n  allow **.example.com\n  deny evil.com\n"
                    .to_string(),
            ),
            (
                "filesystem",
                "  allow read /srv/**\n  allow read /srv/**/*.rs\n  deny read /srv/**/*.pem\n  \
                 deny read /srv/**/*.tar.gz\n  ask read /**/*.env\n"
                    .to_string(),
            ),
        ],
    );
    let policy = Policy::from_bytes(&compile_bytes(&src)).expect("load");
    let net = |host: String| Req::Net {
        host: Some(host),
        ip: None,
        port: Some(443),
    };
    // 340 distinct ideographs (3 bytes each) in one label: 1,024 bytes, the
    // longest host examined at all, and the worst case for Punycode, whose
    // encoder loops over the label once per distinct character.
    let ideographs: String = (0x4E00..0x4E00 + 340).filter_map(char::from_u32).collect();
    // Other 1 KB shapes, refused by the same count: 17 short labels of 19
    // ideographs (1,017 bytes), a label of 340 Ethiopic syllables (1,020
    // bytes); and 1 KB of ASCII labels, which never reaches IDNA.
    let labels = vec![&ideographs[..19 * 3]; 17].join("\u{3002}");
    let unlisted: String = (0..340)
        .filter_map(|i| char::from_u32(0x1200 + i % 0x48))
        .collect();
    let requests = vec![
        ("host_normal", net("api.github.com".into())),
        ("host_unicode_short", net("bücher.example.com".into())),
        ("host_unicode_1kb", net(format!("{ideographs}.com"))),
        ("host_unicode_1kb_labels", net(labels)),
        ("host_unicode_1kb_ethiopic", net(unlisted)),
        ("host_ascii_1kb", net(vec!["a".repeat(63); 16].join("."))),
        ("path_normal", Req::Path("/srv/app/src/main.rs".into())),
        (
            "path_254_dots",
            Req::Path(format!("/srv/app/{}", ".".repeat(254))),
        ),
    ];
    (policy, requests)
}

/// Hostile requests against a normal decision, in one group so the ratios
/// can be read from one run: a 1 KiB non-ASCII host (refused before IDNA)
/// and a last path segment of 254 dots (the extension probe), next to a
/// typical host and path, and a short legitimate Unicode host for scale.
fn bench_cost(c: &mut Criterion) {
    let fix: OnceCell<(Policy, Vec<(&'static str, Req)>)> = OnceCell::new();
    let fix = || {
        fix.get_or_init(|| {
            let (policy, requests) = cost_fixture();
            let ctx = Context::default();
            for (name, r) in &requests {
                eprintln!("cost/{name}: {:?}", policy.decide(&r.as_request(), &ctx));
            }
            (policy, requests)
        })
    };
    let ctx = Context::default();
    let mut group = c.benchmark_group("cost");
    for name in [
        "host_normal",
        "host_unicode_short",
        "host_unicode_1kb",
        "host_unicode_1kb_labels",
        "host_unicode_1kb_ethiopic",
        "host_ascii_1kb",
        "path_normal",
        "path_254_dots",
    ] {
        group.bench_function(name, |b| {
            let (policy, requests) = fix();
            let req = requests
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, r)| r.as_request())
                .expect("a cost request");
            b.iter(|| policy.decide(black_box(&req), black_box(&ctx)));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    let c = Criterion::default();
    if quick() {
        c.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(200))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_decide, bench_compile_load, bench_json, bench_hazards, bench_cost
}
criterion_main!(benches);
