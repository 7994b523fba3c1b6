//! `polc compile`, `eval`, `explain` and `test`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use policy_eval::cases::{Case, CaseError, TestsFile};
use policy_eval::event::Event;
use policy_eval::json::{parse_request, JsonOutcome};
use policy_eval::limits::{MAX_ARTIFACT_BYTES, MAX_JSON_REQUEST_BYTES};
use policy_eval::{Decision, LoadError, Policy, Reason};
use policy_lang::model::CheckedPolicy;
use policy_lang::reference;

use crate::{
    check_file, print_diagnostics, read_policy, render, Format, PolicyFile, EXIT_FAIL, EXIT_OK,
    EXIT_USAGE,
};

/// A policy compiled from source, with what explanations need.
struct FromSource {
    source: String,
    checked: CheckedPolicy,
    policy: Policy,
}

/// Reads, checks and compiles a policy source; diagnostics go to `err`.
fn from_source(path: &Path, err: &mut dyn Write) -> Result<FromSource, u8> {
    let file = read_policy(path, false, err).ok_or(EXIT_USAGE)?;
    compile_source(path, &file, err)
}

/// Checks and compiles a policy source read by [`read_policy`].
fn compile_source(path: &Path, file: &PolicyFile, err: &mut dyn Write) -> Result<FromSource, u8> {
    let bytes = &file.bytes;
    let result = check_file(file);
    let name = path.display().to_string();
    let Some(checked) = result.policy.clone() else {
        print_diagnostics(&name, bytes, &result, Format::Human, false, err);
        return Err(EXIT_FAIL);
    };
    let source = String::from_utf8_lossy(bytes).into_owned();
    let compiled = policy_lang::compile::compile(&checked, &source).map_err(|e| {
        let _ = writeln!(err, "error: {name}: {e}");
        EXIT_FAIL
    })?;
    let policy = Policy::from_artifact(compiled.artifact).map_err(|e| {
        let _ = writeln!(err, "error: {name}: compiled artifact refused: {e}");
        EXIT_FAIL
    })?;
    Ok(FromSource {
        source,
        checked,
        policy,
    })
}

/// Loads an artifact (recognized by its magic bytes) or compiles a source.
/// An artifact over `MAX_ARTIFACT_BYTES` is refused with the error
/// `Policy::from_bytes` gives, before it is read.
fn load_any(path: &Path, err: &mut dyn Write) -> Result<Policy, u8> {
    let file = read_policy(path, true, err).ok_or(EXIT_USAGE)?;
    if !file.artifact {
        return compile_source(path, &file, err).map(|s| s.policy);
    }
    let loaded = if file.too_large {
        Err(LoadError::TooLarge {
            size: file.size,
            limit: MAX_ARTIFACT_BYTES as u64,
        })
    } else {
        Policy::from_bytes(&file.bytes)
    };
    loaded.map_err(|e| {
        let _ = writeln!(err, "error: {}: {e}", path.display());
        EXIT_FAIL
    })
}

/// `polc compile POLICY -o ARTIFACT`.
pub fn compile(path: &Path, output: &Path, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    compile_within(path, output, MAX_ARTIFACT_BYTES, out, err)
}

