//! Exported version functions: the library version and the range of
//! artifact format versions it loads. They cannot fail.

use std::os::raw::c_char;

/// The library version (`"0.1.0"`), a static NUL-terminated string: never
/// free it.
#[no_mangle]
pub extern "C" fn apol_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Oldest artifact format version this library loads.
#[no_mangle]
pub extern "C" fn apol_artifact_format_min() -> u32 {
    policy_eval::wire::MIN_FORMAT_VERSION
}

/// Newest artifact format version this library loads. Artifacts of
/// versions outside `[min, max]` are refused with `APOL_ERR_ARTIFACT`.
#[no_mangle]
pub extern "C" fn apol_artifact_format_max() -> u32 {
    policy_eval::wire::FORMAT_VERSION
}
