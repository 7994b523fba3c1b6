//! Fuzz target bodies, one function per target, each taking the raw fuzz
//! input.
//!
//! The cargo-fuzz crate in `fuzz/` only forwards to these functions, and
//! `tests/fuzz_corpus.rs` replays the committed seed corpora and every saved
//! crash (`fuzz/regressions/<target>/`) through them on stable Rust, so a
//! crash found once stays a test. A panic is how a target reports a failure:
//! every check below is an invariant of `ARCHITECTURE.md` or `spec/`.
//!
//! | target | input | checks |
//! | --- | --- | --- |
//! | [`parse_check`] | any bytes | the front end never panics; spans lie inside the source |
//! | [`compile`] | policy text, or bytes decoded into a generated policy | a clean policy compiles, loads, round-trips and decides like the reference |
//! | [`artifact_load`] | an artifact, or a mutation program over fixed artifacts | loading never panics; whatever loads decides consistently |
//! | [`json_request`] | a JSON request | `decide_json` never panics, its output is well formed and agrees with the reference interpreter |
//! | [`differential`] | bytes decoded into a policy and requests | compiled tables (direct and after a round trip) decide like the reference |
//!
//! The generator vocabulary ([`vocab`]), the policy and request generators
//! and the decision comparison ([`same`]) are those of the differential
//! property test (`tests/differential.rs`), driven by
//! [`arbitrary::Unstructured`] instead of proptest strategies.

// A failed check must stop the fuzzer with a message: panicking is the point
// of these functions (the workspace lints deny it elsewhere).
#![allow(clippy::panic)]

use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use arbitrary::{Arbitrary, Unstructured};
use policy_eval::event::Event;
use policy_eval::json::parse_request;
use policy_eval::wire::{crc32, HEADER_LEN, MAGIC};
use policy_eval::{Access, Context, Decision, Policy, Reason, Request};
use policy_lang::check::{self, CheckResult};
use policy_lang::compile::CompileError;
use policy_lang::diag::LineIndex;
use policy_lang::model::CheckedPolicy;
use policy_lang::reference;

/// A fuzz target body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse_check", parse_check),
    ("compile", compile),
    ("artifact_load", artifact_load),
    ("json_request", json_request),
    ("differential", differential),
];

// ---------------------------------------------------------------------------
// parse_check
// ---------------------------------------------------------------------------

/// The parser and checker on arbitrary bytes ([`check::check_bytes`], the
/// file entry point) and, when they are not UTF-8, on their lossy decoding
/// ([`check::check_source`]). Never panics; the result is consistent and
/// every span (primary and notes) lies inside the source, on character
/// boundaries.
pub fn parse_check(data: &[u8]) {
    let text = std::str::from_utf8(data).ok();
    check_result(data, text, &check::check_bytes(data));
    if text.is_none() {
        let lossy = String::from_utf8_lossy(data);
        check_result(lossy.as_bytes(), Some(&lossy), &check::check_source(&lossy));
    }
}