/// [`compile`], refusing to write an artifact over `limit` bytes (no runtime
/// would load it). The limit is a parameter for tests: a policy whose
/// artifact exceeds `MAX_ARTIFACT_BYTES` is too slow and large to build in
/// one.
fn compile_within(
    path: &Path,
    output: &Path,
    limit: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let loaded = match from_source(path, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let bytes = loaded.policy.artifact().to_bytes();
    if bytes.len() > limit {
        let _ = writeln!(
            err,
            "error: {}: compiled artifact is {} bytes, more than the limit of {limit} bytes \
             that runtimes load; split the policy into several",
            path.display(),
            bytes.len()
        );
        return EXIT_FAIL;
    }
    if let Err(e) = std::fs::write(output, &bytes) {
        let _ = writeln!(err, "error: cannot write `{}`: {e}", output.display());
        return EXIT_USAGE;
    }
    let _ = writeln!(
        out,
        "compiled `{}` ({} rules) to `{}` ({} bytes)",
        path.display(),
        loaded.checked.rules.len(),
        output.display(),
        bytes.len()
    );
    EXIT_OK
}

/// `polc eval POLICY [REQUESTS]`: one decision (or event) per input line, in
/// order, blank lines included, so that a caller can pair answers with
/// requests by position.
pub fn eval(
    path: &Path,
    requests: Option<&Path>,
    events: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let policy = match load_any(path, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut file_reader;
    let input: &mut dyn BufRead = match requests {
        Some(r) => match std::fs::File::open(r) {
            Ok(f) => {
                file_reader = std::io::BufReader::new(f);
                &mut file_reader
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot read `{}`: {e}", r.display());
                return EXIT_USAGE;
            }
        },
        None => stdin,
    };
    let mut line = Vec::new();
    loop {
        // `MAX_JSON_REQUEST_BYTES + 2` bytes kept: a request at the limit with
        // its `\r\n`, or enough of a longer line to see that it is over.
        match read_line_bounded(input, &mut line, MAX_JSON_REQUEST_BYTES + 1) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let _ = writeln!(err, "error: reading requests: {e}");
                return EXIT_USAGE;
            }
        }
        let outcome = decide_line(&policy, &line);
        let printed = if events {
            let event = match &outcome.request {
                Some(req) => req.with(|r, c| Event::new(&policy, r, c, &outcome.decision)),
                None => Event::unparsed(&policy, &outcome.decision, SystemTime::now()),
            };
            event.to_json_line()
        } else {
            policy.decision_json(&outcome.decision) + "\n"
        };
        if out.write_all(printed.as_bytes()).is_err() {
            return EXIT_USAGE;
        }
    }
    EXIT_OK
}

/// Decides one input line of `polc eval` as the C ABI's `apol_decide_json`
/// decides its argument (`Policy::decide_json_bytes_detailed`): the request
/// is the line without its ending (`\n` or `\r\n`), nothing else is trimmed,
/// so an empty or blank line is not well-formed JSON either (JSON allows
/// only ASCII spaces, tabs and line breaks around the object).
fn decide_line(policy: &Policy, line: &[u8]) -> JsonOutcome {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    policy.decide_json_bytes_detailed(line)
}

/// Reads one line (up to and including `\n`) into `line`, keeping at most
/// `limit + 1` bytes: enough for the request to be refused as too large,
/// without holding a huge line in memory; the rest of the line is read and
/// dropped. `Ok(false)` at the end of the input.
fn read_line_bounded(
    input: &mut dyn BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (buf.get(..=i).unwrap_or(buf), true),
            None => (buf, false),
        };
        let room = (limit + 1).saturating_sub(line.len());
        line.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        let n = chunk.len();
        input.consume(n);
        if done {
            return Ok(true);
        }
    }
}

/// `polc explain POLICY REQUEST`.
pub fn explain(path: &Path, request: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let loaded = match from_source(path, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let name = path.display().to_string();
    let parsed = match parse_request(request) {
        Ok(p) => p,
        Err(why) => {
            let d = Decision::invalid(why);
            let _ = writeln!(out, "{}", loaded.policy.decision_json(&d));
            let _ = writeln!(out, "the request is invalid: {}", why.message());
            return EXIT_OK;
        }
    };
    let decision = parsed.with(|r, c| loaded.policy.decide(r, c));
    let _ = writeln!(out, "{}", loaded.policy.decision_json(&decision));
    let rules = &loaded.checked.rules;
    match decision.reason {
        Reason::Invalid(why) => {
            let _ = writeln!(out, "the request is invalid: {}", why.message());
            return EXIT_OK;
        }
        Reason::Default => {
            let _ = writeln!(
                out,
                "no rule applies; the surface default is `{}`",
                decision.effect.as_str()
            );
        }
        Reason::Rule => {
            if let Some(r) = decision.rule.and_then(|i| rules.get(i as usize)) {
                let title = format!("deciding rule `{}` ({})", r.id, r.effect.as_str());
                let _ = writeln!(
                    out,
                    "{}",
                    render::rule(&name, &loaded.source, r.span, &title)
                );
            }
        }
    }
    let losers = parsed.with(|r, c| reference::explain(&loaded.checked, r, c, &decision));
    for (i, outcome) in losers {
        let Some(r) = rules.get(i) else { continue };
        let _ = writeln!(
            out,
            "- `{}` ({}, line {}): {}",
            r.id,
            r.effect.as_str(),
            r.line,
            outcome.describe(&loaded.checked, i)
        );
    }
    // The explanation comes from the reference interpreter; it must agree
    // with the compiled decision, or something is badly wrong.
    let expected = parsed.with(|r, c| reference::decide(&loaded.checked, r, c));
    if (expected.effect, expected.rule) != (decision.effect, decision.rule) {
        let _ = writeln!(
            err,
            "internal error: the reference interpreter decides {expected:?}; please report this"
        );
        return EXIT_FAIL;
    }
    EXIT_OK
}

/// The tests file of a policy: `NAME.tests.jsonl` beside `NAME.policy`.
pub fn tests_path(policy: &Path) -> PathBuf {
    let stem = policy.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    policy.with_file_name(format!("{stem}.tests.jsonl"))
}

/// `polc test POLICY...`.
pub fn test(policies: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut code = EXIT_OK;
    for path in policies {
        let loaded = match from_source(path, err) {
            Ok(l) => l,
            Err(c) => {
                code = code.max(c);
                failed += 1;
                continue;
            }
        };
        let tests = tests_path(path);
        let text = match std::fs::read_to_string(&tests) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read tests `{}`: {e}", tests.display());
                code = code.max(EXIT_FAIL);
                failed += 1;
                continue;
            }
        };
        let file = TestsFile::parse(tests.display().to_string(), &text);
        for case in &file.cases {
            match case_report(&loaded.policy, case) {
                None => passed += 1,
                Some(report) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {}\n{report}", file.place(case));
                }
            }
        }
    }
    let _ = writeln!(out, "tests: {passed} passed, {failed} failed");
    if failed > 0 {
        code = code.max(EXIT_FAIL);
    }
    code
}

