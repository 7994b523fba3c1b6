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

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    /// Each alternative as `(root, glob)`.
    fn ok(text: &str) -> Vec<(String, String)> {
        path(text)
            .expect("valid path pattern")
            .into_iter()
            .map(|p| (p.root, p.glob))
            .collect()
    }

    fn one(root: &str, glob: &str) -> Vec<(String, String)> {
        vec![(root.to_string(), glob.to_string())]
    }

    #[test]
    fn a_slash_starts_at_the_file_system_root() {
        assert_eq!(ok("/usr/**"), one("", "usr/**"));
        assert_eq!(ok("/"), one("", ""));
    }

    #[test]
    fn a_tilde_is_the_root_named_home() {
        assert_eq!(ok("~"), one("home", ""));
        assert_eq!(ok("~/.ssh/**"), one("home", ".ssh/**"));
        assert_eq!(ok("$home/.ssh/**"), one("home", ".ssh/**"));
    }

    #[test]
    fn only_tilde_slash_names_the_home_root() {
        assert_eq!(code_of(path("~user/x")), "E0202");
    }

    #[test]
    fn a_named_root_is_a_letter_or_underscore_then_letters_digits_underscore_hyphen() {
        assert_eq!(ok("$workspace/**"), one("workspace", "**"));
        assert_eq!(ok("$_my-root2"), one("_my-root2", ""));
        assert_eq!(code_of(path("$1st/x")), "E0206");
        assert_eq!(code_of(path("$/x")), "E0206");
        assert_eq!(code_of(path("$a.b/x")), "E0206");
    }

    #[test]
    fn a_pattern_that_starts_otherwise_is_not_absolute() {
        assert_eq!(code_of(path("src/**")), "E0202");
        assert_eq!(code_of(path("")), "E0202");
    }

    #[test]
    fn a_double_star_must_be_a_whole_segment() {
        assert_eq!(ok("/src/**/*.rs"), one("", "src/**/*.rs"));
        assert_eq!(code_of(path("/a/**b")), "E0201");
        assert_eq!(code_of(path("/a/b**")), "E0201");
    }

    #[test]
    fn repeated_double_stars_mean_one() {
        assert_eq!(ok("/a/**/**/b"), one("", "a/**/b"));
    }

    #[test]
    fn braces_are_expanded_when_checked() {
        assert_eq!(
            ok("/data/{raw,clean}/*.csv"),
            vec![
                (String::new(), "data/raw/*.csv".to_string()),
                (String::new(), "data/clean/*.csv".to_string()),
            ]
        );
    }

    #[test]
    fn a_trailing_and_a_repeated_slash_are_ignored() {
        assert_eq!(ok("/a//b/"), one("", "a/b"));
    }

    #[test]
    fn dot_segments_are_e0204() {
        assert_eq!(code_of(path("$workspace/../shared/**")), "E0204");
        assert_eq!(code_of(path("/a/./b")), "E0204");
        assert_eq!(ok("/a/.b/c."), one("", "a/.b/c."));
    }

    #[test]
    fn a_glob_that_does_not_parse_is_e0201() {
        assert_eq!(code_of(path("/srv/[z-a].csv")), "E0201");
        assert_eq!(code_of(path("/srv/x\\")), "E0201");
        assert_eq!(ok("/logs/[!.]*"), one("", "logs/[!.]*"));
    }

    #[test]
    fn a_pattern_over_the_length_limit_is_e0003() {
        let long = format!("/{}", "a".repeat(limits::MAX_PATTERN_LEN));
        assert_eq!(code_of(path(&long)), "E0003");
    }
}