fn check_result(bytes: &[u8], text: Option<&str>, r: &CheckResult) {
    assert_eq!(
        r.policy.is_some(),
        !r.has_errors(),
        "a policy is returned exactly when there is no error: {:?}",
        r.diagnostics
    );
    assert!(
        r.diagnostics.len() <= policy_eval::limits::MAX_DIAGNOSTICS + 1,
        "{} diagnostics",
        r.diagnostics.len()
    );
    let lines = text.map(LineIndex::new);
    for d in &r.diagnostics {
        let spans = std::iter::once(d.span).chain(d.notes.iter().map(|(s, _)| *s));
        for span in spans {
            assert!(
                span.start <= span.end && span.end <= bytes.len(),
                "span {span:?} outside a source of {} bytes: {d:?}",
                bytes.len()
            );
            if let (Some(text), Some(lines)) = (text, &lines) {
                assert!(
                    text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                    "span {span:?} splits a character: {d:?}"
                );
                let _ = lines.line_col(text, span.start);
                let _ = lines.line_col(text, span.end);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// compile
// ---------------------------------------------------------------------------

/// The compiler on policies that pass the checker: the input itself when it
/// is a clean policy text (the seeds are), otherwise a policy generated from
/// the input bytes. A clean policy must compile (or exceed the table budget,
/// a reported compile error), encode, load with [`Policy::from_bytes`],
/// re-encode to the same bytes, and decide a fixed set of probe requests
/// like the reference interpreter.
pub fn compile(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(policy) = check::check_source(text).policy {
            compile_and_load(&policy, text);
            return;
        }
    }
    let mut u = Unstructured::new(data);
    let Ok(generated) = policy_text(&mut u) else {
        return;
    };
    match check::check_source(&generated.source).policy {
        Some(policy) => compile_and_load(&policy, &generated.source),
        None => assert_wild(&generated),
    }
}

/// Compiles a checked policy and loads the artifact directly and from its
/// bytes (both must load); `None` when the policy exceeds the table budget,
/// an accepted compile error.
fn compile_both(checked: &CheckedPolicy, source: &str) -> Option<(Policy, Policy, Vec<u8>)> {
    let compiled = match policy_lang::compile::compile(checked, source) {
        Ok(c) => c,
        Err(CompileError::Budget { .. }) => return None,
    };
    let bytes = compiled.artifact.to_bytes();
    let direct = match Policy::from_artifact(compiled.artifact) {
        Ok(p) => p,
        Err(e) => panic!("compiled artifact refused: {e}\n{source}"),
    };
    let loaded = match Policy::from_bytes(&bytes) {
        Ok(p) => p,
        Err(e) => panic!("encoded artifact refused: {e}\n{source}"),
    };
    Some((direct, loaded, bytes))
}

/// Compiles a checked policy, loads it both ways, checks the round trip and
/// compares decisions on the probe requests with the reference interpreter.
fn compile_and_load(checked: &CheckedPolicy, source: &str) {
    let Some((direct, loaded, bytes)) = compile_both(checked, source) else {
        return;
    };
    assert!(
        loaded.artifact() == direct.artifact(),
        "the artifact changed in a round trip\n{source}"
    );
    assert!(
        loaded.artifact().to_bytes() == bytes,
        "re-encoding changed the bytes\n{source}"
    );
    for_each_probe(|req, ctx| {
        let want = reference::decide(checked, req, ctx);
        let got = loaded.decide(req, ctx);
        assert!(
            same(&want, &got),
            "loaded {got:?} != reference {want:?}\nrequest {req:?} {ctx:?}\n{source}"
        );
    });
}

// ---------------------------------------------------------------------------
// artifact_load
// ---------------------------------------------------------------------------

/// [`Policy::from_bytes`] on the input, and on mutated valid artifacts.
///
/// * Input starting with the artifact magic is loaded as it is, then again
///   with its header's payload length and CRC-32 recomputed, so mutations of
///   the artifact seeds reach the tables instead of stopping at the checksum.
/// * Any other input is loaded as it is (arbitrary bytes), then read as a
///   mutation program over one of [`FIXED_POLICIES`]' artifacts: overwrite,
///   flip, insert, delete, truncate, write a `u32` (counts, lengths, list
///   references), then fix the header (usually).
///
/// Whatever loads must decide every probe request without panicking, name
/// only rules of the request's surface, and re-encode to the bytes it was
/// loaded from.
pub fn artifact_load(data: &[u8]) {
    exercise_bytes(data);
    if data.starts_with(&MAGIC) {
        let mut fixed = data.to_vec();
        fix_header(&mut fixed, true, true);
        exercise_bytes(&fixed);
        return;
    }
    let mut u = Unstructured::new(data);
    if let Ok(mutated) = mutate_fixed(&mut u) {
        exercise_bytes(&mutated);
    }
}

fn mutate_fixed(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let fixed = fixed();
    let base = u.choose(fixed)?;
    let mut buf = base.bytes.clone();
    let ops = u.int_in_range(1..=8u8)?;
    for _ in 0..ops {
        let len = buf.len();
        // Offsets mostly in the payload, where the tables are.
        let offset = |u: &mut Unstructured<'_>| -> arbitrary::Result<usize> {
            if len == 0 {
                Ok(0)
            } else if len > HEADER_LEN && u.ratio(7, 8)? {
                u.int_in_range(HEADER_LEN..=len - 1)
            } else {
                u.int_in_range(0..=len - 1)
            }
        };
        match u.int_in_range(0..=6u8)? {
            0 => {
                let at = offset(u)?;
                let v = u8::arbitrary(u)?;
                if let Some(b) = buf.get_mut(at) {
                    *b = v;
                }
            }
            1 => {
                let at = offset(u)?;
                let bit = u.int_in_range(0..=7u8)?;
                if let Some(b) = buf.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            2 => {
                let at = offset(u)?;
                buf.truncate(at);
            }
            3 => {
                let at = offset(u)?.min(buf.len());
                let n = u.int_in_range(1..=16usize)?;
                let bytes = u.bytes(n.min(u.len()))?;
                buf.splice(at..at, bytes.iter().copied());
            }
            4 => {
                let at = offset(u)?.min(buf.len());
                let n = u.int_in_range(1..=64usize)?;
                buf.drain(at..(at + n).min(buf.len()));
            }
            5 => {
                let at = offset(u)?;
                let v = match u.int_in_range(0..=5u8)? {
                    0 => 0,
                    1 => 1,
                    2 => u32::MAX,
                    3 => u32::try_from(len).unwrap_or(u32::MAX),
                    4 => u.int_in_range(0..=64u32)?,
                    _ => u32::arbitrary(u)?,
                };
                for (i, b) in v.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = buf.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            _ => {
                // Copy a chunk over another place (duplicated strings, counts).
                let from = offset(u)?;
                let to = offset(u)?;
                let n = u.int_in_range(1..=32usize)?;
                let chunk: Vec<u8> = buf.iter().skip(from).take(n).copied().collect();
                for (i, b) in chunk.into_iter().enumerate() {
                    if let Some(slot) = buf.get_mut(to + i) {
                        *slot = b;
                    }
                }
            }
        }
    }
    let (length, crc) = match u.int_in_range(0..=7u8)? {
        0 => (false, false),
        1 => (false, true),
        _ => (true, true),
    };
    fix_header(&mut buf, length, crc);
    Ok(buf)
}

/// Rewrites the header's payload length and CRC-32 to match the bytes after
/// it (when the buffer holds a whole header).
fn fix_header(buf: &mut [u8], length: bool, crc: bool) {
    if buf.len() < HEADER_LEN {
        return;
    }
    let (header, payload) = buf.split_at_mut(HEADER_LEN);
    if length {
        if let Some(slot) = header.get_mut(16..24) {
            slot.copy_from_slice(&(payload.len() as u64).to_le_bytes());
        }
    }
    if crc {
        if let Some(slot) = header.get_mut(24..28) {
            slot.copy_from_slice(&crc32(payload).to_le_bytes());
        }
    }
}

/// Loads `bytes`; if they load, decides every probe request and checks what
/// can be checked without a source.
fn exercise_bytes(bytes: &[u8]) {
    let Ok(policy) = Policy::from_bytes(bytes) else {
        return;
    };
    assert!(
        policy.artifact().to_bytes() == bytes,
        "an accepted artifact does not re-encode to its bytes"
    );
    let roots: Vec<(String, String)> = policy
        .required_roots()
        .map(|n| (n.to_string(), format!("/r/{n}")))
        .collect();
    let bound: Vec<(&str, &str)> = roots
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    let bound_ctx = Context {
        roots: &bound,
        ..Context::default()
    };
    let mut first = true;
    for_each_probe(|req, ctx| {
        for ctx in [ctx, &bound_ctx] {
            let d = policy.decide(req, ctx);
            check_decision(&policy, req, &d);
            let json = policy.decision_json(&d);
            assert!(json.starts_with("{\"decision\":"), "{json}");
            if std::mem::take(&mut first) {
                check_event(&Event::at(&policy, req, ctx, &d, UNIX_EPOCH));
            }
        }
    });
}

/// What every decision of a loaded policy satisfies, whatever its tables.
fn check_decision(policy: &Policy, req: &Request<'_>, d: &Decision) {
    match (d.reason, d.rule) {
        (Reason::Rule, Some(i)) => {
            let Some(rule) = policy.rule(i) else {
                panic!("decision names rule {i}, which does not exist: {req:?}");
            };
            assert_eq!(rule.surface, req.surface(), "rule {i} decided {req:?}");
            assert_eq!(rule.effect, d.effect, "rule {i} decided {req:?}");
        }
        (Reason::Rule, None) => panic!("decision by a rule names none: {req:?} {d:?}"),
        (_, Some(_)) => panic!("decision names a rule without reason rule: {req:?} {d:?}"),
        (Reason::Invalid(_), None) => assert_eq!(d.effect, policy_eval::Effect::Deny),
        // A send to a local address that no rule names is denied whatever
        // the credentials default (spec/language.md section 9).
        (Reason::Default, None)
            if d.effect == policy_eval::Effect::Deny
                && matches!(req, Request::Credential { host, ip, .. } if host.is_some() || ip.is_some()) =>
            {}
        (Reason::Default, None) => {
            let want = policy.artifact().defaults.get(req.surface() as usize);
            assert_eq!(Some(&d.effect), want, "default for {req:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// json_request
// ---------------------------------------------------------------------------

/// [`Policy::decide_json`] on the input (lossily decoded when not UTF-8)
/// against each of [`FIXED_POLICIES`]. The output is one well-formed
/// decision object; it matches the typed decision of the parsed request,
/// which matches the reference interpreter.
pub fn json_request(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let parsed = parse_request(&input);
    for f in fixed() {
        let out = f.policy.decide_json(&input);
        let detailed = f.policy.decide_json_detailed(&input);
        assert_eq!(out, f.policy.decision_json(&detailed.decision));
        check_decision_json(&f.policy, &out, &detailed.decision);
        match &parsed {
            Ok(req) => req.with(|r, c| {
                let got = f.policy.decide(r, c);
                assert_eq!(got, detailed.decision, "{input}");
                check_decision(&f.policy, r, &got);
                check_event(&Event::at(&f.policy, r, c, &got, UNIX_EPOCH));
                let want = reference::decide(&f.checked, r, c);
                assert!(
                    same(&want, &got),
                    "compiled {got:?} != reference {want:?}\nrequest {input}\npolicy {}",
                    f.name
                );
            }),
            Err(why) => {
                assert_eq!(detailed.decision, Decision::invalid(*why), "{input}");
                check_event(&Event::unparsed(&f.policy, &detailed.decision, UNIX_EPOCH));
            }
        }
    }
}

/// A decision event is one line of JSON.
fn check_event(e: &Event) {
    let line = e.to_json_line();
    let body = line.strip_suffix('\n').unwrap_or_default();
    assert!(!body.contains('\n'), "event spans lines: {line}");
    if let Err(err) = serde_json::from_str::<serde_json::Value>(body) {
        panic!("event is not JSON ({err}): {line}");
    }
}

fn check_decision_json(policy: &Policy, out: &str, d: &Decision) {
    let v: serde_json::Value = match serde_json::from_str(out) {
        Ok(v) => v,
        Err(e) => panic!("decision is not JSON ({e}): {out}"),
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str());
    assert_eq!(
        field("decision"),
        Some(policy_eval::effect_str(d.effect)),
        "{out}"
    );
    assert_eq!(field("reason"), Some(d.reason.as_str()), "{out}");
    let rule = d.rule.and_then(|i| policy.rule(i)).map(|r| r.id.as_str());
    assert_eq!(field("rule"), rule, "{out}");
    if matches!(d.reason, Reason::Invalid(_)) {
        assert!(field("message").is_some_and(|m| !m.is_empty()), "{out}");
    }
}

// ---------------------------------------------------------------------------
// differential
// ---------------------------------------------------------------------------

/// A generated policy (the shape of `tests/differential.rs`) and up to 16
/// generated, often hostile, requests: the compiled tables, directly and
/// after an artifact round trip, decide each as the reference interpreter.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(generated) = policy_text(&mut u) else {
        return;
    };
    let source = &generated.source;
    let checked = check::check_source(source);
    let Some(policy) = checked.policy else {
        assert_wild(&generated);
        return;
    };
    let Some((direct, loaded, _)) = compile_both(&policy, source) else {
        return;
    };
    let Ok(n) = u.int_in_range(1..=16u8) else {
        return;
    };
    for _ in 0..n {
        let Ok((req, roots)) = request(&mut u) else {
            return;
        };
        let ctx = Context {
            roots,
            ..Context::default()
        };
        let want = reference::decide(&policy, &req, &ctx);
        let got = direct.decide(&req, &ctx);
        assert!(
            same(&want, &got),
            "compiled {got:?} != reference {want:?}\nrequest {req:?} {ctx:?}\n{source}"
        );
        let got = loaded.decide(&req, &ctx);
        assert!(
            same(&want, &got),
            "loaded {got:?} != reference {want:?}\nrequest {req:?} {ctx:?}\n{source}"
        );
    }
}

// ---------------------------------------------------------------------------
// Shared: comparison, generators, fixed policies, probe requests
// ---------------------------------------------------------------------------

/// Decisions compare on everything but the exact invalid-request variant,
/// which depends on the order fields are validated in (as in
/// `tests/differential.rs`).
pub fn same(a: &Decision, b: &Decision) -> bool {
    let kind = |r: &Reason| std::mem::discriminant(r);
    a.effect == b.effect
        && a.rule == b.rule
        && kind(&a.reason) == kind(&b.reason)
        && a.lifetime == b.lifetime
}

/// The generator vocabulary of `tests/differential.rs`: patterns that check
/// clean, and request fields that hit them, miss them, or are hostile.
pub mod vocab {
    /// Rule effects.
    pub const EFFECTS: &[&str] = &["allow", "deny", "ask"];

    /// Network targets (domains, addresses, sets), also `to` destinations.
    pub const DOMAINS: &[&str] = &[
        "example.com",
        "*.example.com",
        "**.example.com",
        "api-*.example.com",
        "a.*.example.com",
        "*",
        "**.com",
        "b.example.com",
        "bücher.example",
        "**.a-*.test.org",
        "*-x*.example.com",
        "10.0.0.0/8",
        "10.1.0.0/16",
        "127.0.0.1",
        "::1",
        "fc00::/7",
        "@private",
        "@loopback",
        "@metadata",
        "192.168.1.0/24",
        "::ffff:192.168.0.0/112",
        "169.254.169.254",
        "@link-local",
        "64:ff9b::/96",
        "2002::/16",
    ];

    /// Request hosts.
    pub const HOSTS: &[&str] = &[
        "example.com",
        "EXAMPLE.com.",
        "example.com..",
        "b.example.com",
        "x.b.example.com",
        "api-1.example.com",
        "api-.example.com",
        "a.q.example.com",
        "a.b.q.example.com",
        "com",
        "q-xy.example.com",
        "bücher.example",
        "xn--bcher-kva.example",
        "z.a-1.test.org",
        "test.org",
        "localhost",
        "x.localhost",
        "metadata.google.internal",
        "127.0.0.1",
        "127.1",
        "0x7f.1",
        "2130706433",
        "::ffff:10.1.2.3",
        "[::1]",
        "10.0.0.5",
        "",
        "a..b",
        "evil.com/x",
        "user@example.com",
        "example.com:443",
        "fe80::1%eth0",
        "[64:ff9b::a9fe:a9fe]",
        "2002:a00:1::1",
    ];

    /// Request IP addresses.
    pub const IPS: &[&str] = &[
        "10.1.2.3",
        "10.2.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "fd00::1",
        "::ffff:192.168.1.7",
        "8.8.8.8",
        "::1",
        "192.168.0.9",
        "1.2.3",
        "garbage",
        // IPv6 forms embedding IPv4 (NAT64, local-use NAT64, SIIT, 6to4,
        // Teredo, ISATAP), and other local addresses.
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.1.2.3",
        "64:ff9b:1::c0a8:107",
        "::ffff:0:10.0.0.1",
        "2002:7f00:1::1",
        "2001:0:4136:e378:8000:63bf:3f57:fefd",
        "2001:db8::5efe:10.1.2.3",
        "fe80::1",
        "fec0::1",
        "100.100.100.200",
    ];

    /// Port clauses of network rules.
    pub const PORT_LISTS: &[&str] = &["", " port 443", " ports 80, 443", " port 8000-9000"];

    /// Request ports.
    pub const PORTS: &[u32] = &[22, 80, 443, 8080, 8500, 0, 70000];

    /// Path patterns.
    pub const PATHS: &[&str] = &[
        "/etc/**",
        "/etc/passwd",
        "~/.ssh/**",
        "$workspace/**",
        "$workspace/src/*.rs",
        "/**/*.key",
        "~/{a,b}/**",
        "/tmp/?x",
        "/var/[a-c]*/log",
        "$workspace/**/target/**",
        "/",
        "~",
        "/x/**/y/*.pem",
        "/tmp/*",
    ];

    /// Filesystem rule access clauses.
    pub const ACCESS: &[&str] = &["read", "write", "read write"];

    /// Request paths.
    pub const REQ_PATHS: &[&str] = &[
        "/etc/passwd",
        "/etc",
        "/etc/x/../passwd",
        "/home/u/.ssh/id_rsa",
        "/home/u/.ssh",
        "/home/u/w/src/main.rs",
        "/home/u/w/src/a/main.rs",
        "/home/u/w/a/target/x",
        "/home/u/w/target",
        "/home/u/a/f",
        "/tmp/ax",
        "/tmp/abx",
        "/var/b1/log",
        "/var/d/log",
        "relative/x",
        "/a\0b",
        "//etc//passwd/",
        "/home/u/w/../.ssh/k",
        "/x/y.key",
        "/x/.key",
        "/x/q/y/z.pem",
        "/x/y/z.pem",
        "/",
        "~/x",
    ];

    /// Secret name patterns.
    pub const NAMES: &[&str] = &[
        "GITHUB_TOKEN",
        "NPM_*",
        "AWS_*",
        "*_KEY",
        "?PI",
        "*",
        "{A,B}_X",
    ];

    /// Request secret names.
    pub const REQ_NAMES: &[&str] = &[
        "GITHUB_TOKEN",
        "github_token",
        "NPM_TOKEN",
        "AWS_SECRET",
        "MY_KEY",
        "API",
        "A_X",
        "AWS_a/b",
        "bad name",
        "",
    ];

    /// Credential lifetimes.
    pub const LIFETIMES: &[&str] = &["", " for session", " for 1h", " for 90s"];

    /// Tool name patterns.
    pub const TOOLS: &[&str] = &["get_*", "list_*", "delete_*", "create_issue", "*", "?et_x"];

    /// Request tool names.
    pub const REQ_TOOLS: &[&str] = &[
        "get_me",
        "delete_a/b",
        "list_/x",
        "GET_ME",
        "list_x",
        "delete_repo",
        "create_issue",
        "set_x",
        "bad tool",
    ];

    /// Request server names.
    pub const SERVERS: &[&str] = &["github", "GitHub", "fs", "other"];

    /// Request server sources (the first is the pin of the generated policy).
    pub const SOURCES: &[&str] = &["ghcr.io/github/mcp:1", "ghcr.io/evil/mcp:1"];

    /// Root bindings: all bound (the usual case), `$workspace` unbound,
    /// none, and odd ones (trailing slashes, relative, `/`, bound twice).
    pub const ROOTS: &[&[(&str, &str)]] = &[
        &[("home", "/home/u"), ("workspace", "/home/u/w")],
        &[("home", "/home/u")],
        &[],
        &[("home", "/home/u/"), ("workspace", "/home/u/w/./")],
        &[("home", "relative"), ("workspace", "/home/u/w")],
        &[("home", "/"), ("workspace", "/")],
        &[
            ("home", "/home/u"),
            ("workspace", "/home/u/w"),
            ("workspace", "/elsewhere"),
        ],
    ];
}

/// A generated policy source.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The policy text.
    pub source: String,
    /// Whether a pattern was taken from the raw input rather than the
    /// vocabulary (then the policy may fail to check).
    pub wild: bool,
}

fn assert_wild(g: &Generated) {
    assert!(
        g.wild,
        "a policy built from the vocabulary must check clean:\n{}\n{:?}",
        g.source,
        check::check_source(&g.source).diagnostics
    );
}

struct Gen<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    wild: bool,
    labels: usize,
}

impl<'a> Gen<'_, 'a> {
    fn pick(&mut self, table: &'static [&'static str]) -> arbitrary::Result<&'a str> {
        Ok(self.u.choose(table)?)
    }

    /// A pattern from `table`, or (rarely) raw text from the input.
    fn pattern(&mut self, table: &'static [&'static str]) -> arbitrary::Result<&'a str> {
        if self.u.ratio(1, 32)? {
            self.wild = true;
            <&str>::arbitrary(self.u)
        } else {
            self.pick(table)
        }
    }

    fn list(&mut self, table: &'static [&'static str]) -> arbitrary::Result<String> {
        let n = self.u.int_in_range(1..=2u8)?;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(format!("\"{}\"", self.pattern(table)?));
        }
        Ok(out.join(", "))
    }

    /// Sometimes a label (unique), so rule ids are explicit.
    fn label(&mut self) -> arbitrary::Result<String> {
        if self.u.ratio(1, 4)? {
            self.labels += 1;
            Ok(format!("r{}: ", self.labels))
        } else {
            Ok(String::new())
        }
    }

    fn rules(
        &mut self,
        max: u8,
        mut one: impl FnMut(&mut Self) -> arbitrary::Result<String>,
    ) -> arbitrary::Result<String> {
        let n = self.u.int_in_range(0..=max)?;
        let mut out = String::new();
        for _ in 0..n {
            out.push_str(&one(self)?);
        }
        Ok(out)
    }
}

