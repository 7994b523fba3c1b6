//! Opaque handles and the registry of live handles: their layout and magic
//! numbers, making them (`new_policy`, `new_string`) and freeing them
//! exactly once (`free_handle`).
//!
//! Each handle is a `Box` whose address is given to C. Freeing goes through a
//! registry of live addresses, so a second `_free` of the same pointer is
//! refused without touching freed memory. This is best-effort: once the
//! allocator reuses the address for a new handle of the same type, a stale
//! pointer is indistinguishable from the new one. Hot-path calls
//! (`apol_decide_*`) only check a magic number in the handle, which catches a
//! pointer of the wrong type and some uses after free, without taking a
//! lock.

use std::collections::BTreeMap;
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use policy_eval::{Policy, Stack};

use crate::boundary::{guard, Failure};
use crate::error::{apol_result, APOL_ERR_HANDLE};

/// "APOLPOL1": a live `apol_policy`.
pub(crate) const POLICY_MAGIC: u64 = 0x4150_4f4c_504f_4c31;
/// "APOLSTR1": a live `apol_string`.
pub(crate) const STRING_MAGIC: u64 = 0x4150_4f4c_5354_5231;
/// "APOLSTK1": a live `apol_stack`.
pub(crate) const STACK_MAGIC: u64 = 0x4150_4f4c_5354_4b31;

// Layout of every handle: `#[repr(C)]` with the `u64` magic as the first
// field. C may pass a handle of one type where the other is expected (an
// `apol_string` as an `apol_policy`); the check reads the magic at offset 0
// (`magic_of`), which lies inside any valid handle whatever its type.
// Without `repr(C)`, Rust may put the magic anywhere: it did not put it
// first in `apol_policy`, and the check read past the end of a 24-byte
// `apol_string` (valgrind showed it; the C suite's wrong-type test). The
// `align(8)` keeps that read aligned on every target, and also makes
// cbindgen, whose `[layout] aligned_n` is unset in `cbindgen.toml`, declare
// the handles opaque in the header instead of listing their fields.

/// A loaded policy. Immutable after loading, shared freely between threads.
#[repr(C, align(8))]
pub struct apol_policy {
    /// `POLICY_MAGIC` while live, 0 once freed. First: see the layout note.
    pub(crate) magic: u64,
    pub(crate) policy: Policy,
}

/// A string allocated by the library (decision or event JSON), read with
/// `apol_string_ptr` / `apol_string_len`, freed with `apol_string_free`.
#[repr(C, align(8))]
pub struct apol_string {
    /// `STRING_MAGIC` while live, 0 once freed. First: see the layout note.
    pub(crate) magic: u64,
    /// The text followed by one NUL byte; the text has no NUL byte.
    pub(crate) bytes: Box<[u8]>,
}

/// A stack of layered policies (`spec/layers.md`). Immutable, shared freely
/// between threads.
#[repr(C, align(8))]
pub struct apol_stack {
    /// `STACK_MAGIC` while live, 0 once freed. First: see the layout note.
    pub(crate) magic: u64,
    pub(crate) stack: Stack,
}

const _: () = assert!(std::mem::offset_of!(apol_stack, magic) == 0);
const _: () = assert!(std::mem::offset_of!(apol_policy, magic) == 0);
const _: () = assert!(std::mem::offset_of!(apol_string, magic) == 0);

/// The magic number of the handle at `p`, read as the first `u64` of the
/// object without making a reference to a `T`, which `p` may not be.
///
/// # Safety
///
/// `p` is non-NULL and points to a live handle of any type made by this
/// library (each starts with its `u64` magic, 8-aligned).
pub(crate) unsafe fn magic_of<T>(p: *const T) -> u64 {
    // SAFETY: every handle is `#[repr(C, align(8))]` with the magic first
    // (asserted above), so the first 8 bytes of any live handle are an
    // initialized, aligned `u64` (contract).
    unsafe { p.cast::<u64>().read() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Policy,
    String,
    Stack,
}

static LIVE: Mutex<BTreeMap<usize, Kind>> = Mutex::new(BTreeMap::new());

fn live() -> MutexGuard<'static, BTreeMap<usize, Kind>> {
    // The map stays consistent even if a thread panicked while holding the
    // lock (insert and remove do not panic halfway), so poisoning is ignored.
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records a new live handle.
pub(crate) fn register(addr: usize, kind: Kind) {
    live().insert(addr, kind);
}

/// Forgets a live handle; false when `addr` is not a live handle of `kind`
/// (already freed, or never allocated here).
pub(crate) fn unregister(addr: usize, kind: Kind) -> bool {
    let mut map = live();
    if map.get(&addr) == Some(&kind) {
        map.remove(&addr);
        true
    } else {
        false
    }
}

/// Moves `policy` into a new registered `apol_policy`.
pub(crate) fn new_policy(policy: Policy) -> *mut apol_policy {
    let h = Box::into_raw(Box::new(apol_policy {
        magic: POLICY_MAGIC,
        policy,
    }));
    register(h as usize, Kind::Policy);
    h
}

/// Moves `stack` into a new registered `apol_stack`.
pub(crate) fn new_stack(stack: Stack) -> *mut apol_stack {
    let h = Box::into_raw(Box::new(apol_stack {
        magic: STACK_MAGIC,
        stack,
    }));
    register(h as usize, Kind::Stack);
    h
}

/// Moves `text` into a new registered `apol_string`.
pub(crate) fn new_string(text: String) -> *mut apol_string {
    let mut bytes = text.into_bytes();
    bytes.push(0);
    let s = Box::into_raw(Box::new(apol_string {
        magic: STRING_MAGIC,
        bytes: bytes.into_boxed_slice(),
    }));
    register(s as usize, Kind::String);
    s
}

/// A handle type with a magic number that is cleared when it is freed.
pub(crate) trait Handle {
    /// Sets the magic to 0.
    fn clear_magic(&mut self);
}

impl Handle for apol_policy {
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
}

impl Handle for apol_stack {
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
pub(crate) unsafe fn free_handle<T: Handle>(
    p: *mut T,
    kind: Kind,
    what: &'static str,
) -> apol_result {
    let run = || {
        if p.is_null() {
            return Ok(());
        }
        if !unregister(p as usize, kind) {
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
