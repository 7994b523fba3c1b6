//! This engine side by side with a hand-written floor, a naive matcher,
//! Cedar and Rego (regorus), on rule sets built by `benches/gen_data.py`
//! (see `benches/README.md`, "Peer engines").
//!
//! One run does, in order:
//! 1. builds every engine for every workload and size, timing this engine's
//!    compile and load and recording its artifact size;
//! 2. checks equivalence: on a sample of requests every engine must give the
//!    decision this engine gives (the count ends in `bench: N passed, M failed`);
//! 3. a latency histogram: N single decisions timed with `Instant`, sorted,
//!    for the median and p99 (written to `$PEERS_OUT/latency.json`);
//! 4. criterion: `<workload>/<engine>-<hot|cold>/<rules>`.
//!
//! `BENCH_QUICK=1` (or `--quick`): sizes 10 and 100, short criterion runs.

#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::ptr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use policy_eval::{Access, Context, Effect, Policy, Request};

const ALL_SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];
const QUICK_SIZES: [usize; 2] = [10, 100];
/// Largest rule count given to Cedar and regorus (linear engines: about
/// 20 ms per Cedar decision at 10k rules; 100k would take the run past 30 min).
const PEER_CAP: usize = 10_000;
/// Largest rule count of the naive path matchers (one regex per glob).
const NAIVE_GLOB_CAP: usize = 10_000;
/// Requests checked for equivalence per engine, workload and size.
const EQUIV_SAMPLE: usize = 256;
/// Fewer for the slow engines at large sizes.
const EQUIV_SAMPLE_SLOW: usize = 32;

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1") || std::env::args().any(|a| a == "--quick")
}

fn data_dir() -> PathBuf {
    std::env::var_os("PEERS_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    Domain,
    Cidr,
    Path,
    Mcp,
    Secret,
}

impl Workload {
    const ALL: [Workload; 5] = [
        Workload::Domain,
        Workload::Cidr,
        Workload::Path,
        Workload::Mcp,
        Workload::Secret,
    ];
    fn name(self) -> &'static str {
        match self {
            Workload::Domain => "domain",
            Workload::Cidr => "cidr",
            Workload::Path => "path",
            Workload::Mcp => "mcp",
            Workload::Secret => "secret",
        }
    }
}

fn read_lines(w: Workload, what: &str, n: usize) -> Vec<String> {
    let p = data_dir().join(w.name()).join(format!("{what}-{n}.txt"));
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run `python3 benches/gen_data.py`)", p.display()));
    text.lines().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------

/// One engine on one workload: decides request `i` of the stream.
trait Engine {
    fn decide(&mut self, i: usize) -> bool;
}

const ROOTS: &[(&str, &str)] = &[("home", "/home/u")];

fn policy_source(w: Workload, rules: &[String]) -> String {
    let mut s = format!("policy peers-{}\nversion 1.0.0\n\n", w.name());
    match w {
        Workload::Domain | Workload::Cidr => {
            s.push_str("network {\n  default deny\n");
            for r in rules {
                let r = if w == Workload::Domain {
                    format!("**.{r}")
                } else {
                    r.clone()
                };
                let _ = writeln!(s, "  allow {r}");
            }
        }
        Workload::Path => {
            s.push_str("filesystem {\n  default deny\n");
            for r in rules {
                let _ = writeln!(s, "  allow read {r}");
            }
        }
        Workload::Mcp => {
            s.push_str("mcp {\n  default deny\n  server s0 {\n");
            for r in rules {
                let _ = writeln!(s, "    allow {r}");
            }
            s.push_str("  }\n");
        }
        Workload::Secret => {
            s.push_str("credentials {\n  default deny\n");
            for r in rules {
                let _ = writeln!(s, "  allow {r}");
            }
        }
    }
    s.push_str("}\n");
    s
}

/// This engine's build figures for one workload and size.
struct Build {
    compile: Duration,
    load: Duration,
    bytes: usize,
    warnings: usize,
}