/// A random policy of the shape `tests/differential.rs` generates: four
/// blocks with their defaults, up to 6 network, 6 filesystem, 5 credential
/// and 4 tool rules over the [`vocab`] patterns, a `github` server (pinned
/// or not) and an `fs` server. Additions: optional metadata lines and rule
/// labels, and (1 pattern in 32) raw text from the input as a pattern.
pub fn policy_text(u: &mut Unstructured<'_>) -> arbitrary::Result<Generated> {
    use vocab::*;
    let mut g = Gen {
        u,
        wild: false,
        labels: 0,
    };
    let mut meta = String::new();
    if g.u.ratio(1, 4)? {
        meta.push_str("version 1.0.0\ndescription \"generated\"\nowner fuzz\n");
    }
    let net = g.rules(6, |g| {
        let label = g.label()?;
        let effect = g.pick(EFFECTS)?;
        let targets = g.list(DOMAINS)?;
        let ports = g.pick(PORT_LISTS)?;
        Ok(format!("  {label}{effect} {targets}{ports}\n"))
    })?;
    let fs = g.rules(6, |g| {
        let label = g.label()?;
        let effect = g.pick(EFFECTS)?;
        let access = g.pick(ACCESS)?;
        let targets = g.list(PATHS)?;
        Ok(format!("  {label}{effect} {access} {targets}\n"))
    })?;
    let cred = g.rules(5, |g| {
        let label = g.label()?;
        let effect = g.pick(EFFECTS)?;
        let names = g.list(NAMES)?;
        let to = if g.u.arbitrary()? {
            format!(" to {}", g.list(DOMAINS)?)
        } else {
            String::new()
        };
        let life = g.pick(LIFETIMES)?;
        Ok(format!("  {label}{effect} {names}{to}{life}\n"))
    })?;
    let tools = g.rules(4, |g| {
        let label = g.label()?;
        let effect = g.pick(EFFECTS)?;
        let tools = g.list(TOOLS)?;
        Ok(format!("    {label}{effect} {tools}\n"))
    })?;
    let pin = if g.u.arbitrary()? {
        format!(" source \"{}\"", SOURCES[0])
    } else {
        String::new()
    };
    let mut defaults = [""; 4];
    for d in &mut defaults {
        *d = g.pick(EFFECTS)?;
    }
    let [dn, df, dc, dm] = defaults;
    let source = format!(
        "policy random\n{meta}network {{\n  default {dn}\n{net}}}\nfilesystem {{\n  default {df}\n{fs}}}\ncredentials {{\n  default {dc}\n{cred}}}\nmcp {{\n  default {dm}\n  server github{pin} {{\n{tools}  }}\n  server fs {{\n    allow *\n  }}\n}}\n"
    );
    Ok(Generated {
        source,
        wild: g.wild,
    })
}

