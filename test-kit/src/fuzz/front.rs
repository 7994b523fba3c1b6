//! The front-end targets: `parse_check` (any bytes) and `compile` (clean
//! policies, given or generated).

use arbitrary::Unstructured;
use policy_lang::check::{self, CheckResult};
use policy_lang::diag::LineIndex;
use policy_lang::{build, reference, Build};

use super::probe::for_each_probe;
use super::{assert_wild, direct, loaded, same};
use crate::gen::bytes::Bytes;
use crate::gen::random;

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

/// The compiler on policies that pass the checker: the input itself when it
/// is a clean policy text (the seeds are), otherwise a policy generated from
/// the input bytes. A clean policy must build (or exceed the table budget,
/// diagnostic E0006), load from its bytes, load directly from the artifact
/// alike, re-encode to the same bytes, and decide a fixed set of probe
/// requests like the reference interpreter.
pub fn compile(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let b = build(text);
        if b.checked.is_some() {
            compile_and_load(&b, text);
            return;
        }
    }
    let mut u = Unstructured::new(data);
    let generated = random::policy(&mut Bytes::wild(&mut u));
    let b = build(&generated.source);
    if b.checked.is_some() {
        compile_and_load(&b, &generated.source);
    } else {
        assert_wild(&generated, &b);
    }
}

/// Checks the round trip of a built policy and compares its decisions on
/// the probe requests with the reference interpreter.
fn compile_and_load(b: &Build, source: &str) {
    let (Some(checked), Some(loaded)) = (&b.checked, loaded(b, source)) else {
        return;
    };
    let direct = direct(b, source);
    assert!(
        loaded.artifact() == direct.artifact(),
        "the artifact changed in a round trip\n{source}"
    );
    assert!(
        b.bytes.as_deref() == Some(&loaded.artifact().to_bytes()[..]),
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
