//! This engine: the policy source for a workload, its build (timed), and its
//! three interfaces: the Rust API, the C ABI and JSON.

use std::fmt::Write as _;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ptr;
use std::time::{Duration, Instant};

use policy_eval::{Access, Context, Effect, Policy, Request};
use policy_ffi as ffi;

use crate::data::Workload;
use crate::engine::Engine;

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
pub struct Build {
    pub compile: Duration,
    pub load: Duration,
    pub bytes: usize,
    pub warnings: usize,
}

/// Builds `src` with [`policy_lang::build()`], the one pipeline production
/// uses (check, compile, encode, load back): the artifact bytes and the
/// number of compile warnings. The timed "compile" figure is this
/// whole build.
fn compile(src: &str) -> (Vec<u8>, usize) {
    let b = policy_lang::build(src);
    let warnings = b
        .diagnostics
        .iter()
        .filter(|d| d.severity() == policy_lang::diag::Severity::Warning)
        .count();
    let Some(bytes) = b.bytes else {
        panic!(
            "policy has errors: {:?}",
            &b.diagnostics[..b.diagnostics.len().min(5)]
        );
    };
    (bytes, warnings)
}

/// The artifact for `rules`, with the median compile and load times.
pub fn build_ours(w: Workload, rules: &[String]) -> (Vec<u8>, Build) {
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

fn load(bytes: &[u8]) -> Policy {
    Policy::from_bytes(bytes).expect("load")
}

/// This engine through `Policy::decide`.
pub struct Ours {
    w: Workload,
    policy: Policy,
    reqs: Vec<String>,
}

impl Ours {
    pub fn new(w: Workload, bytes: &[u8], reqs: Vec<String>) -> Ours {
        Ours {
            w,
            policy: load(bytes),
            reqs,
        }
    }
}

fn ours_request(w: Workload, r: &str) -> Request<'_> {
    match w {
        Workload::Domain => Request::Network {
            host: Some(r),
            ip: None,
            port: None,
            http: None,
        },
        Workload::Cidr => Request::Network {
            host: None,
            ip: Some(r),
            port: None,
            http: None,
        },
        Workload::Path => Request::Filesystem {
            path: r,
            access: Access::READ,
        },
        Workload::Mcp => Request::Mcp {
            server: "s0",
            tool: Some(r),
            source: None,
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
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
pub struct CAbi {
    w: Workload,
    handle: *mut ffi::apol_policy,
    reqs: Vec<String>,
}

impl CAbi {
    pub fn new(w: Workload, bytes: &[u8], reqs: Vec<String>) -> CAbi {
        let mut handle = ptr::null_mut();
        // SAFETY: valid pointers; a NULL err is allowed.
        let r = unsafe {
            ffi::apol_policy_load(bytes.as_ptr(), bytes.len(), &mut handle, ptr::null_mut())
        };
        assert_eq!(r, ffi::APOL_OK);
        CAbi { w, handle, reqs }
    }
}

impl Engine for CAbi {
    fn decide(&mut self, i: usize) -> bool {
        let s = self.reqs[i].as_str();
        let mut out = MaybeUninit::<ffi::apol_decision>::uninit();
        // The request string, an absent string, and what every call shares:
        // the handle, no context, the decision out-pointer, no error.
        let (r, len, none) = (s.as_ptr().cast(), s.len(), ptr::null());
        let (h, ctx, o, e) = (self.handle, ptr::null(), out.as_mut_ptr(), ptr::null_mut());
        // SAFETY: live handle; strings and out pointers valid for the call.
        let rc = unsafe {
            match self.w {
                Workload::Domain => ffi::apol_decide_network(h, r, len, none, 0, -1, ctx, o, e),
                Workload::Cidr => ffi::apol_decide_network(h, none, 0, r, len, -1, ctx, o, e),
                Workload::Path => {
                    let read = ffi::APOL_ACCESS_READ;
                    ffi::apol_decide_filesystem(h, r, len, read, ctx, o, e)
                }
                Workload::Mcp => {
                    let s0 = c"s0".as_ptr();
                    ffi::apol_decide_mcp(h, s0, 2, r, len, none, 0, ctx, o, e)
                }
                Workload::Secret => {
                    ffi::apol_decide_credential(h, r, len, none, 0, none, 0, ctx, o, e)
                }
            }
        };
        debug_assert_eq!(rc, ffi::APOL_OK);
        // SAFETY: written, the call returned APOL_OK.
        let d = unsafe { out.assume_init() };
        d.effect == ffi::APOL_EFFECT_ALLOW
    }
}

/// This engine through `Policy::decide_json`.
pub struct Json {
    policy: Policy,
    reqs: Vec<String>,
}

impl Json {
    pub fn new(w: Workload, bytes: &[u8], reqs: &[String]) -> Json {
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
        Json {
            policy: load(bytes),
            reqs,
        }
    }
}

impl Engine for Json {
    fn decide(&mut self, i: usize) -> bool {
        self.policy
            .decide_json(&self.reqs[i])
            .contains("\"decision\":\"allow\"")
    }
}
