//! Every size limit of the project, in one place.
//!
//! The runtime enforces the first group when it loads artifacts and decides
//! requests; the compiler (`policy-lang`) imports the second group so both
//! sides agree. A limit that is exceeded is always an error or an invalid
//! request, never a silent truncation. `spec/limits.md` lists each constant
//! with where it applies and the error or diagnostic the user sees; every
//! limit has a test just over it (and, where cheap, one just at it).

// ---------------------------------------------------------------------------
// Runtime: artifacts and requests
// ---------------------------------------------------------------------------

/// Largest artifact (header + payload) the runtime loads: 256 MiB. Checked
/// first by [`crate::Policy::from_bytes`], on the input length and again on
/// the payload length the header announces → [`crate::LoadError::TooLarge`].
/// `polc` checks an artifact file's size before reading it, and refuses to
/// write a larger one.
pub const MAX_ARTIFACT_BYTES: usize = 256 * 1024 * 1024;

/// Longest normalized host name in bytes, without the trailing dot (RFC 1035)
/// → [`crate::Invalid::HostTooLong`]; domain patterns too (E0101).
pub const MAX_HOST_LEN: usize = 253;

/// Longest host string examined at all. Longer strings are invalid before any
/// IDNA processing, which bounds the work done on hostile input. Generous
/// enough for a 253-byte name written with multi-byte Unicode characters.
/// → [`crate::Invalid::HostTooLong`].
pub const MAX_HOST_INPUT_LEN: usize = 1024;

/// Longest DNS label in bytes → [`crate::Invalid::HostLabelTooLong`];
/// domain patterns too (E0101).
pub const MAX_LABEL_LEN: usize = 63;

/// Longest request path in bytes (before and after normalization), as Linux
/// `PATH_MAX` → [`crate::Invalid::PathTooLong`] (a root binding:
/// [`crate::Invalid::RootPath`]).
pub const MAX_PATH_LEN: usize = 4096;

/// Longest HTTP request path in bytes → [`crate::Invalid::HttpPathTooLong`];
/// HTTP path patterns are bounded by [`MAX_PATTERN_LEN`].
pub const MAX_HTTP_PATH_LEN: usize = 4096;

/// Most `http` blocks whose host patterns one host may match (a block for
/// `**.a.b` and one for `api.a.b` both cover `api.a.b`) → E0010. Each
/// covering block costs one probe of its path table per decision.
pub const MAX_HTTP_BLOCKS_PER_HOST: usize = 8;

/// Longest path segment in bytes, as Linux `NAME_MAX` →
/// [`crate::Invalid::PathSegmentTooLong`].
pub const MAX_SEGMENT_LEN: usize = 255;

/// Longest secret, MCP server or MCP tool name in bytes, in requests
/// ([`crate::Invalid::NameTooLong`]) and policies (E0301, E0401).
pub const MAX_NAME_LEN: usize = 256;

/// Longest MCP server `source` (image reference or URL) in bytes, in
/// requests ([`crate::Invalid::Source`]) and policies (E0403).
pub const MAX_SOURCE_LEN: usize = 2048;

/// Longest `reason` of an `ask` rule in bytes (shown to the human who
/// approves; printable, no control characters) → E0016; loading an
/// artifact refuses longer ones.
pub const MAX_ASK_REASON_LEN: usize = 512;

/// Most argument constraints one tool rule's `where` clause may have
/// → E0603; loading refuses more.
pub const MAX_CONSTRAINTS_PER_RULE: usize = 8;

/// Most tool rules with a `where` clause one server may have → E0604;
/// loading refuses more. They are tried in turn for every call of the
/// server, so this bounds a call's work: at most
/// `MAX_CONSTRAINED_TOOL_RULES` name matches and
/// `MAX_CONSTRAINED_TOOL_RULES * MAX_CONSTRAINTS_PER_RULE` pointer
/// lookups and value tests, whatever the policy's size.
pub const MAX_CONSTRAINED_TOOL_RULES: usize = 32;

/// Most `is ... path` constraints (each one filesystem decision) the
/// constrained tool rules of one server may have together → E0604; loading
/// refuses more. With [`MAX_CONSTRAINED_TOOL_RULES`] this bounds a call's
/// work to at most 8 filesystem decisions besides its own.
pub const MAX_PATH_CONSTRAINTS_PER_SERVER: usize = 8;

/// Most definition digests one pinned tool rule may list
/// (`pinned "sha256:...", ...`) → E0605; loading refuses more. A call
/// compares its digest with each.
pub const MAX_PINS_PER_RULE: usize = 16;

/// Longest MCP resource URI (request `resource`) and resource URI pattern
/// in bytes → invalid request, E0607.
pub const MAX_RESOURCE_URI_LEN: usize = 2048;

/// Most reference tokens in a constraint's JSON Pointer → E0601.
pub const MAX_POINTER_TOKENS: usize = 16;

/// Largest integer magnitude in a constraint (`in 1..100`, `in 3, 4`):
/// 2^53, so every bound is exact as a JSON number (an IEEE double) → E0602.
pub const MAX_CONSTRAINT_INT: i64 = 1 << 53;

/// Largest JSON request accepted by the JSON entry point
/// ([`crate::Policy::decide_json`]): 64 KiB, checked before parsing →
/// [`crate::Invalid::JsonTooLarge`].
pub const MAX_JSON_REQUEST_BYTES: usize = 64 * 1024;