/// A random request of the kinds `tests/differential.rs` generates, and the
/// root bindings to decide it with. Each string field comes from [`vocab`]
/// or (1 in 8) is raw text from the input; ports likewise.
pub fn request<'a>(
    u: &mut Unstructured<'a>,
) -> arbitrary::Result<(Request<'a>, &'static [(&'static str, &'static str)])> {
    use vocab::*;
    fn s<'a>(
        u: &mut Unstructured<'a>,
        table: &'static [&'static str],
    ) -> arbitrary::Result<&'a str> {
        if u.ratio(1, 8)? {
            <&str>::arbitrary(u)
        } else {
            Ok(u.choose(table)?)
        }
    }
    fn opt<'a>(
        u: &mut Unstructured<'a>,
        table: &'static [&'static str],
    ) -> arbitrary::Result<Option<&'a str>> {
        if u.arbitrary()? {
            s(u, table).map(Some)
        } else {
            Ok(None)
        }
    }
    let req = match u.int_in_range(0..=3u8)? {
        0 => {
            let host = opt(u, HOSTS)?;
            let ip = opt(u, IPS)?;
            let port = if !u.arbitrary::<bool>()? {
                None
            } else if u.ratio(1, 8)? {
                Some(u32::arbitrary(u)?)
            } else {
                Some(*u.choose(PORTS)?)
            };
            Request::Network { host, ip, port }
        }
        1 => {
            let path = s(u, REQ_PATHS)?;
            let access = *u.choose(&[Access::READ, Access::WRITE, Access::READ_WRITE])?;
            Request::Filesystem { path, access }
        }
        2 => {
            let name = s(u, REQ_NAMES)?;
            let host = opt(u, HOSTS)?;
            let ip = opt(u, IPS)?;
            Request::Credential { name, host, ip }
        }
        _ => {
            let server = s(u, SERVERS)?;
            let tool = opt(u, REQ_TOOLS)?;
            let source = opt(u, SOURCES)?;
            Request::Mcp {
                server,
                tool,
                source,
            }
        }
    };
    // Mostly everything bound, as in the property test.
    let roots = if u.ratio(3, 4)? {
        ROOTS[0]
    } else {
        *u.choose(ROOTS)?
    };
    Ok((req, roots))
}

