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

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn alternatives_expand_to_every_combination() {
        assert_eq!(
            expand_braces("{a,b}-{1,2}"),
            Ok(vec!["a-1".into(), "a-2".into(), "b-1".into(), "b-2".into()])
        );
        assert_eq!(expand_braces("plain"), Ok(vec!["plain".into()]));
    }

    #[test]
    fn braces_in_a_class_or_escaped_are_literal() {
        assert_eq!(expand_braces("[{]x"), Ok(vec!["[{]x".into()]));
        assert_eq!(expand_braces("\\{x"), Ok(vec!["\\{x".into()]));
    }

    #[test]
    fn alternatives_are_not_nested() {
        assert_eq!(code_of(expand_braces("{a,{b,c}}")), "E0205");
    }

    #[test]
    fn braces_must_be_balanced() {
        assert_eq!(code_of(expand_braces("{a,b")), "E0205");
        assert_eq!(code_of(expand_braces("a}")), "E0205");
    }

    #[test]
    fn at_most_256_expansions_per_pattern() {
        // 4 * 4 * 4 * 4 = 256 is the limit; one more factor of 2 is over.
        let at_limit = "{a,b,c,d}".repeat(4);
        assert_eq!(
            expand_braces(&at_limit).map(|v| v.len()),
            Ok(limits::MAX_BRACE_EXPANSION)
        );
        assert_eq!(
            code_of(expand_braces(&format!("{at_limit}{{x,y}}"))),
            "E0205"
        );
    }

    #[test]
    fn a_glob_is_checked_with_the_matcher_syntax() {
        assert_eq!(validate_glob("/a/[a-z]*", "a"), Ok(()));
        assert_eq!(code_of(validate_glob("/a/[z-a]", "a")), "E0201");
    }
}
