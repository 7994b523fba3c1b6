//! MCP resource URI patterns (`spec/language.md` section 10, "Resources
//! and prompts"): globs over canonical URIs, compared case-sensitively.

use policy_eval::{limits, normalize::check_resource_pattern};

use super::glob::{expand_braces, validate_glob};
use super::{err, PatternError};
use crate::diag::Code;

/// Parses a resource URI pattern into globs (braces expanded). Each
/// alternative is `*` (every resource) or starts with a literal lower-case
/// scheme and `:`, and is a
/// URI the runtime accepts apart from its wildcards: no empty, `.` or `..`
/// path segment, upper-case `%XX` that hides nothing (E0607).
pub fn resource_pattern(text: &str) -> Result<Vec<String>, PatternError> {
    let invalid = |text: &str, why: policy_eval::Invalid| {
        err(
            Code::InvalidResource,
            format!("`{text}`: {}", why.message()),
            Some("write the URI as the server lists it, `scheme:` first; `*` matches any run of characters, `?` one (`[?]` for a literal `?`)"),
        )
    };
    if text.len() > limits::MAX_RESOURCE_URI_LEN {
        return Err(invalid(text, policy_eval::Invalid::ResourceTooLong));
    }
    let mut out = Vec::new();
    for alt in expand_braces(text)? {
        // `*` alone: every resource (W0102 on an allow).
        if !alt.is_empty() && alt.bytes().all(|b| b == b'*') {
            out.push("*".to_string());
            continue;
        }
        check_resource_pattern(&alt).map_err(|why| invalid(&alt, why))?;
        validate_glob(&alt, text).map_err(|(_, m, h)| (Code::InvalidResource, m, h))?;
        out.push(alt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn uri_patterns_keep_case_and_expand_braces() {
        assert_eq!(
            resource_pattern("file:///Repo/{a,b}/*"),
            Ok(vec!["file:///Repo/a/*".into(), "file:///Repo/b/*".into()])
        );
    }

    #[test]
    fn uri_patterns_refuse_what_requests_may_not_spell() {
        for bad in [
            "File:///x",
            "*:///x",
            "/repo/**",
            "file:///repo/../etc/*",
            "file:///repo//x",
            "file:///a%2Fb",
            "file:///a%2e",
            "file:///a b",
            "file:///a\\b",
        ] {
            assert_eq!(code_of(resource_pattern(bad)), "E0607", "{bad}");
        }
        assert!(resource_pattern("file:///repo/").is_ok());
        assert_eq!(resource_pattern("**"), Ok(vec!["*".into()]));
        assert!(resource_pattern("db://host/t?limit=[0-9]*").is_ok());
    }
}