/// Builds `src` with [`policy_lang::build()`], the one pipeline production
/// uses (check, compile, encode, load back): the artifact bytes and the
/// number of compile warnings (W0107). The timed "compile" figure is this
/// whole build.
fn compile(src: &str) -> (Vec<u8>, usize) {
    let b = policy_lang::build(src);
    let warnings = b
        .diagnostics
        .iter()
        .filter(|d| d.code == policy_lang::diag::Code::SlowGlobGroup)
        .count();
    let Some(bytes) = b.bytes else {
        panic!(
            "policy has errors: {:?}",
            &b.diagnostics[..b.diagnostics.len().min(5)]
        );
    };
    (bytes, warnings)
}

fn build_ours(w: Workload, rules: &[String]) -> (Vec<u8>, Build) {
    let src = policy_source(w, rules);
    let runs = if rules.len() >= 10_000 { 1 } else { 3 };
    let mut compiles = Vec::new();
    let mut out = (Vec::new(), 0);
    for _ in 0..runs {
        let t = Instant::now();
        out = compile(&src);
        compiles.push(t.elapsed());
    }
    let mut loads = Vec::new();
    for _ in 0..runs.max(3) {
        let t = Instant::now();
        black_box(Policy::from_bytes(&out.0).expect("load"));
        loads.push(t.elapsed());
    }
    compiles.sort();
    loads.sort();
    let b = Build {
        compile: compiles[compiles.len() / 2],
        load: loads[loads.len() / 2],
        bytes: out.0.len(),
        warnings: out.1,
    };
    (out.0, b)
}

struct Ours {
    w: Workload,
    policy: Policy,
    reqs: Vec<String>,
}

fn ours_request(w: Workload, r: &str) -> Request<'_> {
    match w {
        Workload::Domain => Request::Network {
            host: Some(r),
            ip: None,
            port: None,
        },
        Workload::Cidr => Request::Network {
            host: None,
            ip: Some(r),
            port: None,
        },
        Workload::Path => Request::Filesystem {
            path: r,
            access: Access::READ,
        },
        Workload::Mcp => Request::Mcp {
            server: "s0",
            tool: Some(r),
            source: None,
        },
        Workload::Secret => Request::Credential {
            name: r,
            host: None,
            ip: None,
        },
    }
}

impl Engine for Ours {
    fn decide(&mut self, i: usize) -> bool {
        let ctx = Context {
            roots: ROOTS,
            ..Default::default()
        };
        let req = ours_request(self.w, &self.reqs[i]);
        self.policy.decide(&req, &ctx).effect == Effect::Allow
    }
}

/// This engine through the exported C functions (`policy_ffi::apol_*`).
struct CAbi {
    w: Workload,
    handle: *mut policy_ffi::apol_policy,
    reqs: Vec<String>,
}

impl CAbi {
    fn new(w: Workload, bytes: &[u8], reqs: Vec<String>) -> CAbi {
        let mut handle = ptr::null_mut();
        // SAFETY: valid pointers; a NULL err is allowed.
        let r = unsafe {
            policy_ffi::apol_policy_load(bytes.as_ptr(), bytes.len(), &mut handle, ptr::null_mut())
        };
        assert_eq!(r, policy_ffi::APOL_OK);
        CAbi { w, handle, reqs }
    }
}

