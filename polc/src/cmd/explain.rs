//! `polc explain POLICY REQUEST`: the decision, the deciding rule and every
//! other matching rule with why it did not decide, rendered from
//! [`policy_lang::explain`].

use std::io::Write;
use std::path::Path;

use policy_eval::Reason;
use policy_lang::explain::explain_json;

use crate::input::from_source;
use crate::render;
use crate::{EXIT_FAIL, EXIT_OK};

/// `polc explain POLICY REQUEST`.
pub(crate) fn explain(path: &Path, request: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let loaded = match from_source(path, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let name = path.display().to_string();
    let ex = explain_json(&loaded.checked, &loaded.policy, request);
    // The decision line is the one `polc eval` prints (an ask with its
    // approval).
    let _ = writeln!(out, "{}", loaded.policy.decide_json(request));
    let rules = &loaded.checked.rules;
    match ex.decision.reason {
        Reason::Invalid(_) => {
            let _ = writeln!(out, "{}", ex.summary);
            return EXIT_OK;
        }
        Reason::Default => {
            let _ = writeln!(out, "{}", ex.summary);
        }
        Reason::Rule => {
            if let Some(r) = ex.deciding.and_then(|i| rules.get(i)) {
                let snippet = render::rule(&name, &loaded.source, r.span, &ex.summary);
                let _ = writeln!(out, "{snippet}");
            }
        }
    }
    for m in &ex.matches {
        let Some(r) = rules.get(m.rule) else { continue };
        let _ = writeln!(
            out,
            "- `{}` ({}, line {}): {}",
            r.id,
            r.effect.as_str(),
            r.line,
            m.why
        );
    }
    // The explanation comes from the reference interpreter; it must agree
    // with the compiled decision, or something is badly wrong.
    if let (Some(expected), false) = (&ex.reference, ex.reference_agrees()) {
        let _ = writeln!(
            err,
            "internal error: the reference interpreter decides {expected:?}; please report this"
        );
        return EXIT_FAIL;
    }
    EXIT_OK
}
