//! Exported tool listing: `apol_list_tools_json` (`spec/requests.md`,
//! "Listing tools").

use std::os::raw::c_char;

use policy_eval::json::ListJsonError;
use policy_eval::limits::MAX_JSON_LIST_BYTES;

use crate::args::{bytes_arg, policy_arg};
use crate::boundary::{check_out, guard, put, Failure};
use crate::error::{apol_error, apol_result};
use crate::handle::{apol_policy, apol_string, new_string};

/// Lists which tools of an MCP server the agent may see, for one JSON
/// listing request `{"server", "source"?, "tools": [...]}`, and returns the
/// answer in a new `apol_string` owned by the caller (free it with
/// `apol_string_free`): `{"tools": [{"name", "listed", "decision", "rule",
/// "reason", "message"?}, ...]}` in input order (`spec/list.schema.json`).
/// A tool is hidden (`"listed": false`) only when every call of it would be
/// denied.
///
/// `request`: `request_len` bytes, borrowed for the call, no NUL terminator
/// needed. As with `apol_decide_json`, malformed input is not an error
/// result: the answer is the error object the Rust runtime gives
/// (`{"error": "invalid", "message": ...}`; over 2 MiB without reading the
/// bytes, not UTF-8 as not well-formed JSON), and more than 4096 tools is
/// `{"error": "too_many_tools", ...}`, never a truncated listing. A NULL
/// `policy`, `request` or `out` is `APOL_ERR_NULL`.
///
/// # Safety
///
/// `request` is NULL or valid for reading `request_len` bytes; `out` and
/// `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_list_tools_json(
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
        if request.is_null() {
            return Err(Failure::null("request"));
        }
        let (Ok(json) | Err(json)) = if request_len > MAX_JSON_LIST_BYTES {
            // Too large is answered before a slice of `len` bytes is made.
            Err(ListJsonError::TooLarge.to_json())
        } else {
            // SAFETY: `request` is non-NULL and valid for `request_len`
            // bytes (contract).
            let bytes = unsafe { bytes_arg(request.cast(), request_len, "request") }?;
            p.list_tools_json_bytes(bytes)
        };
        let s = new_string(json);
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, s) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}
