//! The panic and pointer boundary every exported function goes through:
//! [`Failure`] (a result code and its message), [`guard`] (`catch_unwind`
//! plus the `apol_error` report), and the out-parameter helpers ([`put`],
//! [`check_out`]). Nothing else in the crate writes `apol_error` or catches
//! panics.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use crate::error::{apol_error, apol_result, APOL_ERROR_MESSAGE_LEN};
use crate::error::{APOL_ERR_NULL, APOL_ERR_PANIC, APOL_OK};

/// Why a call failed: a code and a message for `apol_error`.
pub(crate) struct Failure {
    code: apol_result,
    message: Cow<'static, str>,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub(crate) fn new(code: apol_result, message: impl Into<Cow<'static, str>>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// `APOL_ERR_NULL` for the argument `what`.
    pub(crate) fn null(what: &str) -> Failure {
        Failure::new(APOL_ERR_NULL, format!("`{what}` is NULL"))
    }
}

/// What an exported function's body returns to [`guard`].
pub(crate) type Outcome = Result<(), Failure>;

const PANIC_MESSAGE: &str =
    "internal error: the library panicked; the panic was caught at the C boundary (please report this)";

/// Runs `f` inside the panic boundary and reports its outcome in `err`.
///
/// # Safety
///
/// `err` is NULL or valid for writing one `apol_error`.
pub(crate) unsafe fn guard(err: *mut apol_error, f: impl FnOnce() -> Outcome) -> apol_result {
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
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: forwarded from this function's contract; `write` does not drop
    // the possibly uninitialized old value.
    unsafe { out.write(value) }
}

/// `APOL_ERR_NULL` when the out parameter `out` (named `what`) is NULL.
pub(crate) fn check_out<T>(out: *mut T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}
