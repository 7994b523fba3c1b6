//! Compile and load at scale (issue 13; see `benches/README.md`):
//!
//! ```sh
//! cargo run --release -p test-kit --example scale -- [N...]
//! ```
//!
//! For each N (default 10,000, 100,000 and 1,000,000) it builds a
//! filesystem policy of N patterns from brace expansion
//! (`test_kit::gen::sized::brace_source`: 256 per rule, short alike keys
//! such as `d123/ab`), and measures check + compile wall time, the artifact
//! size, `Policy::from_bytes` time (the median of up to 5 loads, or 21 for
//! the domain list, stopping after one second of loading) and the peak RSS
//! (`VmHWM`). Then the same for the 10,000-rule domain list of the `decide`
//! benchmark, whose load time is the figure there. Each measurement runs in
//! a child process of this program, so peaks do not mix, with a timeout of
//! [`TIMEOUT`] per child (`timeout` is printed when it is hit). One line
//! per N, then the growth per 10x between consecutive sizes.

// A measurement tool: a failure to spawn or read itself is a bug to report
// loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use policy_eval::Policy;
use test_kit::gen::sized::{brace_source, fixture_source, Kind};

/// Wall time allowed to one child.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Pattern counts measured when none are given.
const DEFAULT_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Rules of the domain list.
const DOMAIN_RULES: usize = 10_000;

/// What one child measured.
#[derive(Debug, Clone, Copy)]
struct Figures {
    compile_ms: f64,
    artifact_bytes: usize,
    load_ms: f64,
    peak_mb: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], args[2].parse().expect("a size"));
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        args.iter()
            .map(|a| {
                a.replace(['_', ','], "")
                    .parse()
                    .expect("sizes are numbers")
            })
            .collect()
    };
    println!("# braces: N patterns, 256 per rule (`allow read /dK/{{a,..,p}}{{a,..,p}}`)");
    let mut done: Vec<(usize, Figures)> = Vec::new();
    for &n in &sizes {
        if let Some(f) = run_child("braces", n) {
            done.push((n, f));
        }
    }
    for pair in done.windows(2) {
        let [(n1, a), (n2, b)] = [pair[0], pair[1]];
        // Growth per 10x of N: (b / a) ^ (1 / log10(n2 / n1)).
        let steps = (n2 as f64 / n1 as f64).log10();
        let per = |x: f64, y: f64| (y / x).powf(1.0 / steps);
        println!(
            "growth {n1} -> {n2}, per 10x: check+compile {:.2}x, artifact {:.2}x, load {:.2}x, peak RSS {:.2}x",
            per(a.compile_ms, b.compile_ms),
            per(a.artifact_bytes as f64, b.artifact_bytes as f64),
            per(a.load_ms, b.load_ms),
            per(a.peak_mb, b.peak_mb),
        );
    }
    println!("# domains: the {DOMAIN_RULES}-rule list of `decide/domain` (sized::Kind::Domain)");
    run_child("domains", DOMAIN_RULES);
}

/// Runs this program as `--child KIND N`, prints its line (or `timeout`, or
/// its failure) and returns its figures.
fn run_child(kind: &str, n: usize) -> Option<Figures> {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--child", kind, &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn a child");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let Some(status) = status else {
        println!("{kind} N={n}: timeout after {} s", TIMEOUT.as_secs());
        return None;
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let line = out.trim();
    if !status.success() {
        println!("{kind} N={n}: failed ({status}) {line}");
        return None;
    }
    println!("{line}");
    parse(line)
}

/// The figures of a child's line (`key=value` fields).
fn parse(line: &str) -> Option<Figures> {
    let field = |key: &str| -> Option<f64> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.trim_end_matches(|c: char| c.is_alphabetic()).parse().ok())
    };
    Some(Figures {
        compile_ms: field("check+compile")?,
        artifact_bytes: field("artifact")? as usize,
        load_ms: field("load")?,
        peak_mb: field("peak_rss")?,
    })
}

/// The child: build one policy, print one line of figures.
fn child(kind: &str, n: usize) {
    let (src, rules, loads) = match kind {
        "braces" => {
            let (src, rules) = brace_source(n);
            (src, rules, 5)
        }
        "domains" => (fixture_source(Kind::Domain, n).0, n, 21),
        _ => panic!("unknown child kind {kind}"),
    };
    let start = Instant::now();
    let checked = policy_lang::check::check_source(&src);
    let Some(policy) = checked.policy else {
        let d = checked.diagnostics.first();
        println!(
            "{kind} N={n}: refused: {}",
            d.map_or(String::new(), |d| format!("{} {}", d.code, d.message))
        );
        return;
    };
    let compiled = match policy_lang::compile::compile(&policy, &src) {
        Ok(c) => c,
        Err(e) => {
            println!("{kind} N={n}: refused: {e}");
            return;
        }
    };
    let compile = start.elapsed();
    let bytes = compiled.artifact.to_bytes();
    drop(compiled);
    drop(policy);
    // Up to `loads` loads, fewer once they took a second in all (a slow
    // load of a million patterns is measured once).
    let mut times: Vec<Duration> = Vec::new();
    while times.len() < loads && times.iter().sum::<Duration>() < Duration::from_secs(1) {
        let t = Instant::now();
        let loaded = Policy::from_bytes(&bytes).expect("the artifact loads");
        times.push(t.elapsed());
        drop(loaded);
    }
    times.sort();
    let load = times[times.len() / 2];
    let what = if kind == "braces" {
        "patterns"
    } else {
        "domain rules"
    };
    println!(
        "{kind} N={n} ({what}, {rules} rules, {} source bytes): check+compile={:.1}ms artifact={}B load={:.3}ms peak_rss={:.1}MB",
        src.len(),
        compile.as_secs_f64() * 1e3,
        bytes.len(),
        load.as_secs_f64() * 1e3,
        peak_rss_mb().unwrap_or(f64::NAN),
    );
}

/// `VmHWM` of this process, in MB (10^6 bytes).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024.0 / 1e6)
}
