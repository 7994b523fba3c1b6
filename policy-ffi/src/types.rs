//! The C data types of the ABI: the constants and enums of requests and
//! decisions, string slices, requests, contexts, decisions, rules and
//! policy info. (Result codes and `apol_error` are in `error.rs`.)

use std::os::raw::c_char;

use crate::handle::apol_policy;

/// `port` value meaning "no port" in `apol_decide_network` and
/// `apol_request.port`. Any negative value means the same. 0 is not "no
/// port": it is an invalid port, as in JSON.
pub const APOL_PORT_NONE: i64 = -1;

/// Read access (`access` argument of `apol_decide_filesystem`).
pub const APOL_ACCESS_READ: u32 = 1;
/// Write access (create, modify, delete).
pub const APOL_ACCESS_WRITE: u32 = 2;
/// Read and write: allow and ask rules must cover both, a deny covering
/// either applies. Any other value gives an invalid (deny) decision.
pub const APOL_ACCESS_READ_WRITE: u32 = 3;

/// What to do with a request.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apol_effect {
    /// Refuse.
    APOL_EFFECT_DENY = 0,
    /// Ask a human first.
    APOL_EFFECT_ASK = 1,
    /// Let the request through.
    APOL_EFFECT_ALLOW = 2,
}

pub use apol_effect::*;

/// Why a decision was made.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apol_reason {
    /// A rule decided (`apol_decision.rule` names it).
    APOL_REASON_RULE = 0,
    /// No rule applied: the surface default decided.
    APOL_REASON_DEFAULT = 1,
    /// The request was invalid; the effect is deny and `message` says why.
    APOL_REASON_INVALID = 2,
}

pub use apol_reason::*;

/// How long a credential grant lasts.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apol_lifetime {
    /// Not a credential grant.
    APOL_LIFETIME_NONE = 0,
    /// Until the session ends.
    APOL_LIFETIME_SESSION = 1,
    /// `lifetime_seconds` seconds from the grant.
    APOL_LIFETIME_SECONDS = 2,
}

pub use apol_lifetime::*;

/// The four surfaces a policy governs. Also the values of
/// `apol_request.surface`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apol_surface {
    /// Network connections.
    APOL_SURFACE_NETWORK = 0,
    /// File system access.
    APOL_SURFACE_FILESYSTEM = 1,
    /// Secrets.
    APOL_SURFACE_CREDENTIAL = 2,
    /// MCP servers and tools.
    APOL_SURFACE_MCP = 3,
}

pub use apol_surface::*;

/// A borrowed UTF-8 string: `len` bytes at `ptr`, not NUL-terminated. `ptr ==
/// NULL` (with `len == 0`) means absent. Borrowed for the duration of the call
/// only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_str {
    /// First byte, or NULL for an absent string.
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

impl apol_str {
    /// The absent string.
    pub const fn none() -> apol_str {
        apol_str {
            ptr: std::ptr::null(),
            len: 0,
        }
    }

    /// Borrows a Rust string (for tests and benchmarks).
    pub fn new(s: &str) -> apol_str {
        apol_str {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

/// One layer of a stack (`apol_stack_new`, `spec/layers.md`). Borrowed for
/// the duration of the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_layer {
    /// The layer's name in decisions (required): 1 to 64 bytes of printable
    /// ASCII without space, unique in the stack.
    pub name: apol_str,
    /// 0 for the top level; each next layer the same level (a peer) or one
    /// more.
    pub level: u8,
    /// An audit layer never changes the enforced decision.
    pub audit: bool,
    /// The layer's policy (required), copied into the stack.
    pub policy: *const apol_policy,
}

/// One path root binding: `home` for `~`, or the name of a `$name` root
/// (without `$`), and its absolute path.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_root {
    /// Root name (required).
    pub name: apol_str,
    /// Absolute path (required).
    pub path: apol_str,
}

/// Who asks, and the bindings of named path roots. Borrowed for the
/// duration of the call only; pass NULL for an empty context.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_context {
    /// `roots_len` bindings, or NULL when `roots_len` is 0. Read by
    /// filesystem requests only: the other surfaces ignore `roots` and
    /// `roots_len` entirely (not read, converted, validated or counted).
    pub roots: *const apol_root,
    /// Number of bindings. A filesystem request whose context binds more
    /// than 64 (`MAX_ROOT_BINDINGS`) is invalid ("the context binds more
    /// than 64 roots"), decided from the count before any binding is read.
    pub roots_len: usize,
    /// User (recorded in events only), NULL when absent.
    pub user: apol_str,
    /// Session (recorded in events only), NULL when absent.
    pub session: apol_str,
    /// Agent (recorded in events only), NULL when absent.
    pub agent: apol_str,
}