/// Most root bindings in a request's context (`home` and each `$name`).
/// A filesystem request whose context binds more is invalid before any
/// binding is examined → [`crate::Invalid::TooManyRoots`]. This bounds the
/// work spent on the bindings of any request, JSON or typed (each binding is
/// compared with the earlier ones to find a root bound twice).
pub const MAX_ROOT_BINDINGS: usize = 64;

/// Most tools one listing ([`crate::Policy::list_tools`], the JSON
/// listing request) may name → [`crate::ListError::TooManyTools`], never a
/// truncated listing. Real MCP servers offer tens of tools; the bound keeps
/// one call's work (one tool-table probe per tool) small.
pub const MAX_LISTED_TOOLS: usize = 4096;

/// Largest JSON listing request ([`crate::Policy::list_tools_json`]): 2 MiB,
/// checked before parsing, room for [`MAX_LISTED_TOOLS`] names of
/// [`MAX_NAME_LEN`] bytes.
pub const MAX_JSON_LIST_BYTES: usize = 2 * 1024 * 1024;

/// Deepest nesting of JSON objects and arrays in a request, checked before
/// parsing (well below `serde_json`'s own recursion limit of 128) →
/// [`crate::Invalid::JsonTooDeep`]. A valid request nests 3 levels
/// (`context.roots`).
pub const MAX_JSON_DEPTH: usize = 16;

/// Largest MCP tool definition [`crate::pin::tool_digest`] and
/// [`crate::pin::canonical_json`] accept: 256 KiB, checked before parsing →
/// [`crate::pin::PinError::TooLarge`]. Real definitions (name, description,
/// input schema) are a few KiB.
pub const MAX_TOOL_DEFINITION_BYTES: usize = 256 * 1024;

/// Deepest nesting of JSON objects and arrays in a tool definition (the
/// top-level object is 1), checked before parsing, below `serde_json`'s own
/// recursion limit of 128 → [`crate::pin::PinError::TooDeep`].
pub const MAX_TOOL_DEFINITION_DEPTH: usize = 64;

// ---------------------------------------------------------------------------
// Compiler: policy sources (enforced by `policy-lang`)
// ---------------------------------------------------------------------------

/// Largest policy source file: 8 MiB → E0003 (`polc` checks a file's size
/// before reading it).
pub const MAX_POLICY_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// Most rules in one policy → E0003; the runtime refuses artifacts with more
/// ([`crate::LoadError::InvalidTable`] `rules`).
pub const MAX_RULES: usize = 200_000;

/// Most patterns in one policy, after brace and set expansion → E0003.
pub const MAX_PATTERNS: usize = 1_000_000;

/// Longest single network or path pattern in bytes, as written → E0003. The
/// runtime also refuses longer glob patterns in an artifact
/// ([`crate::LoadError::InvalidTable`]).
pub const MAX_PATTERN_LEN: usize = 1024;

/// Most alternatives one pattern may expand to through `{a,b}` braces →
/// E0205.
pub const MAX_BRACE_EXPANSION: usize = 256;

/// Most diagnostics reported for one compilation before the rest are dropped
/// (a final note says how many).
pub const MAX_DIAGNOSTICS: usize = 200;

/// Largest total size of the candidate lists of one artifact (sum of list
/// lengths plus the number of lists): the size of the compiled lookup
/// tables. The compiler refuses policies whose tables would exceed it
/// (`CompileError::Budget`, naming the largest contributors); the runtime
/// refuses such artifacts ([`crate::LoadError::InvalidTable`] `candidates`).
pub const MAX_TABLE_ENTRIES: usize = 16 * 1024 * 1024;

/// Largest serialized DFA of one pattern group (`spec/artifact.md`), and
/// the determinization budget the compiler builds it with. A group that does
/// not fit is split into contiguous chunks of its priority order; the
/// runtime refuses a larger automaton ([`crate::LoadError::InvalidTable`]).
///
/// Chosen from measurements: a label glob like `aN-*` costs about 460 bytes
/// of DFA, so 100,000 of them (46 MB) fit in 7 DFAs of at most 16 MiB, built
/// in about 7 s; a smaller budget would need more DFAs per group, a larger
/// one makes each failed attempt on an exploding group slower.
pub const MAX_DFA_BYTES: usize = 16 * 1024 * 1024;

/// Most DFAs one pattern group (the label globs under one domain anchor, the
/// path globs under one literal directory, the name globs of one table) may
/// be split into → E0008 (pattern group too complex); the runtime refuses
/// more. A probe searches each DFA of the group until one matches, so this
/// bounds a probe to 8 passes over the subject.
pub const MAX_DFAS_PER_GROUP: usize = 8;

/// Most distinct glob names of credential rules with a `to` clause, which
/// are matched one by one for sends (their destination is checked per rule)
/// → E0008.
pub const MAX_SEND_GLOBS: usize = 64;

/// Most automaton transitions one decision may take, at the longest request
/// the limits allow (`cost::Cost`): about 100 to 250 µs at worst. Typical
/// policies need a few hundred; the compiler refuses more (E0009).
pub const MAX_DECISION_STEPS: u64 = 1 << 17;

/// Layers in one [`crate::Stack`] (`spec/layers.md`): a stack decides each
/// enforcing layer once, so this bounds a stacked decision's cost to this
/// many single decisions.
pub const MAX_LAYERS: usize = 8;

/// Bytes of a layer's name (printable ASCII without space).
pub const MAX_LAYER_NAME_LEN: usize = 64;
