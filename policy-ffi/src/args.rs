//! Argument conversion: C arguments to `policy_eval` values. Policy
//! handles (magic check), pointer + length strings (NULL, length and UTF-8
//! checks), ports, access values, `apol_request` to [`Request`], JSON
//! request bytes (size limit first), and event times. Contexts are in
//! `context.rs`.

use std::os::raw::c_char;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use policy_eval::json::JsonOutcome;
use policy_eval::limits::MAX_JSON_REQUEST_BYTES;
use policy_eval::{Access, Decision, Invalid, Policy, Request, Stack};

use crate::boundary::Failure;
use crate::error::{APOL_ERR_ARGUMENT, APOL_ERR_HANDLE, APOL_ERR_NULL, APOL_ERR_UTF8};
use crate::handle::{self, apol_policy, apol_stack, POLICY_MAGIC};
use crate::types::*;

/// The policy behind a handle.
///
/// # Safety
///
/// `p` is NULL or a live handle of this library: an `apol_policy`, or an
/// `apol_string` passed by mistake (refused by the magic number). Freed
/// handles are caught best-effort only.
pub(crate) unsafe fn policy_arg<'a>(p: *const apol_policy) -> Result<&'a Policy, Failure> {
    if p.is_null() {
        return Err(Failure::null("policy"));
    }
    // SAFETY: a non-NULL `p` is a live handle (contract), perhaps of the
    // other type: `magic_of` reads only its first 8 bytes.
    if unsafe { handle::magic_of(p) } != POLICY_MAGIC {
        return Err(Failure::new(
            APOL_ERR_HANDLE,
            "`policy` is not a live apol_policy (freed, or not from apol_policy_load)",
        ));
    }
    // SAFETY: the magic says `p` is a live `apol_policy`.
    Ok(unsafe { &(*p).policy })
}

/// A byte slice from pointer + length. `what` names the argument.
///
/// # Safety
///
/// `ptr` is non-NULL and valid for reading `len` bytes for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len > isize::MAX as usize {
        return Err(Failure::new(
            APOL_ERR_ARGUMENT,
            format!("`{what}` length {len} is larger than PTRDIFF_MAX"),
        ));
    }
    // SAFETY: `ptr` is non-NULL and valid for `len` bytes (contract), `len`
    // fits in `isize`, and `u8` has no alignment requirement.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An optional string argument: NULL is absent (`len` must then be 0).
///
/// # Safety
///
/// `ptr` is NULL or valid for reading `len` bytes for `'a`.
pub(crate) unsafe fn opt_str<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        if len != 0 {
            return Err(Failure::new(
                APOL_ERR_NULL,
                format!("`{what}` is NULL but its length is {len}"),
            ));
        }
        return Ok(None);
    }
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { bytes_arg(ptr.cast(), len, what) }?;
    // Most arguments are short ASCII strings, for which `is_ascii` (a word at
    // a time) costs a fraction of `from_utf8`'s general validation (about a
    // third of the C ABI's overhead in a callgrind profile of
    // `apol_decide_network`; benches/README.md, "Profiling").
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) }));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Some(s)),
        Err(e) => Err(Failure::new(
            APOL_ERR_UTF8,
            format!(
                "`{what}` is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )),
    }
}

/// A required string argument.
///
/// # Safety
///
/// As [`opt_str`].
pub(crate) unsafe fn req_str<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { opt_str(ptr, len, what) }?.ok_or_else(|| Failure::null(what))
}

/// # Safety
///
/// `s.ptr` is NULL or valid for `s.len` bytes for `'a`.
pub(crate) unsafe fn opt_slice<'a>(s: apol_str, what: &str) -> Result<Option<&'a str>, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { opt_str(s.ptr, s.len, what) }
}

/// # Safety
///
/// `s.ptr` is NULL or valid for `s.len` bytes for `'a`.
pub(crate) unsafe fn req_slice<'a>(s: apol_str, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { req_str(s.ptr, s.len, what) }
}

pub(crate) fn port_arg(port: i64) -> Option<u32> {
    if port < 0 {
        None
    } else {
        // Out of `u32` is as invalid as 0: both give the `Port` decision.
        Some(u32::try_from(port).unwrap_or(0))
    }
}

pub(crate) fn access_arg(access: u32) -> Access {
    match access {
        APOL_ACCESS_READ => Access::READ,
        APOL_ACCESS_WRITE => Access::WRITE,
        APOL_ACCESS_READ_WRITE => Access::READ_WRITE,
        // Not a bit pattern `decide` accepts: an invalid (deny) decision.
        _ => Access(0),
    }
}