impl Engine for CAbi {
    fn decide(&mut self, i: usize) -> bool {
        let s = self.reqs[i].as_str();
        let mut out = MaybeUninit::<policy_ffi::apol_decision>::uninit();
        let n = ptr::null();
        let e = ptr::null_mut();
        // SAFETY: live handle; strings and out pointers valid for the call.
        let r = unsafe {
            match self.w {
                Workload::Domain => policy_ffi::apol_decide_network(
                    self.handle,
                    s.as_ptr().cast(),
                    s.len(),
                    n,
                    0,
                    -1,
                    ptr::null(),
                    out.as_mut_ptr(),
                    e,
                ),
                Workload::Cidr => policy_ffi::apol_decide_network(
                    self.handle,
                    n,
                    0,
                    s.as_ptr().cast(),
                    s.len(),
                    -1,
                    ptr::null(),
                    out.as_mut_ptr(),
                    e,
                ),
                Workload::Path => policy_ffi::apol_decide_filesystem(
                    self.handle,
                    s.as_ptr().cast(),
                    s.len(),
                    policy_ffi::APOL_ACCESS_READ,
                    ptr::null(),
                    out.as_mut_ptr(),
                    e,
                ),
                Workload::Mcp => policy_ffi::apol_decide_mcp(
                    self.handle,
                    c"s0".as_ptr(),
                    2,
                    s.as_ptr().cast(),
                    s.len(),
                    n,
                    0,
                    ptr::null(),
                    out.as_mut_ptr(),
                    e,
                ),
                Workload::Secret => policy_ffi::apol_decide_credential(
                    self.handle,
                    s.as_ptr().cast(),
                    s.len(),
                    n,
                    0,
                    n,
                    0,
                    ptr::null(),
                    out.as_mut_ptr(),
                    e,
                ),
            }
        };
        debug_assert_eq!(r, policy_ffi::APOL_OK);
        // SAFETY: written, the call returned APOL_OK.
        let d = unsafe { out.assume_init() };
        d.effect == policy_ffi::APOL_EFFECT_ALLOW
    }
}

/// This engine through `Policy::decide_json`.
struct Json {
    policy: Policy,
    reqs: Vec<String>,
}

impl Json {
    fn new(w: Workload, policy: Policy, reqs: &[String]) -> Json {
        let reqs = reqs
            .iter()
            .map(|r| match w {
                Workload::Domain => format!("{{\"surface\":\"network\",\"host\":\"{r}\"}}"),
                Workload::Cidr => format!("{{\"surface\":\"network\",\"ip\":\"{r}\"}}"),
                Workload::Path => format!(
                    "{{\"surface\":\"filesystem\",\"path\":\"{r}\",\"access\":\"read\",\
                     \"context\":{{\"roots\":{{\"home\":\"/home/u\"}}}}}}"
                ),
                Workload::Mcp => {
                    format!("{{\"surface\":\"mcp\",\"server\":\"s0\",\"tool\":\"{r}\"}}")
                }
                Workload::Secret => format!("{{\"surface\":\"credential\",\"name\":\"{r}\"}}"),
            })
            .collect();
        Json { policy, reqs }
    }
}

impl Engine for Json {
    fn decide(&mut self, i: usize) -> bool {
        self.policy
            .decide_json(&self.reqs[i])
            .contains("\"decision\":\"allow\"")
    }
}

/// The hand-written floor: the best special-purpose check per workload.
enum Floor {
    /// Walk the host's parent suffixes in a HashSet.
    Domain(HashSet<Box<str>>, Vec<String>),
    /// Merged sorted intervals, binary search.
    Cidr(Vec<(u32, u32)>, Vec<String>),
    /// Exact names in a HashMap (name -> allow).
    Mcp(HashMap<Box<str>, bool>, Vec<String>),
    /// Upper-case names in a HashSet; the request is upper-cased into a
    /// stack buffer first (secret names compare case-insensitively).
    Secret(HashSet<Box<[u8]>>, Vec<String>),
}

