//! Exported typed decisions: one function per surface
//! (`apol_decide_network`, `_filesystem`, `_credential`, `_mcp`), one for
//! an HTTP request inside a network connection (`apol_decide_http`) and
//! `apol_decide` for an `apol_request` of any surface, all through
//! `decide_into`.

use std::os::raw::c_char;

use policy_eval::{Http, Policy, Request};

use crate::args::{access_arg, opt_str, policy_arg, port_arg, req_str, request_arg};
use crate::boundary::{check_out, guard, put, Failure, Outcome};
use crate::context::with_context;
use crate::convert::decision_c;
use crate::error::{apol_error, apol_result};
use crate::handle::apol_policy;
use crate::types::{apol_context, apol_decision, apol_request};

/// Decides `req` under `ctx` and writes the decision to `out`.
///
/// # Safety
///
/// `out` is NULL or valid for writing; `ctx` follows `with_context`.
pub(crate) unsafe fn decide_into(
    policy: &Policy,
    req: &Request<'_>,
    ctx: *const apol_context,
    out: *mut apol_decision,
) -> Outcome {
    check_out(out, "out")?;
    // SAFETY: `ctx` is NULL or valid (contract).
    let d = unsafe { with_context(ctx, req, |c| Ok(policy.decide(req, c))) }?;
    // SAFETY: `out` is non-NULL and valid (contract).
    unsafe { put(out, decision_c(policy, &d)) };
    Ok(())
}

/// Decides a network connection.
///
/// `host` (`host_len` bytes) is the name or IP literal about to be
/// connected to, `ip` (`ip_len` bytes) the address about to be dialled;
/// either may be NULL (absent), not both (an invalid decision). `port` is
/// `1..=65535`, or `APOL_PORT_NONE` (any negative value) for none; 0 and
/// larger values give an invalid decision. `ctx` may be NULL.
///
/// Strings are borrowed for the call, need no NUL terminator, and must be
/// UTF-8 (`APOL_ERR_UTF8` otherwise). A request the policy cannot accept
/// (malformed host, bad port, ...) is not an error: it is an `APOL_OK` call
/// whose decision is deny with reason `APOL_REASON_INVALID`.
///
/// # Safety
///
/// Each string pointer is NULL or valid for reading its length; `ctx` is
/// NULL or a valid context; `out` and `err` are NULL or valid for writing.
// C ABI: every string is a pointer + length pair.
#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub unsafe extern "C" fn apol_decide_network(
    policy: *const apol_policy,
    host: *const c_char,
    host_len: usize,
    ip: *const c_char,
    ip_len: usize,
    port: i64,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let req = Request::Network {
                host: opt_str(host, host_len, "host")?,
                ip: opt_str(ip, ip_len, "ip")?,
                port: port_arg(port),
                // HTTP requests: `apol_decide_http`.
                http: None,
            };
            decide_into(p, &req, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides an HTTP request that a proxy sees inside a network connection
/// (after TLS termination): the connection's `host`, `ip` and `port`, as in
/// `apol_decide_network`, plus the request's `method` (`method_len` bytes)
/// and `path` (`path_len` bytes), both required (NULL is `APOL_ERR_NULL`).
///
/// `method` is one of `GET HEAD POST PUT PATCH DELETE OPTIONS CONNECT
/// TRACE` in upper case; `path` is the origin-form path of the request
/// target, without query or fragment. Neither is rewritten: any other
/// spelling (`get`, `/a?x`, `/a%2Fb`, `/a/../b`, ...) gives an invalid
/// decision with the message of `spec/requests.md` ("method and path"),
/// exactly as the JSON request with `"method"` and `"path"` does. The
/// connection is checked first (host, ip, port), then the method, then the
/// path. See `apol_decide_network` for strings and invalid requests.
///
/// # Safety
///
/// As `apol_decide_network`.
// C ABI: every string is a pointer + length pair.
#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub unsafe extern "C" fn apol_decide_http(
    policy: *const apol_policy,
    host: *const c_char,
    host_len: usize,
    ip: *const c_char,
    ip_len: usize,
    port: i64,
    method: *const c_char,
    method_len: usize,
    path: *const c_char,
    path_len: usize,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let req = Request::Network {
                host: opt_str(host, host_len, "host")?,
                ip: opt_str(ip, ip_len, "ip")?,
                port: port_arg(port),
                http: Some(Http {
                    method: req_str(method, method_len, "method")?,
                    path: req_str(path, path_len, "path")?,
                }),
            };
            decide_into(p, &req, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides a file system access. `path` (`path_len` bytes, required) is
/// absolute; `access` is `APOL_ACCESS_READ`, `APOL_ACCESS_WRITE` or
/// `APOL_ACCESS_READ_WRITE` (anything else gives an invalid decision). The
/// policy's named roots (`home` for `~`, every `$name`) are bound in `ctx`;
/// an unbound root gives an invalid decision. See `apol_decide_network` for
/// strings and invalid requests.
///
/// # Safety
///
/// As `apol_decide_network`.
#[no_mangle]
pub unsafe extern "C" fn apol_decide_filesystem(
    policy: *const apol_policy,
    path: *const c_char,
    path_len: usize,
    access: u32,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let req = Request::Filesystem {
                path: req_str(path, path_len, "path")?,
                access: access_arg(access),
            };
            decide_into(p, &req, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides the use of a secret: `name` (required); with `host` and/or `ip`
/// a send to that destination, with both NULL whether the session may see
/// it. See `apol_decide_network` for strings and invalid requests.
///
/// # Safety
///
/// As `apol_decide_network`.
// C ABI: every string is a pointer + length pair.
#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub unsafe extern "C" fn apol_decide_credential(
    policy: *const apol_policy,
    name: *const c_char,
    name_len: usize,
    host: *const c_char,
    host_len: usize,
    ip: *const c_char,
    ip_len: usize,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let req = Request::Credential {
                name: req_str(name, name_len, "name")?,
                host: opt_str(host, host_len, "host")?,
                ip: opt_str(ip, ip_len, "ip")?,
            };
            decide_into(p, &req, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides the use of an MCP server (`tool` NULL) or one of its tools.
/// `server` is required; `source` (NULL when unknown) is the server's image
/// reference or URL, compared exactly with a pinned source. See
/// `apol_decide_network` for strings and invalid requests.
///
/// # Safety
///
/// As `apol_decide_network`.
// C ABI: every string is a pointer + length pair.
#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub unsafe extern "C" fn apol_decide_mcp(
    policy: *const apol_policy,
    server: *const c_char,
    server_len: usize,
    tool: *const c_char,
    tool_len: usize,
    source: *const c_char,
    source_len: usize,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let req = Request::Mcp {
                server: req_str(server, server_len, "server")?,
                tool: opt_str(tool, tool_len, "tool")?,
                source: opt_str(source, source_len, "source")?,
                // Calls with arguments go through `apol_decide_json`.
                arguments: None,
                definition: None,
                resource: None,
                prompt: None,
            };
            decide_into(p, &req, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides a typed request of any surface (`req->surface`). Same rules as the
/// per-surface functions.
///
/// # Safety
///
/// `req` is NULL or a valid request whose strings are NULL or valid; `ctx`
/// is NULL or a valid context; `out` and `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_decide(
    policy: *const apol_policy,
    req: *const apol_request,
    ctx: *const apol_context,
    out: *mut apol_decision,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        if req.is_null() {
            return Err(Failure::null("request"));
        }
        // SAFETY: the pointers follow this function's contract.
        unsafe {
            let p = policy_arg(policy)?;
            let r = request_arg(&*req)?;
            decide_into(p, &r, ctx, out)
        }
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}
