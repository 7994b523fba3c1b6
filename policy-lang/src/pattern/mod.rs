//! The pattern parsers: one module per kind of pattern, each validating and
//! normalizing its text so the compiler and the reference interpreter see
//! only well-formed, canonical patterns. A parser returns the normalized value
//! or the [`PatternError`] the checker reports at the pattern's span; parsers
//! that can warn also return their warnings.

mod address;
mod domain;
mod glob;
mod http;
mod lifetime;
mod name;
mod path;
mod port;
mod resource;
mod server;
mod target;

use policy_eval::limits;

use crate::diag::Code;

pub use address::address;
pub use domain::domain;
pub use glob::expand_braces;
pub use http::{http_host, http_path, methods};
pub use lifetime::lifetime;
pub use name::name_pattern;
pub use path::path;
pub use port::{merge_ranges, port_range};
pub use resource::resource_pattern;
pub use server::{server_name, source_pin};
pub use target::net_target;

/// A problem found in one pattern: code, message, optional help.
pub type PatternError = (Code, String, Option<String>);

/// A [`PatternError`] from its parts.
pub(crate) fn err(code: Code, message: impl Into<String>, help: Option<&str>) -> PatternError {
    (code, message.into(), help.map(str::to_string))
}

fn too_long(text: &str) -> PatternError {
    err(
        Code::TooLarge,
        format!(
            "pattern is {} bytes, more than the limit of {}",
            text.len(),
            limits::MAX_PATTERN_LEN
        ),
        None,
    )
}

/// The code of a failed parse, for the tests of every pattern module.
#[cfg(test)]
fn code_of<T: std::fmt::Debug>(r: Result<T, PatternError>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err((code, _, _)) => code.as_str(),
    }
}
