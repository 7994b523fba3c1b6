//! Secret and tool name patterns (`spec/language.md`, section 9, "Secret
//! names", and section 10, "Tools").
//!
//! Each alternative is lower-cased by the runtime's `normalize::name`, so
//! patterns and request names are folded the same way.

use policy_eval::{limits, normalize};

use super::glob::{expand_braces, validate_glob};
use super::{err, PatternError};
use crate::diag::Code;

/// Parses a secret or tool name pattern into lower-cased globs.
pub fn name_pattern(text: &str, what: &str) -> Result<Vec<String>, PatternError> {
    if text.len() > limits::MAX_NAME_LEN {
        return Err(err(
            Code::InvalidName,
            format!(
                "{what} name pattern is longer than {} bytes",
                limits::MAX_NAME_LEN
            ),
            None,
        ));
    }
    if let Some(bad) = text.chars().find(|c| !('!'..='~').contains(c) || *c == '/') {
        return Err(err(
            Code::InvalidName,
            format!(
                "character `{}` is not allowed in {what} name pattern `{text}`",
                bad.escape_default()
            ),
            Some("names are printable ASCII without spaces or `/`"),
        ));
    }
    let mut out = Vec::new();
    for alt in expand_braces(text)? {
        if alt.is_empty() {
            return Err(err(
                Code::InvalidName,
                format!("empty {what} name in `{text}`"),
                Some("remove the empty alternative"),
            ));
        }
        validate_glob(&alt, text).map_err(|(_, m, h)| (Code::InvalidName, m, h))?;
        // An alternative is shorter than `text` and of its characters, so
        // the runtime accepts it; the error arm is not reached.
        let mut buf = [0u8; limits::MAX_NAME_LEN];
        let folded = normalize::name(&alt, &mut buf).map_err(|_| {
            err(
                Code::InvalidName,
                format!("`{alt}` is not a valid {what} name"),
                Some("names are printable ASCII without spaces or `/`"),
            )
        })?;
        out.push(folded.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn names_are_ascii_lower_cased() {
        assert_eq!(
            name_pattern("GITHUB_TOKEN", "secret"),
            Ok(vec!["github_token".into()])
        );
    }

    #[test]
    fn names_are_printable_ascii_without_space_or_slash() {
        assert_eq!(code_of(name_pattern("MY TOKEN", "secret")), "E0301");
        assert_eq!(code_of(name_pattern("a/b", "secret")), "E0301");
        assert_eq!(code_of(name_pattern("tökén", "tool")), "E0301");
        assert_eq!(name_pattern("get_*", "tool"), Ok(vec!["get_*".into()]));
    }

    #[test]
    fn names_use_the_path_glob_syntax_without_segments() {
        assert_eq!(
            name_pattern("{AWS,GCP}_?[0-9]", "secret"),
            Ok(vec!["aws_?[0-9]".into(), "gcp_?[0-9]".into()])
        );
        assert_eq!(code_of(name_pattern("KEY_[z-a]", "secret")), "E0301");
    }

    #[test]
    fn an_empty_alternative_is_e0301() {
        assert_eq!(code_of(name_pattern("{A,}", "secret")), "E0301");
    }

    #[test]
    fn a_name_holds_at_most_256_bytes() {
        let max = "a".repeat(limits::MAX_NAME_LEN);
        assert_eq!(name_pattern(&max, "secret"), Ok(vec![max.clone()]));
        assert_eq!(code_of(name_pattern(&format!("{max}a"), "secret")), "E0301");
    }
}