/// A typed request of any surface, for `apol_decide` and `apol_event`.
/// Only the fields of `surface` are read; the others are ignored. Borrowed
/// for the duration of the call only. Its layout is fixed (ABI stability),
/// so it has no HTTP method and path: a network request through it asks
/// about the connection; decide an HTTP request with `apol_decide_http` or
/// `apol_decide_json`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_request {
    /// An `apol_surface` value; anything else is `APOL_ERR_ARGUMENT`.
    pub surface: u32,
    /// network, credential: destination host, NULL when absent.
    pub host: apol_str,
    /// network, credential: destination IP address, NULL when absent.
    pub ip: apol_str,
    /// network: port, `APOL_PORT_NONE` (any negative value) when absent.
    pub port: i64,
    /// filesystem: absolute path (required).
    pub path: apol_str,
    /// filesystem: `APOL_ACCESS_READ`, `APOL_ACCESS_WRITE` or
    /// `APOL_ACCESS_READ_WRITE`.
    pub access: u32,
    /// credential: secret name (required).
    pub name: apol_str,
    /// mcp: server name (required).
    pub server: apol_str,
    /// mcp: tool name, NULL when absent.
    pub tool: apol_str,
    /// mcp: server source, NULL when absent.
    pub source: apol_str,
}

/// The answer to one request. Written by the library; the strings it points
/// to are owned by the library (see each field).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_decision {
    /// What to do.
    pub effect: apol_effect,
    /// Why.
    pub reason: apol_reason,
    /// Whether a rule decided (`reason == APOL_REASON_RULE`).
    pub has_rule: bool,
    /// Index of the deciding rule in the policy (0 when `has_rule` is false).
    pub rule: u32,
    /// Id of the deciding rule (`rule_id_len` bytes of UTF-8, not
    /// NUL-terminated), NULL when no rule decided. Owned by the policy: valid
    /// until `apol_policy_free`.
    pub rule_id: *const c_char,
    /// Length of `rule_id` in bytes.
    pub rule_id_len: usize,
    /// Credential grants: how long the grant lasts.
    pub lifetime: apol_lifetime,
    /// Seconds, when `lifetime == APOL_LIFETIME_SECONDS` (else 0).
    pub lifetime_seconds: u32,
    /// Invalid requests: what is wrong (`message_len` bytes of UTF-8, not
    /// NUL-terminated; the texts of `spec/requests.md`), NULL otherwise.
    /// Static: valid for the life of the program.
    pub message: *const c_char,
    /// Length of `message` in bytes.
    pub message_len: usize,
}

/// A rule of a policy, for reports (`apol_policy_rule`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_rule {
    /// Index of the rule in the policy.
    pub index: u32,
    /// Stable id (label or derived), UTF-8, not NUL-terminated. Owned by the
    /// policy: valid until `apol_policy_free`.
    pub id: *const c_char,
    /// Length of `id` in bytes.
    pub id_len: usize,
    /// Surface of the rule.
    pub surface: apol_surface,
    /// Effect when the rule decides.
    pub effect: apol_effect,
    /// 1-based line of the rule in the policy source.
    pub line: u32,
    /// 1-based column (in characters) of the rule in the policy source.
    pub column: u32,
}

/// What a loaded policy is (`apol_policy_get_info`). The strings are owned by
/// the policy: valid until `apol_policy_free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct apol_policy_info {
    /// Policy name, UTF-8, not NUL-terminated.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// Policy version, UTF-8, not NUL-terminated (empty when absent).
    pub version: *const c_char,
    /// Length of `version` in bytes.
    pub version_len: usize,
    /// Number of rules; valid rule indices are `0..rule_count`.
    pub rule_count: u32,
}