/// The request behind an `apol_request`.
///
/// # Safety
///
/// `req` is valid for reading and its strings follow the `apol_str`
/// contract for `'a`.
pub(crate) unsafe fn request_arg<'a>(req: &apol_request) -> Result<Request<'a>, Failure> {
    // SAFETY (all blocks below): the strings of a valid request are NULL or
    // valid for their lengths (contract).
    Ok(match req.surface {
        s if s == APOL_SURFACE_NETWORK as u32 => Request::Network {
            host: unsafe { opt_slice(req.host, "request.host") }?,
            ip: unsafe { opt_slice(req.ip, "request.ip") }?,
            port: port_arg(req.port),
            // `apol_request` has no method and path (its layout is fixed):
            // HTTP requests go through `apol_decide_http` or JSON.
            http: None,
        },
        s if s == APOL_SURFACE_FILESYSTEM as u32 => Request::Filesystem {
            path: unsafe { req_slice(req.path, "request.path") }?,
            access: access_arg(req.access),
        },
        s if s == APOL_SURFACE_CREDENTIAL as u32 => Request::Credential {
            name: unsafe { req_slice(req.name, "request.name") }?,
            host: unsafe { opt_slice(req.host, "request.host") }?,
            ip: unsafe { opt_slice(req.ip, "request.ip") }?,
        },
        s if s == APOL_SURFACE_MCP as u32 => Request::Mcp {
            server: unsafe { req_slice(req.server, "request.server") }?,
            tool: unsafe { opt_slice(req.tool, "request.tool") }?,
            source: unsafe { opt_slice(req.source, "request.source") }?,
            // Calls with arguments go through `apol_decide_json`.
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        },
        s => {
            return Err(Failure::new(
                APOL_ERR_ARGUMENT,
                format!("`request.surface` is {s}, not an apol_surface value"),
            ))
        }
    })
}

/// Decides a JSON request given as bytes. Oversized input is refused before
/// it is read; bytes that are not UTF-8 are not well-formed JSON (RFC 8259),
/// so both are invalid decisions, exactly as `Policy::decide_json` answers.
///
/// # Safety
///
/// `ptr` is NULL or valid for reading `len` bytes.
pub(crate) unsafe fn decide_json_bytes(
    policy: &Policy,
    ptr: *const c_char,
    len: usize,
) -> Result<JsonOutcome, Failure> {
    // SAFETY: forwarded from this function's contract.
    Ok(match unsafe { request_bytes(ptr, len) }? {
        Some(bytes) => policy.decide_json_bytes_detailed(bytes),
        None => JsonOutcome {
            request: None,
            decision: Decision::invalid(Invalid::JsonTooLarge),
        },
    })
}

/// The bytes of a JSON request argument; `None` when there are more than
/// `MAX_JSON_REQUEST_BYTES` (too large is decided before a slice of `len`
/// bytes is made). NULL is `APOL_ERR_NULL`.
///
/// # Safety
///
/// `ptr` is NULL or valid for reading `len` bytes for `'a`.
pub(crate) unsafe fn request_bytes<'a>(
    ptr: *const c_char,
    len: usize,
) -> Result<Option<&'a [u8]>, Failure> {
    if ptr.is_null() {
        return Err(Failure::null("request"));
    }
    if len > MAX_JSON_REQUEST_BYTES {
        return Ok(None);
    }
    // SAFETY: `ptr` is non-NULL and valid for `len` bytes (contract).
    unsafe { bytes_arg(ptr.cast(), len, "request") }.map(Some)
}

/// A stack argument: non-NULL and a live `apol_stack` (as [`policy_arg`]).
///
/// # Safety
///
/// `p` is NULL or a live handle made by this library.
pub(crate) unsafe fn stack_arg<'a>(p: *const apol_stack) -> Result<&'a Stack, Failure> {
    if p.is_null() {
        return Err(Failure::null("stack"));
    }
    // SAFETY: a non-NULL `p` is a live handle (contract), perhaps of
    // another type: `magic_of` reads only its first 8 bytes.
    if unsafe { handle::magic_of(p) } != handle::STACK_MAGIC {
        return Err(Failure::new(
            APOL_ERR_HANDLE,
            "`stack` is not a live apol_stack (freed, or not from apol_stack_new)",
        ));
    }
    // SAFETY: the magic says `p` is a live `apol_stack`.
    Ok(unsafe { &(*p).stack })
}

pub(crate) fn event_time(unix_ms: i64) -> SystemTime {
    match u64::try_from(unix_ms) {
        Ok(ms) => UNIX_EPOCH
            .checked_add(Duration::from_millis(ms))
            .unwrap_or(UNIX_EPOCH),
        Err(_) => SystemTime::now(),
    }
}
