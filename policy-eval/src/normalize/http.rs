//! HTTP methods and paths: canonical or invalid, never rewritten
//! (`spec/requests.md`, "method and path").
//!
//! A proxy and the origin server must agree on what a path means. Instead
//! of guessing which decoding a server applies, every spelling that two
//! servers could read differently is refused: a query or fragment, a byte
//! that must be percent-encoded, percent-encoding that hides a letter, digit,
//! `-._~`, `/`, `\` or a control byte (or is written in lower case), an empty
//! segment and a dot segment. What remains compares byte for byte, after one
//! trailing `/` is set aside (`/a/` is decided as `/a`, so a rule on `/a`
//! cannot be slipped past by adding a slash).

use crate::artifact::Method;
use crate::decision::Invalid;
use crate::limits::MAX_HTTP_PATH_LEN;

/// The method spelled `input`: exactly one of the upper-case words of
/// [`Method`] ([`Invalid::HttpMethod`] otherwise, `get` included).
pub fn http_method(input: &str) -> Result<Method, Invalid> {
    Method::from_word(input).ok_or(Invalid::HttpMethod)
}

/// Validates an HTTP request path (origin form) and returns the path rules
/// match: the input without its one trailing `/` (`/` stays `/`).
///
/// Checks, in this order (the first failure is reported): length
/// ([`MAX_HTTP_PATH_LEN`]), a leading `/`, no `?` or `#`, every byte allowed
/// raw (RFC 3986 `pchar` or `/`), every `%` followed by two upper-case hex
/// digits that encode no unreserved byte, `/`, `\` or control byte, no empty
/// segment (`//`; one trailing `/` is not a segment), no `.` or `..`
/// segment. Never allocates.
pub fn http_path(input: &str) -> Result<&str, Invalid> {
    check_path(input, false)?;
    Ok(match input.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => input,
    })
}

/// The checks of [`http_path`] on a path glob of a policy: the glob
/// characters `*`, `[`, `]`, `{`, `}` are allowed raw, and segments made
/// only of wildcards are not dot segments. The compiler reports the
/// [`Invalid`] as a diagnostic.
pub fn check_http_path_pattern(glob: &str) -> Result<(), Invalid> {
    check_path(glob, true)
}

fn check_path(input: &str, pattern: bool) -> Result<(), Invalid> {
    let b = input.as_bytes();
    if b.len() > MAX_HTTP_PATH_LEN {
        return Err(Invalid::HttpPathTooLong);
    }
    if b.first() != Some(&b'/') {
        return Err(Invalid::HttpPathRelative);
    }
    if b.iter().any(|&c| c == b'?' || c == b'#') {
        return Err(Invalid::HttpPathQuery);
    }
    let glob_char = |c: u8| pattern && matches!(c, b'[' | b']' | b'{' | b'}');
    if !b.iter().all(|&c| raw_ok(c) || c == b'%' || glob_char(c)) {
        return Err(Invalid::HttpPathCharacter);
    }
    if !percent_ok(b) {
        return Err(Invalid::HttpPathPercent);
    }
    // One trailing `/` is allowed on a request path (and set aside by
    // `http_path`), never on a pattern: `/a/` would be a second spelling of
    // `/a`.
    if input == "/" {
        return Ok(());
    }
    let body = match input.strip_suffix('/') {
        Some(rest) if !pattern => rest,
        _ => input,
    };
    for seg in body.split('/').skip(1) {
        match seg {
            "" => return Err(Invalid::HttpPathEmptySegment),
            "." | ".." => return Err(Invalid::HttpPathDot),
            _ => {}
        }
    }
    Ok(())
}

