//! Exported functions on library-allocated strings (decision and event
//! JSON): `apol_string_ptr`, `apol_string_len`, `apol_string_free`.

use std::os::raw::c_char;
use std::ptr;

use crate::error::apol_result;
use crate::handle::{self, apol_string, free_handle, Kind, STRING_MAGIC};

/// The string behind a handle; `None` for NULL or a handle that is not a
/// live `apol_string`.
///
/// # Safety
///
/// `s` is NULL or a live handle of this library, of either type (a policy
/// is refused by the magic number).
unsafe fn string_ref<'a>(s: *const apol_string) -> Option<&'a apol_string> {
    if s.is_null() {
        return None;
    }
    // SAFETY: a non-NULL `s` is a live handle (contract), perhaps of the
    // other type: `magic_of` reads only its first 8 bytes.
    if unsafe { handle::magic_of(s) } != STRING_MAGIC {
        return None;
    }
    // SAFETY: the magic says `s` is a live `apol_string`.
    Some(unsafe { &*s })
}

/// The NUL-terminated UTF-8 text of a library string, valid until
/// `apol_string_free`. NULL for a NULL or invalid handle.
///
/// # Safety
///
/// `s` is NULL or a live `apol_string`.
#[no_mangle]
pub unsafe extern "C" fn apol_string_ptr(s: *const apol_string) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { string_ref(s) }.map_or(ptr::null(), |r| r.bytes.as_ptr().cast())
}

/// The length of a library string in bytes, NUL excluded; 0 for a NULL or
/// invalid handle.
///
/// # Safety
///
/// `s` is NULL or a live `apol_string`.
#[no_mangle]
pub unsafe extern "C" fn apol_string_len(s: *const apol_string) -> usize {
    // SAFETY: forwarded from this function's contract.
    unsafe { string_ref(s) }.map_or(0, |r| r.bytes.len().saturating_sub(1))
}

/// Frees a library string. NULL is accepted and ignored (`APOL_OK`); a
/// second free of the same pointer returns `APOL_ERR_HANDLE` and does
/// nothing (best-effort, as for `apol_policy_free`).
///
/// # Safety
///
/// `s` is NULL or a pointer (possibly already freed) returned by this
/// library as an `apol_string`.
#[no_mangle]
pub unsafe extern "C" fn apol_string_free(s: *mut apol_string) -> apol_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { free_handle(s, Kind::String, "apol_string") }
}
