//! The exported functions.

use std::borrow::Cow;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use policy_eval::event::Event;
use policy_eval::json::JsonOutcome;
use policy_eval::limits::{MAX_JSON_REQUEST_BYTES, MAX_ROOT_BINDINGS};
use policy_eval::{
    Access, Context, Decision, Effect, Invalid, Lifetime, Policy, Reason, Request, Surface,
};

use crate::handle::{self, apol_policy, apol_string, Kind, POLICY_MAGIC, STRING_MAGIC};
use crate::types::*;

// ---------------------------------------------------------------------------
// Errors and the panic boundary
// ---------------------------------------------------------------------------

/// Why a call failed: a code and a message for `apol_error`.
struct Failure {
    code: apol_result,
    message: Cow<'static, str>,
}

impl Failure {
    fn new(code: apol_result, message: impl Into<Cow<'static, str>>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn null(what: &str) -> Failure {
        Failure::new(APOL_ERR_NULL, format!("`{what}` is NULL"))
    }
}

type Outcome = Result<(), Failure>;

const PANIC_MESSAGE: &str =
    "internal error: the library panicked; the panic was caught at the C boundary (please report this)";

/// Runs `f` inside the panic boundary and reports its outcome in `err`.
///
/// # Safety
///
/// `err` is NULL or valid for writing one `apol_error`.
unsafe fn guard(err: *mut apol_error, f: impl FnOnce() -> Outcome) -> apol_result {
    let outcome = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Failure::new(APOL_ERR_PANIC, PANIC_MESSAGE)));
    let (code, message) = match &outcome {
        Ok(()) => (APOL_OK, ""),
        Err(f) => (f.code, &*f.message),
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { write_error(err, code, message) };
    code
}

/// Writes `code` and `message` (truncated at a character boundary to fit,
/// NUL-terminated) into `*err` when `err` is not NULL.
///
/// # Safety
///
/// `err` is NULL or valid for writing one `apol_error`.
unsafe fn write_error(err: *mut apol_error, code: apol_result, message: &str) {
    if err.is_null() {
        return;
    }
    let mut n = message.len().min(APOL_ERROR_MESSAGE_LEN - 1);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: `err` is valid for writes (contract); raw-pointer writes do not
    // read or reference the possibly uninitialized contents; `n + 1 <=
    // APOL_ERROR_MESSAGE_LEN`, so both writes stay inside `message`.
    unsafe {
        ptr::addr_of_mut!((*err).code).write(code);
        let dst = ptr::addr_of_mut!((*err).message).cast::<u8>();
        ptr::copy_nonoverlapping(message.as_ptr(), dst, n);
        dst.add(n).write(0);
    }
}

/// Writes `value` to the out parameter `out` (already checked non-NULL).
///
/// # Safety
///
/// `out` is valid for writing one `T`.
unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: forwarded from this function's contract; `write` does not drop
    // the possibly uninitialized old value.
    unsafe { out.write(value) }
}

fn check_out<T>(out: *mut T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

/// The policy behind a handle.
///
/// # Safety
///
/// `p` is NULL or a live handle of this library: an `apol_policy`, or an
/// `apol_string` passed by mistake (refused by the magic number). Freed
/// handles are caught best-effort only.
unsafe fn policy_arg<'a>(p: *const apol_policy) -> Result<&'a Policy, Failure> {
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
unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
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
unsafe fn opt_str<'a>(
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
unsafe fn req_str<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { opt_str(ptr, len, what) }?.ok_or_else(|| Failure::null(what))
}

/// # Safety
///
/// `s.ptr` is NULL or valid for `s.len` bytes for `'a`.
unsafe fn opt_slice<'a>(s: apol_str, what: &str) -> Result<Option<&'a str>, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { opt_str(s.ptr, s.len, what) }
}

/// # Safety
///
/// `s.ptr` is NULL or valid for `s.len` bytes for `'a`.
unsafe fn req_slice<'a>(s: apol_str, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { req_str(s.ptr, s.len, what) }
}

fn port_arg(port: i64) -> Option<u32> {
    if port < 0 {
        None
    } else {
        // Out of `u32` is as invalid as 0: both give the `Port` decision.
        Some(u32::try_from(port).unwrap_or(0))
    }
}

fn access_arg(access: u32) -> Access {
    match access {
        APOL_ACCESS_READ => Access::READ,
        APOL_ACCESS_WRITE => Access::WRITE,
        APOL_ACCESS_READ_WRITE => Access::READ_WRITE,
        // Not a bit pattern `decide` accepts: an invalid (deny) decision.
        _ => Access(0),
    }
}

