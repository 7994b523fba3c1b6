//! Exported tool pins (`spec/pins.md`): `apol_tool_digest`.

use policy_eval::pin::tool_digest;

use crate::args::bytes_arg;
use crate::boundary::{check_out, guard, put, Failure};
use crate::error::{apol_error, apol_result, APOL_ERR_TOOL_DEFINITION};
use crate::handle::{apol_string, new_string};

/// The digest of an MCP tool definition as `tools/list` serves it
/// (`spec/pins.md`): `sha256:` and 64 lower-case hex digits of the SHA-256
/// of its RFC 8785 canonical JSON. A host records it when a tool is
/// approved; a definition with another digest is an unapproved tool.
///
/// `json`: `len` bytes of UTF-8 JSON, one object, borrowed for the call. A
/// definition that has no canonical form (not UTF-8, malformed, a duplicate
/// key, not an object, over 256 KiB or 64 levels deep) gives
/// `APOL_ERR_TOOL_DEFINITION` with a message saying why.
///
/// On `APOL_OK`, `*out` receives a new `apol_string` owned by the caller
/// (free it with `apol_string_free`).
///
/// # Safety
///
/// `json` is NULL or valid for reading `len` bytes; `out` and `err` are
/// NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_tool_digest(
    json: *const u8,
    len: usize,
    out: *mut *mut apol_string,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        if json.is_null() {
            return Err(Failure::null("json"));
        }
        check_out(out, "out")?;
        // SAFETY: `json` is non-NULL and valid for `len` bytes (contract).
        let data = unsafe { bytes_arg(json, len, "json") }?;
        let digest =
            tool_digest(data).map_err(|e| Failure::new(APOL_ERR_TOOL_DEFINITION, e.to_string()))?;
        // SAFETY: `out` is non-NULL and valid for writes (contract).
        unsafe { put(out, new_string(digest)) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}