impl Floor {
    fn new(w: Workload, rules: &[String], reqs: Vec<String>) -> Option<Floor> {
        Some(match w {
            Workload::Domain => {
                Floor::Domain(rules.iter().map(|r| r.as_str().into()).collect(), reqs)
            }
            Workload::Cidr => {
                let mut iv: Vec<(u32, u32)> = rules
                    .iter()
                    .map(|r| {
                        let net: ipnet::Ipv4Net = r.parse().unwrap();
                        (u32::from(net.network()), u32::from(net.broadcast()))
                    })
                    .collect();
                iv.sort_unstable();
                let mut merged: Vec<(u32, u32)> = Vec::with_capacity(iv.len());
                for (lo, hi) in iv {
                    match merged.last_mut() {
                        Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                        _ => merged.push((lo, hi)),
                    }
                }
                Floor::Cidr(merged, reqs)
            }
            Workload::Mcp => Floor::Mcp(
                rules.iter().map(|r| (r.as_str().into(), true)).collect(),
                reqs,
            ),
            Workload::Secret => Floor::Secret(
                rules
                    .iter()
                    .map(|r| r.to_ascii_uppercase().into_bytes().into())
                    .collect(),
                reqs,
            ),
            Workload::Path => return None,
        })
    }
}

impl Engine for Floor {
    fn decide(&mut self, i: usize) -> bool {
        match self {
            Floor::Domain(set, reqs) => {
                let mut h = reqs[i].as_str();
                loop {
                    if set.contains(h) {
                        return true;
                    }
                    match h.find('.') {
                        Some(p) => h = &h[p + 1..],
                        None => return false,
                    }
                }
            }
            Floor::Cidr(iv, reqs) => {
                let Ok(ip) = reqs[i].parse::<Ipv4Addr>() else {
                    return false;
                };
                let ip = u32::from(ip);
                let k = iv.partition_point(|&(lo, _)| lo <= ip);
                k > 0 && iv[k - 1].1 >= ip
            }
            Floor::Mcp(map, reqs) => map.get(reqs[i].as_str()).copied().unwrap_or(false),
            Floor::Secret(set, reqs) => {
                let r = reqs[i].as_bytes();
                let mut buf = [0u8; 128];
                let Some(b) = buf.get_mut(..r.len()) else {
                    return false;
                };
                b.copy_from_slice(r);
                b.make_ascii_uppercase();
                set.contains(&*b)
            }
        }
    }
}

/// The naive baseline: a loop over the rules, one matcher each.
enum Naive {
    Domain(Vec<(String, String)>, Vec<String>),
    Cidr(Vec<ipnet::Ipv4Net>, Vec<String>),
    PathLoop(Vec<globset::GlobMatcher>, Vec<String>),
    PathSet(globset::GlobSet, Vec<String>),
    Mcp(Vec<String>, Vec<String>),
    Secret(Vec<String>, Vec<String>),
}

fn glob(r: &str) -> globset::Glob {
    globset::GlobBuilder::new(r)
        .literal_separator(true)
        .build()
        .unwrap()
}

impl Engine for Naive {
    fn decide(&mut self, i: usize) -> bool {
        match self {
            Naive::Domain(rules, reqs) => {
                let h = reqs[i].as_str();
                rules
                    .iter()
                    .any(|(d, dot)| h == d || h.ends_with(dot.as_str()))
            }
            Naive::Cidr(nets, reqs) => {
                let Ok(ip) = reqs[i].parse::<Ipv4Addr>() else {
                    return false;
                };
                nets.iter().any(|n| n.contains(&ip))
            }
            Naive::PathLoop(globs, reqs) => {
                let p = reqs[i].as_str();
                globs.iter().any(|g| g.is_match(p))
            }
            Naive::PathSet(set, reqs) => set.is_match(reqs[i].as_str()),
            Naive::Mcp(names, reqs) => names.iter().any(|n| n == &reqs[i]),
            Naive::Secret(names, reqs) => names.iter().any(|n| n.eq_ignore_ascii_case(&reqs[i])),
        }
    }
}

/// Cedar: one `permit` per rule, pre-parsed; requests pre-built.
struct Cedar {
    set: cedar_policy::PolicySet,
    reqs: Vec<cedar_policy::Request>,
    auth: cedar_policy::Authorizer,
    entities: cedar_policy::Entities,
}

