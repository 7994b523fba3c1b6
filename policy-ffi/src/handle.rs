//! Opaque handles and the registry of live handles.
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
use std::sync::{Mutex, MutexGuard, PoisonError};

use policy_eval::Policy;

/// "APOLPOL1": a live `apol_policy`.
pub(crate) const POLICY_MAGIC: u64 = 0x4150_4f4c_504f_4c31;
/// "APOLSTR1": a live `apol_string`.
pub(crate) const STRING_MAGIC: u64 = 0x4150_4f4c_5354_5231;

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
