//! Soak test: 8 threads share one [`Policy`] and make millions of decisions,
//! each checked against the reference interpreter's answer, while memory is
//! watched: resident set size (`/proc/self/statm`) and live heap bytes after
//! a warm-up and at the end, and the allocations made inside typed `decide`
//! calls (none for ASCII requests).
//!
//! Ignored by default:
//!
//! ```sh
//! SOAK_DECISIONS=4000000 cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! `SOAK_DECISIONS` is the total over all threads (default 4,000,000).

// Test helpers fail loudly: a panic here is a test failure, not a crash.
// The counting allocator needs `unsafe impl GlobalAlloc`.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use policy_eval::cases::TestsFile;
use policy_eval::json::{parse_request, ParsedRequest};
use policy_eval::{Context, Decision, Policy, Reason, Request};
use policy_lang::{build, reference};
use test_kit::fuzz::same;

// ---------------------------------------------------------------------------
// Counting allocator: live heap bytes (all threads) and allocations made by
// the current thread.
// ---------------------------------------------------------------------------

struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

thread_local! {
    // `const` initialization: no lazy init, no destructor, so it is safe to
    // touch from inside the allocator.
    static THREAD_ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count_alloc(size: usize) {
    LIVE_BYTES.fetch_add(size as i64, Ordering::Relaxed);
    let _ = THREAD_ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards every call to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        let _ = THREAD_ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn thread_allocs() -> u64 {
    THREAD_ALLOCS.with(Cell::get)
}

/// Resident set size in bytes (Linux, 4 KiB pages), `None` elsewhere.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn mib(b: Option<u64>) -> String {
    b.map_or("n/a".into(), |b| format!("{:.2} MiB", b as f64 / 1048576.0))
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// Requests beyond the example's own test cases: odd spellings, hostile
/// input, unbound roots, non-ASCII hosts (which may allocate in IDNA).
const EXTRA: &[&str] = &[
    r#"{"surface":"network","host":"REGISTRY.npmjs.org.","port":443}"#,
    r#"{"surface":"network","host":"static.crates.io","ip":"10.0.0.7","port":443}"#,
    r#"{"surface":"network","host":"evil.com","port":443}"#,
    r#"{"surface":"network","host":"evil.com:443"}"#,
    r#"{"surface":"network","host":"user@github.com","port":443}"#,
    r#"{"surface":"network","host":"127.1","port":443}"#,
    r#"{"surface":"network","host":"0x7f000001"}"#,
    r#"{"surface":"network","ip":"169.254.169.254","port":80}"#,
    r#"{"surface":"network","ip":"::ffff:192.168.1.1","port":443}"#,
    r#"{"surface":"network","host":"[::1]","port":443}"#,
    r#"{"surface":"network","host":"fe80::1%eth0"}"#,
    r#"{"surface":"network","host":"github.com","ip":"140.82.112.3","port":0}"#,
    r#"{"surface":"network","host":"objects.githubusercontent.com","port":443}"#,
    r#"{"surface":"network","host":"gïthub.com","port":443}"#,
    r#"{"surface":"network","host":"xn--gthub-yva.com","port":443}"#,
    r#"{"surface":"network"}"#,
    r#"{"surface":"filesystem","path":"/home/u/w/src/main.rs","access":"write","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/home/u/w/../.ssh/id_rsa","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/home/u/.ssh","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/home/u/.cargo/credentials.toml","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/home/u/.cargo/registry/x.crate","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/usr/lib//libc.so.6","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/usr/bin/cc","access":"write","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/etc/shadow","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"filesystem","path":"/home/u/w/a","access":"read","context":{"roots":{"home":"/home/u"}}}"#,
    r#"{"surface":"filesystem","path":"w/a","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}"#,
    r#"{"surface":"credential","name":"github_token"}"#,
    r#"{"surface":"credential","name":"GITHUB_TOKEN","host":"evil.com"}"#,
    r#"{"surface":"credential","name":"GITHUB_TOKEN","host":"api.github.com","ip":"10.1.2.3"}"#,
    r#"{"surface":"credential","name":"NPM_TOKEN","host":"registry.npmjs.org"}"#,
    r#"{"surface":"credential","name":"AWS_SECRET_ACCESS_KEY"}"#,
    r#"{"surface":"credential","name":"OPENAI_API_KEY","host":"api.openai.com"}"#,
    r#"{"surface":"credential","name":"MY TOKEN"}"#,
    r#"{"surface":"mcp","server":"github","source":"ghcr.io/github/github-mcp-server:v0.8.0"}"#,
    r#"{"surface":"mcp","server":"GitHub","tool":"GET_ME","source":"ghcr.io/github/github-mcp-server:v0.8.0"}"#,
    r#"{"surface":"mcp","server":"github","tool":"create_issue","source":"ghcr.io/github/github-mcp-server:v0.8.0"}"#,
    r#"{"surface":"mcp","server":"github","tool":"delete_repository","source":"ghcr.io/github/github-mcp-server:v0.8.0"}"#,
    r#"{"surface":"mcp","server":"github","tool":"get_me","source":"ghcr.io/evil/github-mcp-server:v0.8.0"}"#,
    r#"{"surface":"mcp","server":"github","tool":"get_me"}"#,
    r#"{"surface":"mcp","server":"filesystem","tool":"read_file"}"#,
];

/// One request, parsed once; typed `decide` borrows from it.
struct Case {
    json: String,
    parsed: ParsedRequest,
    roots: Vec<(String, String)>,
    /// ASCII without `xn--`: typed `decide` must not allocate.
    alloc_free: bool,
}

fn cases(root: &Path) -> Vec<Case> {
    let path = root.join("examples/coding-agent.tests.jsonl");
    let tests = std::fs::read_to_string(&path).unwrap();
    // The request bytes every runtime sends for these cases (spec/tests.md).
    let mut jsons: Vec<String> = TestsFile::parse(path.display().to_string(), &tests)
        .cases
        .into_iter()
        .map(|c| c.vector.unwrap().request)
        .collect();
    jsons.extend(EXTRA.iter().map(|s| s.to_string()));
    jsons
        .into_iter()
        .map(|json| {
            let parsed = parse_request(&json).unwrap_or_else(|e| panic!("{json}: {e:?}"));
            let roots = parsed.context.roots.clone();
            let alloc_free = json.is_ascii() && !json.contains("xn--");
            Case {
                json,
                parsed,
                roots,
                alloc_free,
            }
        })
        .collect()
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    decisions: u64,
    json: u64,
    typed_alloc_free: u64,
    typed_allocs: u64,
}

#[test]
#[ignore = "soak test: run with --release -- --ignored (SOAK_DECISIONS sets the count)"]
fn eight_threads_share_one_policy_without_drift_or_growth() {
    const THREADS: usize = 8;
    /// Every 16th decision goes through the JSON entry point (which
    /// allocates, so a leak there would show in the live heap).
    const JSON_EVERY: u64 = 16;
    let total: u64 = std::env::var("SOAK_DECISIONS")
        .ok()
        .map(|s| {
            s.replace('_', "")
                .parse()
                .expect("SOAK_DECISIONS is a number")
        })
        .unwrap_or(4_000_000);
    let per_thread = total.div_ceil(THREADS as u64);
    let warmup = (per_thread / 20).clamp(1_000, 100_000);

    // Build the example once (loaded from its bytes), and precompute the
    // reference interpreter's answers.
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = std::fs::read_to_string(root.join("examples/coding-agent.policy")).unwrap();
    let b = build(&source);
    let (Some(checked), Some(policy)) = (b.checked, b.policy) else {
        panic!("the example builds: {:?}", b.diagnostics);
    };
    let policy = Arc::new(policy);
    let cases = cases(root);
    let roots: Vec<Vec<(&str, &str)>> = cases
        .iter()
        .map(|c| {
            c.roots
                .iter()
                .map(|(n, p)| (n.as_str(), p.as_str()))
                .collect()
        })
        .collect();
    let typed: Vec<(Request<'_>, Context<'_>)> = cases
        .iter()
        .zip(&roots)
        .map(|(c, r)| {
            let ctx = Context {
                roots: r,
                user: c.parsed.context.user.as_deref(),
                session: c.parsed.context.session.as_deref(),
                agent: c.parsed.context.agent.as_deref(),
            };
            (c.parsed.request.as_request(), ctx)
        })
        .collect();
    let expected: Vec<Decision> = typed
        .iter()
        .map(|(r, c)| reference::decide(&checked, r, c))
        .collect();
    // The runtime's first answers: they must agree with the reference, and
    // every later answer must be exactly the same (JSON text included).
    let first: Vec<Decision> = typed.iter().map(|(r, c)| policy.decide(r, c)).collect();
    for ((want, got), case) in expected.iter().zip(&first).zip(&cases) {
        assert!(
            same(want, got),
            "{}: runtime {got:?} != reference {want:?}",
            case.json
        );
    }
    // The JSON text of each first answer, as the JSON entry point renders
    // it (an ask with its approval).
    let first_json: Vec<String> = cases.iter().map(|c| policy.decide_json(&c.json)).collect();
    let kinds = |f: fn(&Decision) -> bool| first.iter().filter(|d| f(d)).count();
    println!(
        "soak: {} requests ({} decided by a rule, {} by a default, {} invalid)",
        cases.len(),
        kinds(|d| d.reason == Reason::Rule),
        kinds(|d| d.reason == Reason::Default),
        kinds(|d| matches!(d.reason, Reason::Invalid(_))),
    );

    let n = cases.len() as u64;
    let start_line = Barrier::new(THREADS + 1);
    let measured = Barrier::new(THREADS + 1);
    let finish_line = Barrier::new(THREADS + 1);
    let done = Barrier::new(THREADS + 1);
    let failures = AtomicU64::new(0);
    let (cases, typed, expected, first, first_json) =
        (&cases, &typed, &expected, &first, &first_json);
    let run = |policy: &Policy, t: usize, from: u64, to: u64, tally: &mut Tally| {
        for k in from..to {
            // Threads walk the requests from different offsets.
            let i = ((k + t as u64 * 7) % n) as usize;
            let ok = if k % JSON_EVERY == JSON_EVERY - 1 {
                tally.json += 1;
                policy.decide_json(&cases[i].json) == first_json[i]
            } else {
                let (req, ctx) = &typed[i];
                let before = thread_allocs();
                let got = policy.decide(req, ctx);
                if cases[i].alloc_free {
                    tally.typed_alloc_free += 1;
                    tally.typed_allocs += thread_allocs() - before;
                }
                got == first[i] && same(&got, &expected[i])
            };
            if !ok {
                failures.fetch_add(1, Ordering::Relaxed);
            }
            tally.decisions += 1;
        }
    };

    let (before, after, heap_before, heap_after, secs, tallies) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let policy = Arc::clone(&policy);
                let (start_line, measured, finish_line, done) =
                    (&start_line, &measured, &finish_line, &done);
                let run = &run;
                s.spawn(move || {
                    let mut warm = Tally::default();
                    run(&policy, t, 0, warmup, &mut warm);
                    start_line.wait();
                    measured.wait();
                    let mut tally = Tally::default();
                    run(&policy, t, warmup, warmup + per_thread, &mut tally);
                    finish_line.wait();
                    done.wait();
                    tally
                })
            })
            .collect();
        start_line.wait();
        let (rss0, heap0) = (rss(), LIVE_BYTES.load(Ordering::SeqCst));
        let clock = Instant::now();
        measured.wait();
        finish_line.wait();
        let secs = clock.elapsed().as_secs_f64();
        let (rss1, heap1) = (rss(), LIVE_BYTES.load(Ordering::SeqCst));
        done.wait();
        let tallies: Vec<Tally> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (rss0, rss1, heap0, heap1, secs, tallies)
    });

    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
    let decisions = sum(|t| t.decisions);
    println!(
        "soak: {decisions} decisions ({} JSON) on {THREADS} threads in {secs:.2} s \
         ({:.1} M/s) after {} warm-up decisions",
        sum(|t| t.json),
        decisions as f64 / secs / 1e6,
        warmup * THREADS as u64,
    );
    println!(
        "soak: RSS {} before, {} after; live heap {} B before, {} B after; \
         {} allocations in {} alloc-free typed decisions",
        mib(before),
        mib(after),
        heap_before,
        heap_after,
        sum(|t| t.typed_allocs),
        sum(|t| t.typed_alloc_free),
    );

    assert_eq!(failures.load(Ordering::SeqCst), 0, "wrong answers");
    assert_eq!(decisions, per_thread * THREADS as u64);
    assert_eq!(
        sum(|t| t.typed_allocs),
        0,
        "typed decide allocated for ASCII requests"
    );
    assert!(
        heap_after <= heap_before,
        "live heap grew from {heap_before} to {heap_after} bytes"
    );
    if let (Some(b), Some(a)) = (before, after) {
        assert!(
            a < b + 1024 * 1024,
            "RSS grew by {} bytes",
            a.saturating_sub(b)
        );
    }
}