/// Calls `f` with a fixed set of probe requests covering every surface and
/// most of the [`vocab`] request fields (112 requests).
pub fn for_each_probe(mut f: impl FnMut(&Request<'static>, &Context<'static>)) {
    use vocab::*;
    let full = Context {
        roots: ROOTS[0],
        ..Context::default()
    };
    let partial = Context {
        roots: ROOTS[1],
        ..Context::default()
    };
    for (i, &host) in HOSTS.iter().enumerate() {
        let port = PORTS.get(i % PORTS.len()).copied();
        f(
            &Request::Network {
                host: Some(host),
                ip: None,
                port,
            },
            &full,
        );
    }
    for (i, &ip) in IPS.iter().enumerate() {
        let host = HOSTS.get(i).copied().filter(|_| i % 2 == 0);
        f(
            &Request::Network {
                host,
                ip: Some(ip),
                port: Some(443),
            },
            &full,
        );
    }
    for (i, &path) in REQ_PATHS.iter().enumerate() {
        let access = [Access::READ, Access::WRITE, Access::READ_WRITE][i % 3];
        let ctx = if i % 5 == 4 { &partial } else { &full };
        f(&Request::Filesystem { path, access }, ctx);
    }
    for (i, &name) in REQ_NAMES.iter().enumerate() {
        let host = HOSTS.get(i * 3).copied().filter(|_| i % 2 == 1);
        let ip = IPS.get(i).copied().filter(|_| i % 3 == 2);
        f(&Request::Credential { name, host, ip }, &full);
    }
    for (i, &tool) in REQ_TOOLS.iter().enumerate() {
        for (j, &server) in SERVERS.iter().enumerate() {
            let source = SOURCES.get((i + j) % 3).copied();
            let tool = Some(tool).filter(|_| (i + j) % 4 != 0);
            f(
                &Request::Mcp {
                    server,
                    tool,
                    source,
                },
                &full,
            );
        }
    }
}

