//! Secret, server and tool names; MCP sources.

use crate::decision::Invalid;
use crate::limits::{MAX_NAME_LEN, MAX_SOURCE_LEN};

/// Normalizes a secret, server or tool name: 1..=[`MAX_NAME_LEN`] bytes of
/// printable ASCII without space (`0x21..=0x7e`), ASCII-lower-cased into
/// `buf` (names compare case-insensitively); a name already in that form is
/// returned as it is. Never allocates.
pub fn name<'b>(input: &'b str, buf: &'b mut [u8; MAX_NAME_LEN]) -> Result<&'b str, Invalid> {
    if is_normalized_name(input) {
        return Ok(input);
    }
    if input.is_empty() {
        return Err(Invalid::NameEmpty);
    }
    if input.len() > MAX_NAME_LEN {
        return Err(Invalid::NameTooLong);
    }
    for (slot, &b) in buf.iter_mut().zip(input.as_bytes()) {
        if !(0x21..=0x7e).contains(&b) {
            return Err(Invalid::NameCharacter);
        }
        *slot = b.to_ascii_lowercase();
    }
    let out = buf.get(..input.len()).ok_or(Invalid::NameTooLong)?;
    std::str::from_utf8(out).map_err(|_| Invalid::NameCharacter)
}

/// Whether `s` is already a normalized name (what [`name`] would return).
pub fn is_normalized_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !b.is_ascii_uppercase())
}

/// Validates an MCP `source`: 1..=[`MAX_SOURCE_LEN`] bytes, no control
/// characters. Compared exactly (no case folding).
pub fn source(input: &str) -> Result<&str, Invalid> {
    if input.is_empty() || input.len() > MAX_SOURCE_LEN || input.chars().any(char::is_control) {
        return Err(Invalid::Source);
    }
    Ok(input)
}
