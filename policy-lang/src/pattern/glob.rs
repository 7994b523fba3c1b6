//! What path and name patterns share: `{a,b}` expansion and glob syntax.

use policy_eval::limits;

use super::{err, PatternError};
use crate::diag::Code;

/// Checks that `glob` parses with the matcher's syntax (`*` within a
/// segment, `\` escapes); `text` is the pattern as written, for the message.
pub(super) fn validate_glob(glob: &str, text: &str) -> Result<(), PatternError> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|_| ())
        .map_err(|e| {
            err(
                Code::InvalidGlob,
                format!("invalid glob `{text}`: {}", e.kind()),
                Some("globs use `*`, `?`, `**`, `{a,b}` and classes like `[a-z]`"),
            )
        })
}

/// Expands `{a,b}` alternatives (not nested) into every combination.
pub fn expand_braces(text: &str) -> Result<Vec<String>, PatternError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'{' if !in_class => {
                let rest = &text[i + 1..];
                let close = rest.find('}').ok_or_else(|| {
                    err(
                        Code::BraceExpansion,
                        format!("unclosed `{{` in `{text}`"),
                        Some("close the alternatives with `}`"),
                    )
                })?;
                let inner = &rest[..close];
                if inner.contains('{') {
                    return Err(err(
                        Code::BraceExpansion,
                        format!("nested `{{` in `{text}`"),
                        Some("alternatives cannot be nested; write them out"),
                    ));
                }
                let head = &text[..i];
                let tails = expand_braces(&rest[close + 1..])?;
                let mut out = Vec::new();
                for alt in inner.split(',') {
                    for tail in &tails {
                        out.push(format!("{head}{alt}{tail}"));
                        if out.len() > limits::MAX_BRACE_EXPANSION {
                            return Err(err(
                                Code::BraceExpansion,
                                format!(
                                    "`{text}` expands to more than {} patterns",
                                    limits::MAX_BRACE_EXPANSION
                                ),
                                Some("split the rule into several"),
                            ));
                        }
                    }
                }
                return Ok(out);
            }
            b'}' if !in_class => {
                return Err(err(
                    Code::BraceExpansion,
                    format!("unmatched `}}` in `{text}`"),
                    Some("open the alternatives with `{`"),
                ))
            }
            _ => {}
        }
        i += 1;
    }
    Ok(vec![text.to_string()])
}