/// Runs one case of a tests file (`policy_eval::cases`); `None` when it
/// passed, else the failure report (spec/tests.md, "Output and exit code").
fn case_report(policy: &Policy, case: &Case) -> Option<String> {
    let name = &case.name;
    let vector = match &case.vector {
        Ok(v) => v,
        Err(e @ CaseError::Json(_)) => return Some(format!("  {e}")),
        Err(e) => return Some(format!("  {name}: {e}")),
    };
    let outcome = vector.run(policy);
    if outcome.passed() {
        return None;
    }
    let rule = outcome
        .decision
        .rule
        .and_then(|i| policy.rule(i))
        .map(|r| format!("`{}` at line {}", r.id, r.line))
        .unwrap_or_else(|| "none".to_string());
    Some(format!(
        "  {name}\n  request:  {}\n  expected: {}\n  actual:   {}\n  deciding rule: {rule}",
        vector.request,
        vector.expect_json(),
        outcome.json
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_long_line_is_kept_only_up_to_the_limit() {
        // A small buffer, so the long line arrives in many chunks.
        let text = format!("{}\nnext\nlast", "x".repeat(10_000));
        let mut input = std::io::BufReader::with_capacity(64, text.as_bytes());
        let mut line = Vec::new();
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, vec![b'x'; 101]);
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"next\n");
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"last");
        assert!(!read_line_bounded(&mut input, &mut line, 100).unwrap());
    }

    #[test]
    fn compile_refuses_to_write_an_artifact_over_the_limit() {
        let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/coding-agent.policy");
        let dir = std::env::temp_dir().join(format!("polc-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let output = dir.join("over-limit.art");
        let _ = std::fs::remove_file(&output);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        // The real size of the example's artifact: written at that limit.
        assert_eq!(compile(&policy, &output, &mut out, &mut err), EXIT_OK);
        let size = std::fs::metadata(&output).unwrap().len() as usize;
        std::fs::remove_file(&output).unwrap();
        let code = compile_within(&policy, &output, size, &mut out, &mut err);
        assert_eq!(code, EXIT_OK);
        assert_eq!(std::fs::metadata(&output).unwrap().len() as usize, size);
        std::fs::remove_file(&output).unwrap();
        // One byte less: refused, nothing written.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = compile_within(&policy, &output, size - 1, &mut out, &mut err);
        assert_eq!(code, EXIT_FAIL);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert_eq!(
            err,
            format!(
                "error: {}: compiled artifact is {size} bytes, more than the limit of {} bytes \
                 that runtimes load; split the policy into several\n",
                policy.display(),
                size - 1
            )
        );
        assert!(!output.exists());
    }
}
