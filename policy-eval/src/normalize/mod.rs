//! Request normalization: pure functions shared by the runtime, the compiler
//! and the reference interpreter, so every component agrees on what a host,
//! IP address, path or name means.
//!
//! Allocation: [`host()`] writes into a caller buffer and allocates only on
//! the IDNA path (non-ASCII input, or an ASCII label starting with `xn--`,
//! which is validated by UTS 46). [`ip()`], [`path()`], [`name()`] and
//! [`port()`] never allocate.
//!
//! Every function fails closed: anything ambiguous is
//! [`Invalid`](crate::Invalid), and an invalid request is denied.
//!
//! One submodule per kind of value, re-exported here: `host` (domains and
//! IDNA), `http` (HTTP methods and paths), `ip` (addresses, ports), `path`,
//! `name` (names, MCP sources), `resource` (MCP resource URIs).

mod host;
mod http;
mod ip;
mod name;
mod path;
mod resource;

pub use host::{host, is_normalized_domain, Host};
pub use http::{check_http_path_pattern, http_method, http_path};
pub use ip::{canonical_ip, ip, parse_ipv4, port};
pub use name::{is_normalized_name, name, source};
pub use path::{is_normal_path, is_normalized_relative_path, path};
pub use resource::{check_resource_pattern, resource_uri};
