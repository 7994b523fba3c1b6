//! Exported policy functions: load an artifact (`apol_policy_load`), free
//! it (`apol_policy_free`), and read what it is (`apol_policy_get_info`,
//! `apol_policy_rule`).

use policy_eval::Policy;

use crate::args::{bytes_arg, policy_arg};
use crate::boundary::{check_out, guard, put, Failure};
use crate::convert::{effect_c, surface_c};
use crate::error::{apol_error, apol_result, APOL_ERR_ARTIFACT, APOL_ERR_NO_RULE};
use crate::handle::{apol_policy, free_handle, new_policy, Kind};
use crate::types::{apol_policy_info, apol_rule};

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
        let h = new_policy(policy);
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
