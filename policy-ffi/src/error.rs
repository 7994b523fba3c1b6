//! Errors of the C ABI: the result codes ([`apol_result`]), their names
//! (`apol_result_name`), and the per-call report [`apol_error`].
//!
//! # One list
//!
//! The declaration of `apol_result` below is the one list of result codes:
//! variant, value and documentation. cbindgen reads it from the source as
//! written (it does not expand macros), so it stays a plain `enum` item;
//! `pub use apol_result::*` gives the `APOL_*` names, and `result_codes!`,
//! applied to the same variants, derives everything else from them:
//! `apol_result::ALL`, `apol_result::from_u32` and the static names behind
//! `apol_result_name`. The compiler ties the two:
//! a variant missing from the macro, or a name that is not a variant, does
//! not compile (the `match` in `name` is exhaustive), and a const assertion
//! checks that the values are `0, 1, 2, ...` in declaration order, so new
//! codes are only ever added at the end.

use std::os::raw::c_char;

/// Size of `apol_error.message`, NUL terminator included. Longer messages are
/// truncated (at a UTF-8 character boundary).
pub const APOL_ERROR_MESSAGE_LEN: usize = 256;

/// Result of every fallible function. The numeric values are stable: new
/// codes are only ever added at the end.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apol_result {
    /// Success; out parameters were written.
    APOL_OK = 0,
    /// A required pointer argument was NULL (or an optional string was NULL
    /// with a non-zero length).
    APOL_ERR_NULL = 1,
    /// A string argument of a typed call is not valid UTF-8. (The JSON entry
    /// points answer such input with an invalid decision instead.)
    APOL_ERR_UTF8 = 2,
    /// The artifact was refused: bad magic, truncated, corrupted, unsupported
    /// format version, or invalid tables. The message says which.
    APOL_ERR_ARTIFACT = 3,
    /// The caller's buffer is too small; `*out_len` holds the size needed.
    APOL_ERR_BUFFER_TOO_SMALL = 4,
    /// The handle is not a live handle of the expected type: already freed
    /// (double free), never allocated by this library, or corrupted.
    /// Detection is best-effort.
    APOL_ERR_HANDLE = 5,
    /// An argument is out of range: a length larger than `PTRDIFF_MAX`, an
    /// unknown `surface` value in `apol_request`.
    APOL_ERR_ARGUMENT = 6,
    /// No rule has this index in the policy.
    APOL_ERR_NO_RULE = 7,
    /// A bug: the library panicked. The panic was caught at the boundary; the
    /// handles stay usable.
    APOL_ERR_PANIC = 8,
    /// An MCP tool definition has no canonical form, so no digest
    /// (`apol_tool_digest`): not UTF-8, malformed JSON, a duplicate key, not
    /// an object, too large or too deep. The message says which.
    APOL_ERR_TOOL_DEFINITION = 9,
    /// The layers do not form a stack (`apol_stack_new`): none, more than 8,
    /// all audit layers, a name that is empty, too long, not printable ASCII
    /// or repeated, or levels that do not start at 0 and go down one at a
    /// time. The message says which.
    APOL_ERR_STACK = 10,
}

/// Derives from the variants of [`apol_result`], in declaration order, the
/// table of codes, the value-to-code conversion and the static names. See
/// the module documentation ("One list").
macro_rules! result_codes {
    ($($code:ident),+ $(,)?) => {
        impl apol_result {
            /// Every result code, in declaration (and value) order.
            pub const ALL: &'static [apol_result] = &[$(apol_result::$code),+];

            /// The result code whose value is `code`, if any.
            pub const fn from_u32(code: u32) -> Option<apol_result> {
                $(
                    if code == apol_result::$code as u32 {
                        return Some(apol_result::$code);
                    }
                )+
                None
            }

            /// The C name of the code (`"APOL_ERR_NULL"`).
            pub fn name(self) -> &'static str {
                self.name_nul().trim_end_matches('\0')
            }

            /// The C name followed by a NUL byte, for `apol_result_name`.
            const fn name_nul(self) -> &'static str {
                match self {
                    $(apol_result::$code => concat!(stringify!($code), "\0"),)+
                }
            }
        }

        // The values are 0, 1, 2, ... in declaration order.
        const _: () = {
            let mut i = 0;
            while i < apol_result::ALL.len() {
                assert!(apol_result::ALL[i] as u32 as usize == i);
                i += 1;
            }
        };
    };
}

result_codes! {
    APOL_OK,
    APOL_ERR_NULL,
    APOL_ERR_UTF8,
    APOL_ERR_ARTIFACT,
    APOL_ERR_BUFFER_TOO_SMALL,
    APOL_ERR_HANDLE,
    APOL_ERR_ARGUMENT,
    APOL_ERR_NO_RULE,
    APOL_ERR_PANIC,
    APOL_ERR_TOOL_DEFINITION,
    APOL_ERR_STACK,
}

pub use apol_result::*;

/// Per-call error report, filled by every fallible function when the
/// `err` argument is not NULL: `code` is the returned result and `message` a
/// NUL-terminated UTF-8 explanation (empty on success). Owned by the caller
/// (typically on its stack); nothing is kept in globals or thread-locals.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_error {
    /// The result code of the call.
    pub code: apol_result,
    /// NUL-terminated message; empty on success.
    pub message: [c_char; APOL_ERROR_MESSAGE_LEN],
}

/// The name of a result code (`"APOL_ERR_NULL"`), a static NUL-terminated
/// string; `"APOL_ERR_UNKNOWN"` for values that are not result codes.
#[no_mangle]
pub extern "C" fn apol_result_name(code: u32) -> *const c_char {
    let name = match apol_result::from_u32(code) {
        Some(r) => r.name_nul(),
        None => "APOL_ERR_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    fn c_name(code: u32) -> &'static str {
        // SAFETY: `apol_result_name` returns a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(apol_result_name(code)) };
        name.to_str().unwrap_or("not UTF-8")
    }

    #[test]
    fn every_code_has_its_c_name_and_round_trips() {
        assert_eq!(apol_result::ALL.len(), 11);
        for &code in apol_result::ALL {
            assert_eq!(apol_result::from_u32(code as u32), Some(code));
            assert_eq!(c_name(code as u32), code.name());
            assert_eq!(code.name(), format!("{code:?}"));
        }
        assert_eq!(
            APOL_ERR_BUFFER_TOO_SMALL.name(),
            "APOL_ERR_BUFFER_TOO_SMALL"
        );
        assert_eq!(APOL_ERR_TOOL_DEFINITION as u32, 9);
        assert_eq!(APOL_ERR_STACK as u32, 10);
        assert_eq!(apol_result::from_u32(11), None);
        assert_eq!(c_name(11), "APOL_ERR_UNKNOWN");
        assert_eq!(c_name(u32::MAX), "APOL_ERR_UNKNOWN");
    }

    /// The committed header (generated by cbindgen, drift-checked by
    /// `.ci/ffi.sh`) carries every code with its value.
    #[test]
    fn the_header_declares_every_code_with_its_value() {
        let header = include_str!("../include/agent_policy.h");
        for &code in apol_result::ALL {
            let line = format!("  {} = {},\n", code.name(), code as u32);
            assert!(header.contains(&line), "header lacks `{}`", line.trim());
        }
    }
}
