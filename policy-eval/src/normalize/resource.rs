//! MCP resource URIs (`resources/read`): canonical or invalid, never
//! rewritten (`spec/requests.md`, "resource").
//!
//! As for HTTP paths, every spelling two readers could resolve differently
//! is refused instead of guessed at: an upper-case scheme, a byte that must
//! be percent-encoded, percent-encoding that hides a letter, digit,
//! `-._~`, `/`, `\` or control byte (or is in lower case), and an empty,
//! `.` or `..` segment in the path. What remains is compared byte for byte.

use super::http::{percent_ok, raw_ok};
use crate::decision::Invalid;
use crate::limits::MAX_RESOURCE_URI_LEN;

/// Validates a resource URI and returns it unchanged.
///
/// Checks, in this order (the first failure is reported): length (1 to
/// [`MAX_RESOURCE_URI_LEN`] bytes, an empty one has no scheme), a
/// lower-case scheme (`[a-z][a-z0-9+.-]*`) and `:`, every byte allowed raw
/// (RFC 3986 unreserved, gen-delims, sub-delims) or `%`, every `%`
/// followed by two upper-case hex digits that encode no unreserved byte,
/// `/`, `\` or control byte, and no empty, `.` or `..` segment in the path
/// (after the authority of a `scheme://` URI, before any `?` or `#`; the
/// last segment may be empty: `file:///repo/`). Never allocates.
pub fn resource_uri(input: &str) -> Result<&str, Invalid> {
    check(input, false)?;
    Ok(input)
}

/// The checks of [`resource_uri`] on a resource URI glob of a policy: the
/// glob characters `{`, `}` (and `*`, `?`, `[`, `]`, allowed in URIs) pass
/// raw, the scheme must be literal, and segments holding a wildcard are not
/// dot segments. The compiler reports the [`Invalid`] as a diagnostic.
pub fn check_resource_pattern(glob: &str) -> Result<(), Invalid> {
    check(glob, true)
}

fn check(input: &str, pattern: bool) -> Result<(), Invalid> {
    let b = input.as_bytes();
    if b.len() > MAX_RESOURCE_URI_LEN {
        return Err(Invalid::ResourceTooLong);
    }
    let scheme = b
        .iter()
        .position(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || b"+.-".contains(&c)))
        .unwrap_or(b.len());
    if scheme == 0 || !b[0].is_ascii_lowercase() || b.get(scheme) != Some(&b':') {
        return Err(Invalid::ResourceScheme);
    }
    let glob_char = |c: u8| pattern && matches!(c, b'{' | b'}');
    let uri_char = |c: u8| raw_ok(c) || matches!(c, b'?' | b'#' | b'[' | b']' | b'%');
    if !b.iter().all(|&c| uri_char(c) || glob_char(c)) {
        return Err(Invalid::ResourceCharacter);
    }
    if !percent_ok(b) {
        return Err(Invalid::ResourcePercent);
    }
    let rest = &input[scheme + 1..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    // `scheme://authority/path`: the authority is not a segment.
    let path = match rest.strip_prefix("//") {
        Some(after) => after.find('/').map_or("", |i| &after[i..]),
        None => rest,
    };
    let mut segments = path.split('/').enumerate().peekable();
    while let Some((i, seg)) = segments.next() {
        // A path's leading `/` makes an empty first segment; the last may
        // be empty (a trailing `/`).
        let last = segments.peek().is_none();
        let dot = seg == "." || seg == "..";
        if dot || seg.is_empty() && i != 0 && !last {
            return Err(Invalid::ResourcePath);
        }
    }
    Ok(())
}
