//! MCP server names and source pins (`spec/language.md`, section 10).

use policy_eval::limits;

use super::{err, PatternError};
use crate::diag::Code;

/// Parses an MCP server name into its ASCII lower-cased form.
pub fn server_name(text: &str) -> Result<String, PatternError> {
    let ok = !text.is_empty()
        && text.len() <= limits::MAX_NAME_LEN
        && text
            .chars()
            .all(|c| ('!'..='~').contains(&c) && !"*?[]{}/".contains(c));
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(err(
            Code::InvalidServer,
            format!("`{}` is not a valid MCP server name", text.escape_default()),
            Some("server names are printable ASCII without spaces, `/` or wildcards"),
        ))
    }
}

/// Parses a server `source` pin, kept exactly as written.
pub fn source_pin(text: &str) -> Result<String, PatternError> {
    let ok = !text.is_empty()
        && text.len() <= limits::MAX_SOURCE_LEN
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(text.to_string())
    } else {
        Err(err(
            Code::InvalidSource,
            format!("`{}` is not a valid server source", text.escape_default()),
            Some("a source is an image reference or URL without spaces, e.g. `ghcr.io/org/server:1.0`"),
        ))
    }
}