fn cedar_str(s: &str) -> String {
    format!("{s:?}")
}

impl Cedar {
    fn new(w: Workload, rules: &[String], reqs: &[String]) -> Cedar {
        let mut src = String::new();
        for r in rules {
            let cond = match w {
                Workload::Domain => {
                    format!(
                        "context.v == {} || context.v like {}",
                        cedar_str(r),
                        cedar_str(&format!("*.{r}"))
                    )
                }
                Workload::Cidr => format!("context.v.isInRange(ip({}))", cedar_str(r)),
                // Cedar's `*` crosses `/`: `/a/**` -> `/a/*`, `/srv/**/*.e` ->
                // `/srv/*.e`, `/a/**/k/*.key` -> `/a/*/k/*.key`. The requests
                // avoid the paths where these differ (see gen_data.py).
                Workload::Path => {
                    if r.contains('*') {
                        let l = r
                            .replace("/**/", "/*")
                            .replace("/**", "/*")
                            .replace("/*k/", "/*/k/");
                        format!("context.v like {}", cedar_str(&l))
                    } else {
                        format!("context.v == {}", cedar_str(r))
                    }
                }
                Workload::Mcp => {
                    format!("context.server == \"s0\" && context.v == {}", cedar_str(r))
                }
                // Cedar has no case folding: exact names, and the requests
                // are spelled as the rules are (upper case).
                Workload::Secret => format!("context.v == {}", cedar_str(r)),
            };
            let _ = writeln!(
                src,
                "permit(principal, action, resource) when {{ {cond} }};"
            );
        }
        let set: cedar_policy::PolicySet = src.parse().expect("cedar policies parse");
        let p: cedar_policy::EntityUid = r#"User::"agent""#.parse().unwrap();
        let a: cedar_policy::EntityUid = r#"Action::"decide""#.parse().unwrap();
        let res: cedar_policy::EntityUid = r#"Resource::"r""#.parse().unwrap();
        let reqs = reqs
            .iter()
            .map(|r| {
                let v = match w {
                    Workload::Cidr => serde_json::json!({"__extn": {"fn": "ip", "arg": r}}),
                    _ => serde_json::json!(r),
                };
                let ctx = cedar_policy::Context::from_json_value(
                    serde_json::json!({"v": v, "server": "s0"}),
                    None,
                )
                .expect("context");
                cedar_policy::Request::new(p.clone(), a.clone(), res.clone(), ctx, None)
                    .expect("request")
            })
            .collect();
        Cedar {
            set,
            reqs,
            auth: cedar_policy::Authorizer::new(),
            entities: cedar_policy::Entities::empty(),
        }
    }
}