/// Root bindings kept on the stack up to this count.
const STACK_ROOTS: usize = 8;

/// Stand-ins for a context that binds more than `MAX_ROOT_BINDINGS` roots:
/// `decide` answers `TooManyRoots` from the count alone, after the checks
/// that come first (access, path; `spec/requests.md`), so the caller's
/// bindings are never read.
static OVER_LIMIT: [(&str, &str); MAX_ROOT_BINDINGS + 1] = [("", ""); MAX_ROOT_BINDINGS + 1];

/// Calls `f` with the context behind `ctx` (the empty context for NULL) for
/// `req`. Root bindings are read for filesystem requests only, and only up
/// to `MAX_ROOT_BINDINGS`: the count is checked before any binding is
/// converted. Other surfaces never use them, so their `roots` and
/// `roots_len` are not read at all (`spec/ffi.md`).
///
/// # Safety
///
/// `ctx` is NULL or valid for reading, and every pointer in it follows the
/// `apol_context` contract.
unsafe fn with_context<R>(
    ctx: *const apol_context,
    req: &Request<'_>,
    f: impl FnOnce(&Context<'_>) -> Result<R, Failure>,
) -> Result<R, Failure> {
    if ctx.is_null() {
        return f(&Context::default());
    }
    // SAFETY: non-NULL `ctx` is valid for reading (contract).
    let c = unsafe { &*ctx };
    // SAFETY: the strings of a valid context are NULL or valid (contract).
    let (user, session, agent) = unsafe {
        (
            opt_slice(c.user, "context.user")?,
            opt_slice(c.session, "context.session")?,
            opt_slice(c.agent, "context.agent")?,
        )
    };
    let uses_roots = matches!(req, Request::Filesystem { .. });
    let roots: &[apol_root] = if !uses_roots || c.roots_len == 0 {
        &[]
    } else if c.roots.is_null() {
        return Err(Failure::null("context.roots"));
    } else if c.roots_len > MAX_ROOT_BINDINGS {
        return f(&Context {
            roots: &OVER_LIMIT,
            user,
            session,
            agent,
        });
    } else {
        // SAFETY: `roots` is non-NULL and valid for `roots_len` elements
        // (contract); at most MAX_ROOT_BINDINGS of them, so the size fits in
        // `isize`.
        unsafe { std::slice::from_raw_parts(c.roots, c.roots_len) }
    };
    let root = |r: &apol_root| -> Result<(&str, &str), Failure> {
        // SAFETY: the strings of a valid root are NULL or valid (contract).
        unsafe {
            Ok((
                req_slice(r.name, "context.roots[].name")?,
                req_slice(r.path, "context.roots[].path")?,
            ))
        }
    };
    // Up to STACK_ROOTS bindings live on the stack: no allocation.
    let mut buf = [("", ""); STACK_ROOTS];
    let heap: Vec<(&str, &str)>;
    let bound: &[(&str, &str)] = if roots.len() <= STACK_ROOTS {
        for (slot, r) in buf.iter_mut().zip(roots) {
            *slot = root(r)?;
        }
        buf.get(..roots.len()).unwrap_or(&[])
    } else {
        heap = roots.iter().map(root).collect::<Result<Vec<_>, _>>()?;
        &heap
    };
    f(&Context {
        roots: bound,
        user,
        session,
        agent,
    })
}

/// The request behind an `apol_request`.
///
/// # Safety
///
/// `req` is valid for reading and its strings follow the `apol_str`
/// contract for `'a`.
unsafe fn request_arg<'a>(req: &apol_request) -> Result<Request<'a>, Failure> {
    // SAFETY (all blocks below): the strings of a valid request are NULL or
    // valid for their lengths (contract).
    Ok(match req.surface {
        s if s == APOL_SURFACE_NETWORK as u32 => Request::Network {
            host: unsafe { opt_slice(req.host, "request.host") }?,
            ip: unsafe { opt_slice(req.ip, "request.ip") }?,
            port: port_arg(req.port),
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
unsafe fn decide_json_bytes(
    policy: &Policy,
    ptr: *const c_char,
    len: usize,
) -> Result<JsonOutcome, Failure> {
    if ptr.is_null() {
        return Err(Failure::null("request"));
    }
    // Too large is decided before a slice of `len` bytes is made.
    if len > MAX_JSON_REQUEST_BYTES {
        return Ok(JsonOutcome {
            request: None,
            decision: Decision::invalid(Invalid::JsonTooLarge),
        });
    }
    // SAFETY: `ptr` is non-NULL and valid for `len` bytes (contract).
    let bytes = unsafe { bytes_arg(ptr.cast(), len, "request") }?;
    Ok(policy.decide_json_bytes_detailed(bytes))
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

fn effect_c(e: Effect) -> apol_effect {
    match e {
        Effect::Deny => APOL_EFFECT_DENY,
        Effect::Ask => APOL_EFFECT_ASK,
        Effect::Allow => APOL_EFFECT_ALLOW,
    }
}

fn surface_c(s: Surface) -> apol_surface {
    match s {
        Surface::Network => APOL_SURFACE_NETWORK,
        Surface::Filesystem => APOL_SURFACE_FILESYSTEM,
        Surface::Credential => APOL_SURFACE_CREDENTIAL,
        Surface::Mcp => APOL_SURFACE_MCP,
    }
}

fn decision_c(policy: &Policy, d: &Decision) -> apol_decision {
    let rule = d
        .rule
        .and_then(|i| policy.rule(i).map(|r| (i, r.id.as_str())));
    let (lifetime, lifetime_seconds) = match d.lifetime {
        None => (APOL_LIFETIME_NONE, 0),
        Some(Lifetime::Session) => (APOL_LIFETIME_SESSION, 0),
        Some(Lifetime::Seconds(s)) => (APOL_LIFETIME_SECONDS, s),
    };
    let (reason, message) = match d.reason {
        Reason::Rule => (APOL_REASON_RULE, None),
        Reason::Default => (APOL_REASON_DEFAULT, None),
        Reason::Invalid(why) => (APOL_REASON_INVALID, Some(why.message())),
    };
    apol_decision {
        effect: effect_c(d.effect),
        reason,
        has_rule: rule.is_some(),
        rule: rule.map_or(0, |(i, _)| i),
        rule_id: rule.map_or(ptr::null(), |(_, id)| id.as_ptr().cast()),
        rule_id_len: rule.map_or(0, |(_, id)| id.len()),
        lifetime,
        lifetime_seconds,
        message: message.map_or(ptr::null(), |m| m.as_ptr().cast()),
        message_len: message.map_or(0, str::len),
    }
}

/// Moves `text` into a new registered `apol_string`.
fn new_string(text: String) -> *mut apol_string {
    let mut bytes = text.into_bytes();
    bytes.push(0);
    let s = Box::into_raw(Box::new(apol_string {
        magic: STRING_MAGIC,
        bytes: bytes.into_boxed_slice(),
    }));
    handle::register(s as usize, Kind::String);
    s
}

fn event_time(unix_ms: i64) -> SystemTime {
    match u64::try_from(unix_ms) {
        Ok(ms) => UNIX_EPOCH
            .checked_add(Duration::from_millis(ms))
            .unwrap_or(UNIX_EPOCH),
        Err(_) => SystemTime::now(),
    }
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// The library version (`"0.1.0"`), a static NUL-terminated string: never
/// free it.
#[no_mangle]
pub extern "C" fn apol_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Oldest artifact format version this library loads.
#[no_mangle]
pub extern "C" fn apol_artifact_format_min() -> u32 {
    policy_eval::wire::FORMAT_VERSION
}

/// Newest artifact format version this library loads. Artifacts of
/// versions outside `[min, max]` are refused with `APOL_ERR_ARTIFACT`.
#[no_mangle]
pub extern "C" fn apol_artifact_format_max() -> u32 {
    policy_eval::wire::FORMAT_VERSION
}

/// The name of a result code (`"APOL_ERR_NULL"`), a static NUL-terminated
/// string; `"APOL_ERR_UNKNOWN"` for values that are not result codes.
#[no_mangle]
pub extern "C" fn apol_result_name(code: u32) -> *const c_char {
    let name: &'static str = match code {
        0 => "APOL_OK\0",
        1 => "APOL_ERR_NULL\0",
        2 => "APOL_ERR_UTF8\0",
        3 => "APOL_ERR_ARTIFACT\0",
        4 => "APOL_ERR_BUFFER_TOO_SMALL\0",
        5 => "APOL_ERR_HANDLE\0",
        6 => "APOL_ERR_ARGUMENT\0",
        7 => "APOL_ERR_NO_RULE\0",
        8 => "APOL_ERR_PANIC\0",
        _ => "APOL_ERR_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

// ---------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------

/// Loads a compiled policy artifact (the output of `polc compile`).
///
/// `bytes`: `len` bytes, borrowed for the duration of the call only: the
/// library copies what it needs, so the caller may free them on return.
/// The artifact is fully validated; a bad one gives `APOL_ERR_ARTIFACT` and
/// a message saying what is wrong.
///
/// On `APOL_OK`, `*out` receives a new policy owned by the caller, to be
/// released with `apol_policy_free`. A policy is immutable: any number of
/// threads may use it at once.
///
/// # Safety
///
/// `bytes` is NULL or valid for reading `len` bytes; `out` is NULL or valid
/// for writing a pointer; `err` is NULL or valid for writing an `apol_error`.
#[no_mangle]
pub unsafe extern "C" fn apol_policy_load(
    bytes: *const u8,
    len: usize,
    out: *mut *mut apol_policy,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        if bytes.is_null() {
            return Err(Failure::null("bytes"));
        }
        check_out(out, "out")?;
        // SAFETY: `bytes` is non-NULL and valid for `len` bytes (contract).
        let data = unsafe { bytes_arg(bytes, len, "bytes") }?;
        let policy =
            Policy::from_bytes(data).map_err(|e| Failure::new(APOL_ERR_ARTIFACT, e.to_string()))?;
        let h = Box::into_raw(Box::new(apol_policy {
            magic: POLICY_MAGIC,
            policy,
        }));
        handle::register(h as usize, Kind::Policy);
        // SAFETY: `out` is non-NULL and valid for writes (contract).
        unsafe { put(out, h) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Frees a policy. NULL is accepted and ignored (`APOL_OK`).
///
/// Freeing the same pointer twice, or a pointer that is not a policy, returns
/// `APOL_ERR_HANDLE` and does nothing: the library keeps a registry of live
/// handles. This guard is best-effort: once the address has been reused for a
/// new policy, a stale pointer frees that one. The caller must make sure no
/// other thread is still using the policy, and must not use `rule_id`,
/// `apol_rule.id` or `apol_policy_get_info` strings obtained from it afterwards.
///
/// # Safety
///
/// `policy` is NULL or a pointer (possibly already freed) returned by
/// `apol_policy_load`, no longer used by any other thread.
#[no_mangle]
pub unsafe extern "C" fn apol_policy_free(policy: *mut apol_policy) -> apol_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { free_handle(policy, Kind::Policy, "apol_policy") }
}

/// Name, version and rule count of a policy. The strings are owned by the
/// policy (valid until `apol_policy_free`).
///
/// # Safety
///
/// `policy` is NULL or a live policy; `out` is NULL or valid for writing;
/// `err` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_policy_get_info(
    policy: *const apol_policy,
    out: *mut apol_policy_info,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `policy` is NULL or live (contract).
        let p = unsafe { policy_arg(policy) }?;
        check_out(out, "out")?;
        let a = p.artifact();
        let info = apol_policy_info {
            name: a.meta.name.as_ptr().cast(),
            name_len: a.meta.name.len(),
            version: a.meta.version.as_ptr().cast(),
            version_len: a.meta.version.len(),
            rule_count: u32::try_from(a.rules.len()).unwrap_or(u32::MAX),
        };
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, info) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// The rule with index `index` (for example `apol_decision.rule`): its id,
/// surface, effect and source position. `APOL_ERR_NO_RULE` when the policy
/// has no such rule. The id is owned by the policy.
///
/// # Safety
///
/// `policy` is NULL or a live policy; `out` is NULL or valid for writing;
/// `err` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_policy_rule(
    policy: *const apol_policy,
    index: u32,
    out: *mut apol_rule,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `policy` is NULL or live (contract).
        let p = unsafe { policy_arg(policy) }?;
        check_out(out, "out")?;
        let r = p.rule(index).ok_or_else(|| {
            Failure::new(
                APOL_ERR_NO_RULE,
                format!(
                    "no rule has index {index} (the policy has {})",
                    p.artifact().rules.len()
                ),
            )
        })?;
        let rule = apol_rule {
            index,
            id: r.id.as_ptr().cast(),
            id_len: r.id.len(),
            surface: surface_c(r.surface),
            effect: effect_c(r.effect),
            line: r.line,
            column: r.column,
        };
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, rule) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

// ---------------------------------------------------------------------------
// Typed decisions
// ---------------------------------------------------------------------------

/// Decides `req` under `ctx` and writes the decision to `out`.
///
/// # Safety
///
/// `out` is NULL or valid for writing; `ctx` follows `with_context`.
unsafe fn decide_into(
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

// ---------------------------------------------------------------------------
// JSON decisions
// ---------------------------------------------------------------------------

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
        let json = p.decision_json(&outcome.decision);
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
        let s = new_string(p.decision_json(&outcome.decision));
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, s) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// Decides a typed request and builds its decision event (`spec/events.md`):
/// one JSON line, newline included, in a new `apol_string` owned by the
/// caller. `ctx` is the caller's context: its roots are used for the
/// decision, its `user`, `session` and `agent` are recorded in the event.
/// `unix_ms` is the event time in milliseconds since 1970, or negative for
/// now. `out_decision` (may be NULL) receives the decision too.
///
/// # Safety
///
/// `req` and `ctx` as for `apol_decide`; `out_decision`, `out_event` and
/// `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_event(
    policy: *const apol_policy,
    req: *const apol_request,
    ctx: *const apol_context,
    unix_ms: i64,
    out_decision: *mut apol_decision,
    out_event: *mut *mut apol_string,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        if req.is_null() {
            return Err(Failure::null("request"));
        }
        check_out(out_event, "out_event")?;
        // SAFETY: the pointers follow this function's contract.
        let (p, r) = unsafe { (policy_arg(policy)?, request_arg(&*req)?) };
        // SAFETY: `ctx` is NULL or valid (contract).
        let (d, line) = unsafe {
            with_context(ctx, &r, |c| {
                let d = p.decide(&r, c);
                Ok((
                    d,
                    Event::at(p, &r, c, &d, event_time(unix_ms)).to_json_line(),
                ))
            })
        }?;
        // SAFETY: the out parameters are NULL (decision only) or valid.
        unsafe {
            if !out_decision.is_null() {
                put(out_decision, decision_c(p, &d));
            }
            put(out_event, new_string(line));
        }
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Decides a JSON request and builds its decision event, as `apol_event`;
/// the context (roots, user, session, agent) is the request's own
/// `context` object. Input that cannot be parsed gives an event with a null
/// surface and an invalid decision.
///
/// # Safety
///
/// `request` is NULL or valid for reading `request_len` bytes;
/// `out_decision`, `out_event` and `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_event_json(
    policy: *const apol_policy,
    request: *const c_char,
    request_len: usize,
    unix_ms: i64,
    out_decision: *mut apol_decision,
    out_event: *mut *mut apol_string,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `policy` is NULL or live (contract).
        let p = unsafe { policy_arg(policy) }?;
        check_out(out_event, "out_event")?;
        // SAFETY: `request` is NULL or valid (contract).
        let outcome = unsafe { decide_json_bytes(p, request, request_len) }?;
        let time = event_time(unix_ms);
        let event = match &outcome.request {
            Some(req) => req.with(|r, c| Event::at(p, r, c, &outcome.decision, time)),
            None => Event::unparsed(p, &outcome.decision, time),
        };
        // SAFETY: the out parameters are NULL (decision only) or valid.
        unsafe {
            if !out_decision.is_null() {
                put(out_decision, decision_c(p, &outcome.decision));
            }
            put(out_event, new_string(event.to_json_line()));
        }
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

// ---------------------------------------------------------------------------
// Library-allocated strings
// ---------------------------------------------------------------------------

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

/// A handle type with a magic number that is cleared when it is freed.
trait Handle {
    fn clear_magic(&mut self);
}

impl Handle for apol_policy {
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
}

impl Handle for apol_string {
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
}

/// Frees a registered handle exactly once: NULL is accepted, an unknown or
/// already freed pointer gives `APOL_ERR_HANDLE` and touches no memory.
///
/// # Safety
///
/// `p` is NULL or a pointer (possibly already freed) that this library made
/// with `Box::into_raw` and registered as `kind`, no longer used elsewhere.
unsafe fn free_handle<T: Handle>(p: *mut T, kind: Kind, what: &'static str) -> apol_result {
    let run = || {
        if p.is_null() {
            return Ok(());
        }
        if !handle::unregister(p as usize, kind) {
            return Err(Failure::new(
                APOL_ERR_HANDLE,
                format!("not a live {what} (already freed?)"),
            ));
        }
        // SAFETY: the registry says `p` came from `Box::into_raw` and has not
        // been freed; it is now unregistered, so it is freed exactly once.
        // The magic is cleared first so that a later use of the stale pointer
        // fails its magic check while the memory is not reused.
        unsafe {
            (*p).clear_magic();
            drop(Box::from_raw(p));
        }
        Ok(())
    };
    // SAFETY: NULL `err` is always accepted.
    unsafe { guard(ptr::null_mut(), run) }
}
