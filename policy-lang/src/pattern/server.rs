//! MCP server names and source pins (`spec/language.md`, section 10).
//!
//! Both are the runtime's normalization (`policy_eval::normalize::name` and
//! `normalize::source`), so a request and a policy agree on what a server
//! name or source is; a pattern adds only its own rules (no wildcards in a
//! name, no whitespace in a source).

use policy_eval::{limits, normalize};

use super::{err, PatternError};
use crate::diag::Code;

/// Parses an MCP server name into its ASCII lower-cased form.
pub fn server_name(text: &str) -> Result<String, PatternError> {
    let mut buf = [0u8; limits::MAX_NAME_LEN];
    match normalize::name(text, &mut buf) {
        Ok(name) if !name.contains(|c| "*?[]{}/".contains(c)) => Ok(name.to_string()),
        _ => Err(err(
            Code::InvalidServer,
            format!("`{}` is not a valid MCP server name", text.escape_default()),
            Some("server names are printable ASCII without spaces, `/` or wildcards"),
        )),
    }
}

/// Parses a server `source` pin, kept exactly as written.
pub fn source_pin(text: &str) -> Result<String, PatternError> {
    match normalize::source(text) {
        Ok(source) if !source.contains(char::is_whitespace) => Ok(source.to_string()),
        _ => Err(err(
            Code::InvalidSource,
            format!("`{}` is not a valid server source", text.escape_default()),
            Some("a source is an image reference or URL without spaces, e.g. `ghcr.io/org/server:1.0`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn server_names_compare_ascii_case_insensitively() {
        assert_eq!(server_name("GitHub"), Ok("github".into()));
        assert_eq!(server_name("fs.tools-2"), Ok("fs.tools-2".into()));
    }

    #[test]
    fn a_server_name_is_printable_ascii_without_space_slash_or_wildcards() {
        for bad in ["git hub", "a/b", "get*", "a?", "[a]", "{a}", "", "ünï"] {
            assert_eq!(code_of(server_name(bad)), "E0401", "{bad:?}");
        }
        let long = "a".repeat(limits::MAX_NAME_LEN + 1);
        assert_eq!(code_of(server_name(&long)), "E0401");
    }

    #[test]
    fn a_source_is_compared_exactly() {
        let pin = "ghcr.io/GitHub/github-mcp-server:v0.8.0";
        assert_eq!(source_pin(pin), Ok(pin.to_string()));
    }

    #[test]
    fn a_source_has_no_whitespace_and_is_not_empty() {
        assert_eq!(code_of(source_pin("ghcr.io/x/y v1")), "E0403");
        assert_eq!(code_of(source_pin("")), "E0403");
        assert_eq!(code_of(source_pin("a\u{7}")), "E0403");
        let long = "a".repeat(limits::MAX_SOURCE_LEN + 1);
        assert_eq!(code_of(source_pin(&long)), "E0403");
    }
}
