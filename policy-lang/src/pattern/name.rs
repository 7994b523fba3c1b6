//! Secret and tool name patterns (`spec/language.md`, section 9, "Secret
//! names", and section 10, "Tools").

use policy_eval::limits;

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
        out.push(alt.to_ascii_lowercase());
    }
    Ok(out)
}
