//! Exported stack functions (`spec/layers.md`): compose loaded policies
//! into a stack (`apol_stack_new`), free it (`apol_stack_free`), decide a
//! JSON request with it (`apol_stack_decide_json_alloc`).

use std::os::raw::c_char;

use policy_eval::limits::MAX_LAYERS;
use policy_eval::{Invalid, Layer, Stack};

use crate::args::{policy_arg, req_slice, request_bytes, stack_arg};
use crate::boundary::{check_out, guard, put, Failure};
use crate::error::{apol_error, apol_result, APOL_ERR_STACK};
use crate::handle::{apol_stack, apol_string, free_handle, new_stack, new_string, Kind};
use crate::types::apol_layer;

/// Composes a stack of `count` layers, top first (`spec/layers.md`): each
/// layer's name, level (0 at the top, each next layer the same level or
/// one more) and audit flag, and a loaded policy.
///
/// `layers`: `count` entries, borrowed for the call; each policy is copied
/// into the stack, so the caller may free the policies (and the names) on
/// return. At most 8 layers; a list that does not form a stack gives
/// `APOL_ERR_STACK` and a message saying why.
///
/// On `APOL_OK`, `*out` receives a new stack owned by the caller, to be
/// released with `apol_stack_free`. A stack is immutable: any number of
/// threads may use it at once.
///
/// # Safety
///
/// `layers` is NULL or valid for reading `count` entries, each with its
/// `name` valid for its length and `policy` NULL or a live policy; `out` is
/// NULL or valid for writing a pointer; `err` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_stack_new(
    layers: *const apol_layer,
    count: usize,
    out: *mut *mut apol_stack,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        if layers.is_null() {
            return Err(Failure::null("layers"));
        }
        check_out(out, "out")?;
        if count > MAX_LAYERS {
            return Err(Failure::new(
                APOL_ERR_STACK,
                format!("a stack has {count} layers, more than the limit of {MAX_LAYERS}"),
            ));
        }
        let mut built = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `layers` is valid for `count` entries (contract), and
            // `i < count <= MAX_LAYERS`.
            let l = unsafe { &*layers.add(i) };
            // SAFETY: `name` is valid for its length (contract).
            let name = unsafe { req_slice(l.name, "layers[].name") }?;
            // SAFETY: `policy` is NULL or live (contract).
            let policy = unsafe { policy_arg(l.policy) }?;
            built.push(Layer {
                name: name.to_string(),
                level: l.level,
                audit: l.audit,
                policy: policy.clone(),
            });
        }
        let stack = Stack::new(built).map_err(|e| Failure::new(APOL_ERR_STACK, e.to_string()))?;
        // SAFETY: `out` is non-NULL and valid for writes (contract).
        unsafe { put(out, new_stack(stack)) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}

/// Frees a stack. NULL is accepted and ignored (`APOL_OK`); a pointer that
/// is not a live stack gives `APOL_ERR_HANDLE` and does nothing (as
/// `apol_policy_free`).
///
/// # Safety
///
/// `stack` is NULL or a pointer (possibly already freed) returned by
/// `apol_stack_new`, no longer used by any other thread.
#[no_mangle]
pub unsafe extern "C" fn apol_stack_free(stack: *mut apol_stack) -> apol_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { free_handle(stack, Kind::Stack, "apol_stack") }
}

/// Decides one JSON request with a stack and returns its decision JSON in
/// a new string (as `apol_decide_json_alloc`): the deciding layer's
/// decision with its `layer`, and `would` when audit layers decide more
/// strictly. Malformed input gets a decision with reason `invalid`.
///
/// # Safety
///
/// `stack` is NULL or a live stack; `request` is NULL or valid for reading
/// `request_len` bytes; `out` and `err` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn apol_stack_decide_json_alloc(
    stack: *const apol_stack,
    request: *const c_char,
    request_len: usize,
    out: *mut *mut apol_string,
    err: *mut apol_error,
) -> apol_result {
    let run = || {
        // SAFETY: `stack` is NULL or live (contract).
        let s = unsafe { stack_arg(stack) }?;
        check_out(out, "out")?;
        // SAFETY: `request` is NULL or valid (contract).
        let json = match unsafe { request_bytes(request, request_len) }? {
            Some(bytes) => s.decide_json_bytes(bytes),
            None => s.decision_json(None, &s.invalid(Invalid::JsonTooLarge)),
        };
        // SAFETY: `out` is non-NULL and valid (contract).
        unsafe { put(out, new_string(json)) };
        Ok(())
    };
    // SAFETY: `err` is NULL or valid (contract).
    unsafe { guard(err, run) }
}