impl Engine for Cedar {
    fn decide(&mut self, i: usize) -> bool {
        self.auth
            .is_authorized(&self.reqs[i], &self.set, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

/// Rego (regorus): one pre-parsed module iterating over the rules in data.
struct Rego {
    engine: regorus::Engine,
    inputs: Vec<regorus::Value>,
}

impl Rego {
    fn new(w: Workload, rules: &[String], reqs: &[String]) -> Rego {
        let (body, data) = match w {
            // `endswith` over ".d" plus equality: exactly `**.d`.
            Workload::Domain => (
                "allow if { some d in data.domains; input.v == d }\n\
                 allow if { some s in data.suffixes; endswith(input.v, s) }\n",
                serde_json::json!({
                    "domains": rules,
                    "suffixes": rules.iter().map(|r| format!(".{r}")).collect::<Vec<_>>(),
                }),
            ),
            Workload::Cidr => (
                "allow if { some c in data.cidrs; net.cidr_contains(c, input.v) }\n",
                serde_json::json!({ "cidrs": rules }),
            ),
            Workload::Path => (
                "allow if { some g in data.globs; glob.match(g, [\"/\"], input.v) }\n",
                serde_json::json!({ "globs": rules }),
            ),
            // An object keyed by tool name: a hash lookup, as an OPA user
            // would write it.
            Workload::Mcp => (
                "allow if { input.server == \"s0\"; data.tools[input.v] }\n",
                serde_json::json!({
                    "tools": rules.iter().map(|r| (r.clone(), serde_json::Value::Bool(true)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            ),
            // The same lookup after `upper` (names compare case-insensitively).
            Workload::Secret => (
                "allow if { data.secrets[upper(input.v)] }\n",
                serde_json::json!({
                    "secrets": rules.iter().map(|r| (r.to_ascii_uppercase(), serde_json::Value::Bool(true)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            ),
        };
        let mut engine = regorus::Engine::new();
        let src = format!("package bench\nimport rego.v1\n\ndefault allow := false\n\n{body}");
        engine
            .add_policy("bench.rego".into(), src)
            .expect("rego parses");
        engine
            .add_data(regorus::Value::from_json_str(&data.to_string()).unwrap())
            .unwrap();
        let inputs = reqs
            .iter()
            .map(|r| {
                regorus::Value::from_json_str(
                    &serde_json::json!({"v": r, "server": "s0"}).to_string(),
                )
                .unwrap()
            })
            .collect();
        Rego { engine, inputs }
    }
}

impl Engine for Rego {
    fn decide(&mut self, i: usize) -> bool {
        self.engine.set_input(self.inputs[i].clone());
        let v = self
            .engine
            .eval_rule("data.bench.allow".into())
            .expect("rego eval");
        v == regorus::Value::from(true)
    }
}

/// Every engine for one workload and size, by name.
fn engines(
    w: Workload,
    n: usize,
    rules: &[String],
    reqs: &[String],
    bytes: &[u8],
) -> Vec<(&'static str, Box<dyn Engine>)> {
    let policy = || Policy::from_bytes(bytes).expect("load");
    let mut v: Vec<(&'static str, Box<dyn Engine>)> = vec![
        (
            "ours",
            Box::new(Ours {
                w,
                policy: policy(),
                reqs: reqs.to_vec(),
            }),
        ),
        ("c_abi", Box::new(CAbi::new(w, bytes, reqs.to_vec()))),
        ("json", Box::new(Json::new(w, policy(), reqs))),
    ];
    if let Some(f) = Floor::new(w, rules, reqs.to_vec()) {
        v.push(("floor", Box::new(f)));
    }
    match w {
        Workload::Domain => v.push((
            "naive",
            Box::new(Naive::Domain(
                rules.iter().map(|r| (r.clone(), format!(".{r}"))).collect(),
                reqs.to_vec(),
            )),
        )),
        Workload::Cidr => v.push((
            "naive",
            Box::new(Naive::Cidr(
                rules.iter().map(|r| r.parse().unwrap()).collect(),
                reqs.to_vec(),
            )),
        )),
        Workload::Mcp => v.push(("naive", Box::new(Naive::Mcp(rules.to_vec(), reqs.to_vec())))),
        Workload::Secret => v.push((
            "naive",
            Box::new(Naive::Secret(rules.to_vec(), reqs.to_vec())),
        )),
        Workload::Path if n <= NAIVE_GLOB_CAP => {
            v.push((
                "naive",
                Box::new(Naive::PathLoop(
                    rules.iter().map(|r| glob(r).compile_matcher()).collect(),
                    reqs.to_vec(),
                )),
            ));
            let mut b = globset::GlobSetBuilder::new();
            for r in rules {
                b.add(glob(r));
            }
            v.push((
                "globset",
                Box::new(Naive::PathSet(b.build().unwrap(), reqs.to_vec())),
            ));
        }
        Workload::Path => {}
    }
    if n <= PEER_CAP {
        v.push(("cedar", Box::new(Cedar::new(w, rules, reqs))));
        v.push(("rego", Box::new(Rego::new(w, rules, reqs))));
    }
    v
}

fn slow(engine: &str, n: usize) -> bool {
    matches!(engine, "cedar" | "rego" | "naive" | "globset") && n >= 1_000
}

// ---------------------------------------------------------------------------
// Latency histogram
// ---------------------------------------------------------------------------

/// `count` single decisions timed with `Instant` (cold: walking the stream;
/// hot: request 0 each time), sorted; returns (median, p99) in ns.
fn histogram(e: &mut dyn Engine, len: usize, hot: bool, budget: Duration) -> (f64, f64, usize) {
    let start = Instant::now();
    let mut t = Vec::with_capacity(4096);
    let mut i = 0;
    while t.len() < 20_000 && (t.len() < 101 || start.elapsed() < budget) {
        let k = if hot { 0 } else { i % len };
        let s = Instant::now();
        black_box(e.decide(black_box(k)));
        t.push(s.elapsed().as_nanos() as f64);
        i += 1;
    }
    t.sort_by(f64::total_cmp);
    let q = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
    (q(0.5), q(0.99), t.len())
}

fn instant_overhead() -> f64 {
    let mut t: Vec<f64> = (0..10_000)
        .map(|_| {
            let s = Instant::now();
            s.elapsed().as_nanos() as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

/// `PEERS_PROFILE=<workload>/<rules>/<engine>` (`ours`, `c_abi` or `floor`):
/// instead of benchmarking, make `PEERS_PROFILE_N` (default 100,000) cold
/// decisions in `profile_loop`, for a profiler that can count one function
/// (`valgrind --tool=callgrind --cache-sim=yes --toggle-collect=*profile_loop*`;
/// see `benches/README.md`, "Profiling the cold growth").
fn profile(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [w, n, engine] = parts[..] else {
        panic!("PEERS_PROFILE={spec}: want <workload>/<rules>/<engine>")
    };
    let w = *Workload::ALL
        .iter()
        .find(|x| x.name() == w)
        .unwrap_or_else(|| panic!("unknown workload {w}"));
    let n: usize = n.parse().expect("rule count");
    let count: usize = std::env::var("PEERS_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rules = read_lines(w, "rules", n);
    let reqs = read_lines(w, "requests", n);
    let (bytes, _) = build_ours(w, &rules);
    let mut e: Box<dyn Engine> = match engine {
        "ours" => Box::new(Ours {
            w,
            policy: Policy::from_bytes(&bytes).expect("load"),
            reqs: reqs.clone(),
        }),
        "c_abi" => Box::new(CAbi::new(w, &bytes, reqs.clone())),
        "floor" => Box::new(
            Floor::new(w, &rules, reqs.clone())
                .unwrap_or_else(|| panic!("no floor for {}", w.name())),
        ),
        _ => panic!("PEERS_PROFILE engine {engine}: want ours, c_abi or floor"),
    };
    let allowed = profile_loop(e.as_mut(), reqs.len(), count);
    println!(
        "profile {spec}: {count} cold decisions over {} requests, {allowed} allowed",
        reqs.len()
    );
}

#[inline(never)]
fn profile_loop(e: &mut dyn Engine, len: usize, count: usize) -> usize {
    (0..count).filter(|&i| e.decide(black_box(i % len))).count()
}

fn main() {
    if let Ok(spec) = std::env::var("PEERS_PROFILE") {
        profile(&spec);
        return;
    }
    let quick = quick();
    let sizes: &[usize] = if quick { &QUICK_SIZES } else { &ALL_SIZES };
    // `cargo bench -- <filter>` passes the filter to criterion.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut c = Criterion::default().with_output_color(false);
    c = if quick {
        c.warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(100))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(1200))
            .sample_size(20)
    };
    if let Some(f) = &filter {
        c = c.with_filter(f.clone());
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut json = String::from("{\n");
    let _ = writeln!(
        json,
        "  \"quick\": {quick},\n  \"instant_overhead_ns\": {},",
        instant_overhead()
    );
    json.push_str("  \"latency\": [\n");
    let mut builds = String::new();
    let mut first = true;
    for w in Workload::ALL {
        for &n in sizes {
            let rules = read_lines(w, "rules", n);
            let reqs = read_lines(w, "requests", n);
            let (bytes, b) = build_ours(w, &rules);
            let _ = writeln!(
                builds,
                "    {{\"workload\": \"{}\", \"rules\": {n}, \"compile_ns\": {}, \"load_ns\": {}, \"bytes\": {}, \"warnings\": {}}},",
                w.name(), b.compile.as_nanos(), b.load.as_nanos(), b.bytes, b.warnings
            );
            let mut es = engines(w, n, &rules, &reqs, &bytes);
            // Equivalence: every engine agrees with this engine.
            let mut hits = 0;
            let expected: Vec<bool> = {
                let ours = &mut es[0].1;
                (0..reqs.len().min(EQUIV_SAMPLE))
                    .map(|i| ours.decide(i))
                    .collect()
            };
            hits += expected.iter().filter(|&&x| x).count();
            for (name, e) in es.iter_mut() {
                let k = if slow(name, n) {
                    EQUIV_SAMPLE_SLOW
                } else {
                    EQUIV_SAMPLE
                }
                .min(expected.len());
                let bad: Vec<usize> = (0..k).filter(|&i| e.decide(i) != expected[i]).collect();
                if bad.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                    let i = bad[0];
                    eprintln!(
                        "EQUIV FAIL {}/{n} {name}: {} of {k} differ, e.g. {:?}: ours {} {name} {}",
                        w.name(),
                        bad.len(),
                        reqs[i],
                        expected[i],
                        !expected[i]
                    );
                }
            }
            eprintln!(
                "{}/{n}: {} engines, {hits} of {} sampled requests allowed, {} bytes, compile {:?}, load {:?}, {} warnings",
                w.name(), es.len(), expected.len(), b.bytes, b.compile, b.load, b.warnings
            );
            // Latency histogram (outside criterion).
            let budget = Duration::from_millis(if quick { 20 } else { 300 });
            for (name, e) in es.iter_mut() {
                for hot in [true, false] {
                    let (p50, p99, count) = histogram(e.as_mut(), reqs.len(), hot, budget);
                    if !first {
                        json.push_str(",\n");
                    }
                    first = false;
                    let _ = write!(
                        json,
                        "    {{\"workload\": \"{}\", \"engine\": \"{name}\", \"rules\": {n}, \"mode\": \"{}\", \"p50_ns\": {p50}, \"p99_ns\": {p99}, \"count\": {count}}}",
                        w.name(), if hot { "hot" } else { "cold" }
                    );
                }
            }
            // Criterion.
            let mut g = c.benchmark_group(w.name());
            for (name, e) in es.iter_mut() {
                if slow(name, n) {
                    g.sampling_mode(SamplingMode::Flat).sample_size(10);
                } else {
                    g.sampling_mode(SamplingMode::Auto)
                        .sample_size(if quick { 10 } else { 20 });
                }
                let len = reqs.len();
                g.bench_function(BenchmarkId::new(format!("{name}-hot"), n), |bn| {
                    bn.iter(|| e.decide(black_box(0)))
                });
                g.bench_function(BenchmarkId::new(format!("{name}-cold"), n), |bn| {
                    let mut i = 0usize;
                    bn.iter(|| {
                        let r = e.decide(black_box(i));
                        i += 1;
                        if i == len {
                            i = 0;
                        }
                        r
                    })
                });
            }
            g.finish();
        }
    }
    json.push_str("\n  ],\n  \"build\": [\n");
    json.push_str(builds.trim_end().trim_end_matches(','));
    json.push_str("\n  ]\n}\n");
    let out = std::env::var_os("PEERS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(data_dir);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("latency.json"), json).unwrap();
    c.final_summary();
    println!("bench: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
