//! Absolute paths, normalized lexically (POSIX), and normalized relative
//! paths of the artifact.

use crate::decision::Invalid;
use crate::limits::{MAX_PATH_LEN, MAX_SEGMENT_LEN};

/// Normalizes an absolute path lexically (POSIX): collapses `//`, drops `.`,
/// resolves `..` (never above `/`), drops a trailing `/` (except for `/`).
///
/// Relative, empty and `~` paths are invalid (the host expands and
/// absolutizes), as are NUL bytes, paths over [`MAX_PATH_LEN`] bytes and
/// segments over [`MAX_SEGMENT_LEN`] bytes. Backslash is an ordinary
/// character; comparison is case-sensitive; symlinks are not resolved.
///
/// The result is written into `buf`; never allocates.
pub fn path<'b>(input: &'b str, buf: &'b mut [u8; MAX_PATH_LEN]) -> Result<&'b str, Invalid> {
    if is_normal_path(input) {
        return Ok(input);
    }
    let bytes = input.as_bytes();
    match bytes.first() {
        Some(b'/') => {}
        Some(b'~') => return Err(Invalid::PathHome),
        _ => return Err(Invalid::PathRelative),
    }
    if bytes.contains(&0) {
        return Err(Invalid::PathNul);
    }
    if bytes.len() > MAX_PATH_LEN {
        return Err(Invalid::PathTooLong);
    }
    let mut len = 0usize;
    for seg in input.split('/') {
        if seg.len() > MAX_SEGMENT_LEN {
            return Err(Invalid::PathSegmentTooLong);
        }
        match seg {
            "" | "." => {}
            ".." => {
                while len > 0 {
                    len -= 1;
                    if buf.get(len) == Some(&b'/') {
                        break;
                    }
                }
            }
            _ => {
                let end = len + 1 + seg.len();
                let dst = buf.get_mut(len..end).ok_or(Invalid::PathTooLong)?;
                if let Some((slash, rest)) = dst.split_first_mut() {
                    *slash = b'/';
                    rest.copy_from_slice(seg.as_bytes());
                }
                len = end;
            }
        }
    }
    if len == 0 {
        buf[0] = b'/';
        len = 1;
    }
    let out = buf.get(..len).ok_or(Invalid::PathTooLong)?;
    std::str::from_utf8(out).map_err(|_| Invalid::PathRelative)
}

/// Whether `input` is already a normalized absolute path (the common case):
/// then [`path`] returns it as is, and callers may skip their buffer.
pub fn is_normal_path(input: &str) -> bool {
    let b = input.as_bytes();
    if b.first() != Some(&b'/') || b.len() > MAX_PATH_LEN {
        return false;
    }
    if b.len() == 1 {
        return true;
    }
    b[1..].split(|&c| c == b'/').all(|seg| {
        !seg.is_empty()
            && seg != b"."
            && seg != b".."
            && seg.len() <= MAX_SEGMENT_LEN
            && !seg.contains(&0)
    })
}

/// Whether `s` is a normalized relative path: "" or segments joined by `/`,
/// none empty, `.` or `..`, no NUL.
pub fn is_normalized_relative_path(s: &str) -> bool {
    s.is_empty()
        || (s.len() < MAX_PATH_LEN
            && !s.contains('\0')
            && s.split('/')
                .all(|g| !g.is_empty() && g != "." && g != ".." && g.len() <= MAX_SEGMENT_LEN))
}
