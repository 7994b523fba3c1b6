//! The caller's `apol_context` as a `policy_eval` [`Context`]: user,
//! session and agent strings, and the root bindings, which are read for
//! filesystem requests only, checked against `MAX_ROOT_BINDINGS` before any
//! is read, and kept on the stack when there are few.

use policy_eval::limits::MAX_ROOT_BINDINGS;
use policy_eval::{Context, Request};

use crate::args::{opt_slice, req_slice};
use crate::boundary::Failure;
use crate::types::{apol_context, apol_root};

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
pub(crate) unsafe fn with_context<R>(
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