/// A policy compiled once for the targets that need a fixed one.
pub struct Fixed {
    /// Which policy (file name or `fixed`).
    pub name: &'static str,
    /// Its source.
    pub source: &'static str,
    /// The checked policy (for the reference interpreter).
    pub checked: CheckedPolicy,
    /// The loaded policy.
    pub policy: Policy,
    /// The encoded artifact.
    pub bytes: Vec<u8>,
}

/// A small policy using every table shape of the artifact: domain anchors
/// with exact, `*.`, `**.` and glob entries, IPv4 and IPv6 intervals, port
/// lists, path roots with exact, prefix, extension and glob tables,
/// credential destinations and lifetimes, pinned and unpinned servers with
/// exact, prefix and glob tools.
pub const FIXED_POLICY: &str = "\
policy fixed
version 1.0.0
description \"every table shape\"
owner fuzz

network {
  default deny
  exact: allow example.com port 443
  allow *.one.example.com, **.any.example.org, api-*.example.net, a.*.b.example.com ports 80, 8000-9000
  ask **.a-*.test.org, *-x*.example.com
  deny @metadata, @private, 10.0.0.0/8, 192.168.1.0/24, ::1, fc00::/7, 2001:db8::/32
  allow 8.8.8.8, 2001:4860::/32
}

