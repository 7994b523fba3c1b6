//! Exported JSON decisions: `apol_decide_json` (into the caller's buffer)
//! and `apol_decide_json_alloc` (into a new `apol_string`).

use std::os::raw::c_char;
use std::ptr;

use crate::args::{decide_json_bytes, policy_arg};
use crate::boundary::{check_out, guard, put, Failure};
use crate::error::{apol_error, apol_result, APOL_ERR_BUFFER_TOO_SMALL, APOL_ERR_NULL};
use crate::handle::{apol_policy, apol_string, new_string};

/// Decides one JSON request (`spec/requests.md`; it may carry its own
/// `context`) and writes the decision JSON (`spec/decision.schema.json`,
/// compact, no newline) plus a NUL terminator into the caller's buffer.
///
/// `request`: `request_len` bytes, borrowed for the call, no NUL terminator
/// needed. Malformed input is not an error: it gets a decision with reason
/// `invalid`, exactly as the Rust runtime answers; so do requests over 64 KiB
/// (`request is larger than 64 KiB`, without reading them) and bytes that are
/// not UTF-8 (`request is not well-formed JSON`).
///
/// `out`: a buffer of `out_cap` bytes owned by the caller (NULL allowed when
/// `out_cap` is 0). On `APOL_OK`, `*out_len` is the JSON length without the
/// NUL. If the buffer is too small, the result is `APOL_ERR_BUFFER_TOO_SMALL`,
/// `out` is untouched and, as the one exception to "out parameters are
/// written only on success", `*out_len` receives the capacity needed (NUL
/// included). 512 bytes hold every decision of policies with rule ids under
/// 300 bytes.
///
/// # Safety
///
/// `request` is NULL or valid for reading `request_len` bytes; `out` is NULL
/// or valid for writing `out_cap` bytes; `out_len` and `err` are NULL or
/// valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_decide_json(
    policy: *const apol_policy,
    request: *const c_char,
    request_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `policy` is NULL or live (contract).
        let p = unsafe { policy_arg(policy) }?;
        check_out(out_len, "out_len")?;
        if out.is_null() && out_cap != 0 {
            return Err(Failure::new(
                APOL_ERR_NULL,
                format!("`out` is NULL but `out_cap` is {out_cap}"),
            ));
        }
        // SAFETY: `request` is NULL or valid (contract).
        let outcome = unsafe { decide_json_bytes(p, request, request_len) }?;
        let json = p.outcome_json(&outcome);
        let needed = json.len() + 1;
        if needed > out_cap {
            // SAFETY: `out_len` is non-NULL and valid (contract).
            unsafe { put(out_len, needed) };
            return Err(Failure::new(
                APOL_ERR_BUFFER_TOO_SMALL,
                format!("the decision needs {needed} bytes, the buffer has {out_cap}"),
            ));
        }
        // SAFETY: `out` is non-NULL (`out_cap >= needed > 0`) and valid for
        // `out_cap >= json.len() + 1` bytes (contract); the regions cannot
        // overlap since `json` was just allocated.
        unsafe {
            ptr::copy_nonoverlapping(json.as_ptr(), out.cast::<u8>(), json.len());
            out.add(json.len()).write(0);
            put(out_len, json.len());
        }
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// As `apol_decide_json`, but the decision JSON is returned in a new
/// `apol_string` owned by the caller (free it with `apol_string_free`).
///
/// # Safety
///
/// `request` is NULL or valid for reading `request_len` bytes; `out` and
/// `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_decide_json_alloc(
    policy: *const apol_policy,
    request: *const c_char,
    request_len: usize,
    out: *mut *mut apol_string,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `policy` is NULL or live (contract).
        let p = unsafe { policy_arg(policy) }?;
        check_out(out, "out")?;
        // SAFETY: `request` is NULL or valid (contract).
        let outcome = unsafe { decide_json_bytes(p, request, request_len) }?;
        let s = new_string(p.outcome_json(&outcome));
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, s) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}
