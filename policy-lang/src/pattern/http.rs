//! HTTP patterns (`spec/language.md` section 7, "HTTP rules"): method sets,
//! path globs and the hosts of an `http` block.

use policy_eval::limits;
use policy_eval::normalize::check_http_path_pattern;

use super::glob::{expand_braces, validate_glob};
use super::{domain, err, too_long, PatternError};
use crate::diag::{did_you_mean, Code};
use crate::model::{DomainPattern, Method, Methods};

/// Parses a method set: `*` (every method) or upper-case method words
/// joined by `|`, each at most once.
pub fn methods(text: &str) -> Result<Methods, PatternError> {
    if text == "*" {
        return Ok(Methods::ALL);
    }
    let words = Method::ALL.map(Method::as_str);
    let mut set = Methods::default();
    for word in text.split('|') {
        let Some(m) = Method::from_word(word) else {
            let upper = word.to_ascii_uppercase();
            let help = if Method::from_word(&upper).is_some() {
                format!("methods are upper case: write `{upper}`")
            } else if let Some(s) = did_you_mean(&upper, &words) {
                format!("did you mean `{s}`?")
            } else {
                format!("methods are {}, or `*` for all", words.join(", "))
            };
            return Err((
                Code::InvalidMethod,
                format!("unknown HTTP method `{word}`"),
                Some(help),
            ));
        };
        if set.contains(m) {
            return Err(err(
                Code::InvalidMethod,
                format!("`{word}` is listed twice in `{text}`"),
                Some("list each method once"),
            ));
        }
        set = set.with(m);
    }
    Ok(set)
}

/// Parses an HTTP path glob into one glob relative to `/` per brace
/// alternative ("" for `/`). The text must be a canonical request path
/// (`spec/requests.md`), except that `*`, `**` segments, `[...]` and
/// `{a,b}` are globs; `?` and `\` are not available (a `?` starts a query).
pub fn http_path(text: &str) -> Result<Vec<String>, PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    let invalid = |text: &str, why: policy_eval::Invalid| {
        err(
            Code::InvalidHttpPath,
            format!("`{text}`: {}", why.message()),
            Some("write the path as a proxy sees it: `/`, segments, upper-case %XX; `*` and `**` as globs"),
        )
    };
    check_http_path_pattern(text).map_err(|why| invalid(text, why))?;
    let mut out = Vec::new();
    for alt in expand_braces(text)? {
        // Each alternative is a path of its own: `/a{,/b}` may not make `/a/`.
        check_http_path_pattern(&alt).map_err(|why| invalid(&alt, why))?;
        let rest = alt.strip_prefix('/').unwrap_or(&alt);
        let mut segments: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        segments.dedup_by(|a, b| *a == "**" && *b == "**");
        if let Some(seg) = segments.iter().find(|s| **s != "**" && s.contains("**")) {
            return Err(err(
                Code::InvalidHttpPath,
                format!("`**` must be a whole segment, in `{seg}`"),
                Some("use `*` within a segment, `**` alone between slashes"),
            ));
        }
        let glob = segments.join("/");
        validate_glob(&format!("/{glob}"), text)?;
        out.push(glob);
    }
    Ok(out)
}

/// Parses a host of an `http` block: a domain pattern of the shapes `a.b`,
/// `*.a.b` or `**.a.b` (no label globs, sets or addresses).
pub fn http_host(text: &str) -> Result<(DomainPattern, Vec<PatternError>), PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    let not_a_host = || {
        err(
            Code::InvalidHttpHost,
            format!("`{text}` cannot hold HTTP rules"),
            Some("an `http` block names domains: `api.example.com`, `*.example.com` or `**.example.com`"),
        )
    };
    if text.starts_with('@')
        || text.contains([':', '/', '['])
        || text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(not_a_host());
    }
    let (d, warnings) = domain(text)?;
    let plain = match (d.any_depth, d.prefix.as_slice()) {
        (false, []) | (true, []) => true,
        (false, [one]) => one == "*",
        _ => false,
    };
    if !plain || d.anchor.is_empty() {
        return Err(err(
            Code::InvalidHttpHost,
            format!("`{text}`: an `http` block host is `a.b`, `*.a.b` or `**.a.b`"),
            Some("label globs such as `api-*.example.com` are not available for HTTP rules; list the hosts or use `*.example.com`"),
        ));
    }
    Ok((d, warnings))
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn a_method_set_is_star_or_upper_case_words_joined_by_bars() {
        assert_eq!(methods("*"), Ok(Methods::ALL));
        assert_eq!(
            methods("GET|HEAD"),
            Ok(Methods::default().with(Method::Get).with(Method::Head))
        );
        assert_eq!(methods("TRACE").map(|m| m.to_string()), Ok("TRACE".into()));
        let (code, msg, help) = methods("get").unwrap_err();
        assert_eq!(code, Code::InvalidMethod);
        assert_eq!(msg, "unknown HTTP method `get`");
        assert_eq!(help.as_deref(), Some("methods are upper case: write `GET`"));
        assert_eq!(
            methods("PSOT").unwrap_err().2.as_deref(),
            Some("did you mean `POST`?")
        );
        assert_eq!(code_of(methods("PROPFIND")), "E0501");
        assert_eq!(code_of(methods("GET|GET")), "E0501");
        assert_eq!(code_of(methods("GET|")), "E0501");
    }

    #[test]
    fn a_path_glob_is_a_canonical_path_with_globs() {
        assert_eq!(http_path("/"), Ok(vec![String::new()]));
        assert_eq!(http_path("/repos/**"), Ok(vec!["repos/**".into()]));
        assert_eq!(http_path("/repos/**/**"), Ok(vec!["repos/**".into()]));
        assert_eq!(
            http_path("/repos/*/{issues,pulls}"),
            Ok(vec!["repos/*/issues".into(), "repos/*/pulls".into()])
        );
        assert_eq!(
            http_path("/files/caf%C3%A9"),
            Ok(vec!["files/caf%C3%A9".into()])
        );
        for bad in [
            "repos", "/a?b", "/a/../b", "/a//b", "/a/", "/a%2Fb", "/a%c3%a9", "/a b", "/a\\*",
            "/a**b", "/a{,/}",
        ] {
            assert_eq!(code_of(http_path(bad)), "E0502", "{bad}");
        }
        let (_, msg, _) = http_path("/a/../b").unwrap_err();
        assert_eq!(
            msg,
            "`/a/../b`: HTTP path has a `.` or `..` segment: pass the resolved path"
        );
    }

    #[test]
    fn block_hosts_are_plain_domain_shapes() {
        assert_eq!(
            http_host("API.GitHub.com").unwrap().0.anchor,
            "api.github.com"
        );
        assert!(http_host("*.github.com").is_ok());
        assert!(http_host("**.github.com").is_ok());
        for bad in [
            "api-*.github.com",
            "*",
            "**",
            "10.0.0.1",
            "::1",
            "10.0.0.0/8",
            "@private",
        ] {
            assert_eq!(code_of(http_host(bad)), "E0503", "{bad}");
        }
        assert_eq!(code_of(http_host("a..b")), "E0101");
    }
}