filesystem {
  default ask
  ws: allow read write $workspace/**
  allow read /usr/**, /etc/passwd, ~/.config/*.toml
  deny read write ~/.ssh/**, /**/*.key, $workspace/**/target/**
  ask write /tmp/?x, /var/[a-c]*/log, ~/{a,b}/**
}

credentials {
  default deny
  allow GITHUB_TOKEN to github.com, **.github.com, 140.82.112.0/20 for session
  allow NPM_* to registry.npmjs.org for 1h
  ask *_KEY, {A,B}_X
  deny AWS_*, ?PI
}

mcp {
  default deny
  server github source \"ghcr.io/github/mcp:1\" {
    allow get_*, list_*
    ask create_issue, ?et_x
    deny delete_*
  }
  server fs {
    allow *
  }
}
";

/// Policies the fixed-policy targets run against: [`FIXED_POLICY`], the
/// bundled coding-agent example, and every conformance policy.
pub const FIXED_POLICIES: &[(&str, &str)] = &[
    ("fixed", FIXED_POLICY),
    (
        "examples/coding-agent.policy",
        include_str!("../examples/coding-agent.policy"),
    ),
    (
        "credentials.policy",
        include_str!("../tests/conformance/credentials.policy"),
    ),
    (
        "defaults.policy",
        include_str!("../tests/conformance/defaults.policy"),
    ),
    (
        "filesystem-roots.policy",
        include_str!("../tests/conformance/filesystem-roots.policy"),
    ),
    (
        "filesystem.policy",
        include_str!("../tests/conformance/filesystem.policy"),
    ),
    (
        "mcp.policy",
        include_str!("../tests/conformance/mcp.policy"),
    ),
    (
        "network-addresses.policy",
        include_str!("../tests/conformance/network-addresses.policy"),
    ),
    (
        "network-any.policy",
        include_str!("../tests/conformance/network-any.policy"),
    ),
    (
        "network-domains.policy",
        include_str!("../tests/conformance/network-domains.policy"),
    ),
    (
        "network-ports.policy",
        include_str!("../tests/conformance/network-ports.policy"),
    ),
    (
        "odd-input.policy",
        include_str!("../tests/conformance/odd-input.policy"),
    ),
    (
        "precedence.policy",
        include_str!("../tests/conformance/precedence.policy"),
    ),
    (
        "rule-ids.policy",
        include_str!("../tests/conformance/rule-ids.policy"),
    ),
];

/// [`FIXED_POLICIES`], checked, compiled and loaded once per process.
pub fn fixed() -> &'static [Fixed] {
    static FIXED: OnceLock<Vec<Fixed>> = OnceLock::new();
    FIXED.get_or_init(|| {
        FIXED_POLICIES
            .iter()
            .map(|&(name, source)| {
                let Some(checked) = check::check_source(source).policy else {
                    panic!("fixed policy {name} does not check clean");
                };
                let compiled = match policy_lang::compile::compile(&checked, source) {
                    Ok(c) => c,
                    Err(e) => panic!("fixed policy {name} does not compile: {e}"),
                };
                let bytes = compiled.artifact.to_bytes();
                let policy = match Policy::from_bytes(&bytes) {
                    Ok(p) => p,
                    Err(e) => panic!("fixed policy {name} does not load: {e}"),
                };
                Fixed {
                    name,
                    source,
                    checked,
                    policy,
                    bytes,
                }
            })
            .collect()
    })
}
