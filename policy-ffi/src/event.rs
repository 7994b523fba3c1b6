//! Exported decision events (`spec/events.md`): `apol_event` for a typed
//! request and `apol_event_json` for a JSON one, each returning the event
//! line in a new `apol_string` and optionally the decision.

use std::os::raw::c_char;

use policy_eval::event::Event;

use crate::args::{decide_json_bytes, event_time, policy_arg, request_arg};
use crate::boundary::{check_out, guard, put, Failure};
use crate::context::with_context;
use crate::convert::decision_c;
use crate::error::{apol_error, apol_result};
use crate::handle::{apol_policy, apol_string, new_string};
use crate::types::{apol_context, apol_decision, apol_request};

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
