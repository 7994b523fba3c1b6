//! The `differential` target, and the comparison it shares with the
//! differential property test.

use arbitrary::Unstructured;
use policy_eval::Policy;
use policy_lang::model::CheckedPolicy;
use policy_lang::{build, reference};

use super::{assert_wild, direct, loaded, same};
use crate::gen::bytes::Bytes;
use crate::gen::{random, Case, Source};

/// A generated policy and up to 16 generated, often hostile, requests: the
/// policy loaded from its bytes, and loaded directly from the compiled
/// artifact, decides each as the reference interpreter.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut s = Bytes::wild(&mut u);
    let generated = random::policy(&mut s);
    let source = &generated.source;
    let b = build(source);
    let Some(checked) = &b.checked else {
        assert_wild(&generated, &b);
        return;
    };
    let Some(loaded) = loaded(&b, source) else {
        return;
    };
    let direct = direct(&b, source);
    let n = 1 + s.below(16);
    for i in 0..n {
        // Out of input, every further request would be the same one.
        if i > 0 && s.unstructured().is_empty() {
            break;
        }
        let case = random::case(&mut s);
        let policies = [("loaded", loaded), ("compiled", &direct)];
        if let Err(why) = compare(checked, &policies, &case, source) {
            panic!("{why}");
        }
    }
}

/// Decides `case` with the reference interpreter over `checked` and with
/// each named policy; describes the first disagreement ([`same`]).
pub fn compare(
    checked: &CheckedPolicy,
    policies: &[(&str, &Policy)],
    case: &Case,
    source: &str,
) -> Result<(), String> {
    let req = case.req.as_request();
    let ctx = case.context();
    let want = reference::decide(checked, &req, &ctx);
    for (name, policy) in policies {
        let got = policy.decide(&req, &ctx);
        if !same(&want, &got) {
            return Err(format!(
                "{name} {got:?} != reference {want:?}\nrequest {req:?} {ctx:?}\n{source}"
            ));
        }
    }
    Ok(())
}
