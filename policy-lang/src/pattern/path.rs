//! Path patterns (`spec/language.md`, "Roots" and "Path globs").

use policy_eval::limits;

use super::glob::{expand_braces, validate_glob};
use super::{err, too_long, PatternError};
use crate::diag::Code;
use crate::model::PathPattern;

/// Parses a path pattern into one [`PathPattern`] per brace alternative.
pub fn path(text: &str) -> Result<Vec<PathPattern>, PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    let (root, rest) = if text == "~" {
        ("home".to_string(), "")
    } else if let Some(rest) = text.strip_prefix("~/") {
        ("home".to_string(), rest)
    } else if text.starts_with('~') {
        return Err(err(
            Code::UnanchoredPath,
            format!("`{text}`: only `~/` (the home root) is supported"),
            Some("write `~/...` for the user's home, or an absolute path"),
        ));
    } else if let Some(named) = text.strip_prefix('$') {
        let (name, rest) = named.split_once('/').unwrap_or((named, ""));
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(err(
                Code::InvalidRoot,
                format!("`${name}` is not a valid root name"),
                Some("root names are letters, digits, `_` and `-`, e.g. `$workspace`"),
            ));
        }
        (name.to_string(), rest)
    } else if let Some(rest) = text.strip_prefix('/') {
        (String::new(), rest)
    } else {
        return Err(err(
            Code::UnanchoredPath,
            format!("path pattern `{text}` is not absolute"),
            Some("start it with `/`, `~/` or a named root such as `$workspace/`"),
        ));
    };
    let mut out = Vec::new();
    for alt in expand_braces(rest)? {
        let mut segments: Vec<&str> = alt.split('/').filter(|s| !s.is_empty()).collect();
        // `**/**` means the same as `**`.
        segments.dedup_by(|a, b| *a == "**" && *b == "**");
        if let Some(dot) = segments.iter().find(|s| **s == "." || **s == "..") {
            return Err(err(
                Code::DotSegment,
                format!("`{dot}` segment in path pattern `{text}`"),
                Some("write the path without `.` and `..`; request paths are normalized before matching"),
            ));
        }
        if let Some(seg) = segments.iter().find(|s| **s != "**" && s.contains("**")) {
            return Err(err(
                Code::InvalidGlob,
                format!("`**` must be a whole segment, in `{seg}`"),
                Some("use `*` within a segment, `**` alone between slashes"),
            ));
        }
        let glob = segments.join("/");
        validate_glob(&format!("/{glob}"), text)?;
        out.push(PathPattern {
            root: root.clone(),
            glob,
        });
    }
    Ok(out)
}
