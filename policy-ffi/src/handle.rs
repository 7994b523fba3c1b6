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

/// A loaded policy. Immutable after loading, shared freely between threads.
pub struct apol_policy {
    pub(crate) magic: u64,
    pub(crate) policy: Policy,
}

/// A string allocated by the library (decision or event JSON), read with
/// `apol_string_ptr` / `apol_string_len`, freed with `apol_string_free`.
pub struct apol_string {
    pub(crate) magic: u64,
    /// The text followed by one NUL byte; the text has no NUL byte.
    pub(crate) bytes: Box<[u8]>,
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