/// Whether every `%` in `b` is followed by two upper-case hex digits that
/// encode no unreserved byte, `/`, `\\` or control byte.
pub(super) fn percent_ok(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = b.get(i + 1).copied().and_then(upper_hex);
            let lo = b.get(i + 2).copied().and_then(upper_hex);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return false;
            };
            let v = hi * 16 + lo;
            if unreserved(v) || v == b'/' || v == b'\\' || v < 0x20 || v == 0x7f {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// RFC 3986 unreserved: `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
pub(super) fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// A byte allowed unencoded in a path: `pchar` without `%`, or `/`.
pub(super) fn raw_ok(c: u8) -> bool {
    unreserved(c)
        || matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

fn upper_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_upper_case_words_of_the_fixed_set() {
        assert_eq!(http_method("GET"), Ok(Method::Get));
        assert_eq!(http_method("TRACE"), Ok(Method::Trace));
        for bad in ["get", "Get", "PROPFIND", "", "GET ", " GET", "G\u{0130}T"] {
            assert_eq!(http_method(bad), Err(Invalid::HttpMethod), "{bad:?}");
        }
    }

    #[test]
    fn canonical_paths_pass_unchanged() {
        for ok in [
            "/",
            "/repos/o/r",
            "/a:b@c/!$&'()*+,;=",
            "/files/caf%C3%A9",
            "/100%25",
            "/a%2Cb",
            "/...",
            "/.well-known/x",
            "/a..b",
        ] {
            assert_eq!(http_path(ok), Ok(ok), "{ok:?}");
        }
        // One trailing slash is set aside; the path `/` keeps its slash.
        assert_eq!(http_path("/repos/o/r/"), Ok("/repos/o/r"));
        assert_eq!(http_path("/a/b/"), Ok("/a/b"));
        assert_eq!(http_path("/"), Ok("/"));
    }

    #[test]
    fn every_ambiguous_spelling_is_refused_with_its_reason() {
        use Invalid::*;
        let cases: &[(&str, Invalid)] = &[
            ("", HttpPathRelative),
            ("repos", HttpPathRelative),
            ("*", HttpPathRelative),
            ("https://x/a", HttpPathRelative),
            ("/a?b=1", HttpPathQuery),
            ("/a#f", HttpPathQuery),
            ("/a?", HttpPathQuery),
            ("/a b", HttpPathCharacter),
            ("/a\tb", HttpPathCharacter),
            ("/a\\b", HttpPathCharacter),
            ("/caf\u{e9}", HttpPathCharacter),
            ("/a\"b", HttpPathCharacter),
            ("/a{b}", HttpPathCharacter),
            ("/a%2Fb", HttpPathPercent),
            ("/a%2fb", HttpPathPercent),
            ("/%2E%2E/etc", HttpPathPercent),
            ("/%2e", HttpPathPercent),
            ("/%41", HttpPathPercent),
            ("/%5C", HttpPathPercent),
            ("/%00", HttpPathPercent),
            ("/%7F", HttpPathPercent),
            ("/%c3%a9", HttpPathPercent),
            ("/%", HttpPathPercent),
            ("/%4", HttpPathPercent),
            ("/%G0", HttpPathPercent),
            ("/%%30", HttpPathPercent),
            ("//a", HttpPathEmptySegment),
            ("/a//b", HttpPathEmptySegment),
            ("/a//", HttpPathEmptySegment),
            ("//", HttpPathEmptySegment),
            ("/a/./", HttpPathDot),
            ("/.", HttpPathDot),
            ("/..", HttpPathDot),
            ("/a/../b", HttpPathDot),
            ("/a/./b", HttpPathDot),
        ];
        for (path, why) in cases {
            assert_eq!(http_path(path), Err(*why), "{path:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_HTTP_PATH_LEN));
        assert_eq!(http_path(&long), Err(HttpPathTooLong));
        let at = format!("/{}", "a".repeat(MAX_HTTP_PATH_LEN - 1));
        assert_eq!(http_path(&at), Ok(at.as_str()));
    }

    #[test]
    fn patterns_may_hold_glob_characters_but_not_queries() {
        assert_eq!(check_http_path_pattern("/repos/*/{a,b}/[x-z]/**"), Ok(()));
        assert_eq!(check_http_path_pattern("/a?"), Err(Invalid::HttpPathQuery));
        assert_eq!(
            check_http_path_pattern("/a/../b"),
            Err(Invalid::HttpPathDot)
        );
        assert_eq!(
            check_http_path_pattern("/a/"),
            Err(Invalid::HttpPathEmptySegment)
        );
        assert_eq!(
            check_http_path_pattern("a/*"),
            Err(Invalid::HttpPathRelative)
        );
        assert_eq!(
            check_http_path_pattern("/a\\*"),
            Err(Invalid::HttpPathCharacter)
        );
    }
}
