//! Requests, contexts and decisions: the values crossing the `decide` call.

use crate::artifact::{Access, Effect, Lifetime, Surface};

/// One request to decide. Strings are raw: [`crate::Policy::decide`]
/// normalizes them (see `spec/requests.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Open a network connection. At least one of `host` and `ip` is needed.
    Network {
        /// The host name (or IP literal) the program will actually connect
        /// to, without port, user info or path.
        host: Option<&'a str>,
        /// The IP address about to be dialled, when known.
        ip: Option<&'a str>,
        /// Destination port, `1..=65535`.
        port: Option<u32>,
        /// For a proxy that sees HTTP (after TLS termination): the request
        /// line. `None` asks about the connection itself.
        http: Option<Http<'a>>,
    },
    /// Access a file or directory.
    Filesystem {
        /// Absolute path, `~` and variables already expanded by the host.
        path: &'a str,
        /// [`Access::READ`] or [`Access::WRITE`]; [`Access::READ_WRITE`] asks
        /// for both and is decided as the stricter of the two.
        access: Access,
    },
    /// See (no destination) or send (with a destination) a secret.
    Credential {
        /// Secret name, compared case-insensitively.
        name: &'a str,
        /// Destination host, for a send.
        host: Option<&'a str>,
        /// Destination IP address, for a send.
        ip: Option<&'a str>,
    },
    /// Use an MCP server (no tool, resource or prompt), call one of its
    /// tools, read one of its resources or get one of its prompts.
    Mcp {
        /// Server name, compared case-insensitively.
        server: &'a str,
        /// Tool name, compared case-insensitively.
        tool: Option<&'a str>,
        /// Where the server comes from (image reference or URL), compared
        /// exactly with a pinned source.
        source: Option<&'a str>,
        /// The call's `arguments` (a JSON object), for rules with argument
        /// constraints. `None` is a call without arguments: no constraint
        /// holds.
        arguments: Option<&'a serde_json::Value>,
        /// The digest of the tool's definition as `tools/list` served it
        /// (`sha256:` and 64 hex digits, [`crate::pin::tool_digest`]), for
        /// pinned tools. `None` is an unknown definition: a pinned tool
        /// without it is an unapproved tool.
        definition: Option<&'a str>,
        /// A resource URI to read (`resources/read`), compared exactly:
        /// canonical or invalid (`spec/requests.md`). At most one of
        /// `tool`, `resource` and `prompt`.
        resource: Option<&'a str>,
        /// A prompt name to get (`prompts/get`), compared
        /// case-insensitively.
        prompt: Option<&'a str>,
    },
}

/// The method and path of an HTTP request (`spec/requests.md`, "method and
/// path"): canonical or invalid, never rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http<'a> {
    /// Upper-case method from the fixed set (`GET`, `HEAD`, ...).
    pub method: &'a str,
    /// Origin-form path: starts with `/`, no query or fragment, no dot or
    /// empty segments, percent-encoding only where it hides nothing.
    pub path: &'a str,
}

impl Request<'_> {
    /// The surface this request belongs to.
    pub fn surface(&self) -> Surface {
        match self {
            Request::Network { .. } => Surface::Network,
            Request::Filesystem { .. } => Surface::Filesystem,
            Request::Credential { .. } => Surface::Credential,
            Request::Mcp { .. } => Surface::Mcp,
        }
    }
}

/// Who asks, and the bindings of named path roots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context<'a> {
    /// Root bindings `(name, absolute path)`: `home` for `~`, and every
    /// `$name` the policy uses. Each root the policy uses must be bound.
    pub roots: &'a [(&'a str, &'a str)],
    /// User on whose behalf the agent acts (recorded in events only).
    pub user: Option<&'a str>,
    /// Session identifier (recorded in events only).
    pub session: Option<&'a str>,
    /// Agent identifier (recorded in events only).
    pub agent: Option<&'a str>,
}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub effect: Effect,
    /// Index of the deciding rule in the artifact's rule table.
    pub rule: Option<u32>,
    /// Why.
    pub reason: Reason,
    /// For a credential allow or ask: how long the grant lasts.
    pub lifetime: Option<Lifetime>,
}

impl Decision {
    /// The decision for an invalid request: deny, no rule.
    pub const fn invalid(why: Invalid) -> Decision {
        Decision {
            effect: Effect::Deny,
            rule: None,
            reason: Reason::Invalid(why),
            lifetime: None,
        }
    }

    /// The decision when no rule applies: the surface default.
    pub const fn default_effect(effect: Effect) -> Decision {
        Decision {
            effect,
            rule: None,
            reason: Reason::Default,
            lifetime: None,
        }
    }

    /// The decision of a combined request from the decisions of two of its
    /// parts (`spec/language.md` section 6): the stricter effect (deny, then
    /// ask, then allow), and on a tie `self`, the part listed first (write
    /// before read, sending before seeing).
    pub fn strictest(self, other: Decision) -> Decision {
        if other.effect < self.effect {
            other
        } else {
            self
        }
    }
}

/// Why a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A rule decided ([`Decision::rule`] names it).
    Rule,
    /// No rule applied; the surface default decided.
    Default,
    /// The request was invalid; the effect is deny.
    Invalid(Invalid),
}

impl Reason {
    /// The JSON spelling: `rule`, `default` or `invalid`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Rule => "rule",
            Reason::Default => "default",
            Reason::Invalid(_) => "invalid",
        }
    }
}

macro_rules! invalid_enum {
    ($( $(#[$doc:meta])* $name:ident => $msg:literal, )*) => {
        /// A problem with a request. An invalid request is always denied.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Invalid {
            $( $(#[$doc])* $name, )*
        }

        impl Invalid {
            /// Human-readable explanation, with the fix where there is one.
            pub fn message(&self) -> &'static str {
                match self {
                    $( Invalid::$name => $msg, )*
                }
            }

            /// Every variant, for documentation and tests.
            pub const ALL: &'static [Invalid] = &[$( Invalid::$name, )*];
        }
    };
}

invalid_enum! {
    /// Host is empty.
    HostEmpty => "host is empty",
    /// Host is longer than 253 bytes (or its raw form longer than 1024).
    HostTooLong => "host is longer than 253 bytes",
    /// A host label is empty (`a..b`, a leading dot, or two trailing dots).
    HostEmptyLabel => "host has an empty label (leading dot, `..`, or two trailing dots)",
    /// A host label is longer than 63 bytes.
    HostLabelTooLong => "host has a label longer than 63 bytes",
    /// A host byte outside `a-z 0-9 - _ .` (after lower-casing).
    HostCharacter => "host contains a character not allowed in a domain name (allowed: letters, digits, `-`, `_`, `.`)",
    /// Host contains `@` (user info).
    HostUserinfo => "host contains `@`: pass the bare host without user info",
    /// Host contains `/` or `\` (a path or URL).
    HostPath => "host contains `/` or `\\`: pass the bare host, not a URL or path",
    /// Host contains `:` and is not an IPv6 literal (a port glued on).
    HostPort => "host contains `:` but is not an IPv6 address: pass the bare host and the port separately",
    /// Host contains `%` (an IPv6 zone id or percent-encoding).
    HostPercent => "host contains `%`: IPv6 zone ids and percent-encoding are not accepted",
    /// IDNA (UTS 46) processing failed.
    HostIdna => "host is not a valid internationalized domain name (UTS 46)",
    /// The last label is numeric but the host is not a valid IPv4 address.
    HostNumeric => "host ends in a number but is not a valid IPv4 address",
    /// Host in brackets is not an IPv6 address.
    HostBrackets => "host in brackets is not a valid IPv6 address",
    /// The `ip` field is not an IP address.
    IpInvalid => "ip is not a valid IPv4 or IPv6 address",
    /// The `ip` field carries a zone id.
    IpZone => "ip contains `%`: IPv6 zone ids are not accepted",
    /// A network request with neither host nor ip.
    NetworkTarget => "network request needs a host, an ip, or both",
    /// Port outside `1..=65535`.
    Port => "port must be between 1 and 65535",
    /// Path is relative or empty.
    PathRelative => "path must be absolute (start with `/`): the host must absolutize it",
    /// Path starts with `~`.
    PathHome => "path starts with `~`: the host must expand `~` and pass an absolute path",
    /// Path contains NUL.
    PathNul => "path contains a NUL byte",
    /// Path longer than 4096 bytes.
    PathTooLong => "path is longer than 4096 bytes",
    /// A path segment longer than 255 bytes.
    PathSegmentTooLong => "path has a segment longer than 255 bytes",
    /// Access is neither read nor write.
    Access => "access must be `read`, `write` or `read write`",
    /// A root used by the policy is not bound in the context.
    UnboundRoot => "a path root used by the policy is not bound in the context (bind `home` and every `$name`)",
    /// A root binding is not a valid absolute path.
    RootPath => "a root binding in the context is not a valid absolute path",
    /// The same root is bound twice.
    RootDuplicate => "a root is bound twice in the context",
    /// The context binds more than 64 roots
    /// ([`crate::limits::MAX_ROOT_BINDINGS`]).
    TooManyRoots => "the context binds more than 64 roots",
    /// A secret, server or tool name is empty.
    NameEmpty => "name is empty",
    /// A name longer than 256 bytes.
    NameTooLong => "name is longer than 256 bytes",
    /// A name byte outside printable ASCII without space.
    NameCharacter => "name must be printable ASCII without spaces",
    /// MCP source is empty, too long or has control characters.
    Source => "source must be 1 to 2048 bytes without control characters",
    /// JSON request larger than 64 KiB.
    JsonTooLarge => "request is larger than 64 KiB",
    /// JSON request nested deeper than 16 levels.
    JsonTooDeep => "request is nested deeper than 16 levels",
    /// JSON request is not well-formed JSON.
    JsonSyntax => "request is not well-formed JSON",
    /// JSON request is not a single object.
    JsonNotObject => "request must be one JSON object",
    /// JSON request has an unknown field.
    JsonUnknownField => "request has an unknown field",
    /// JSON request lacks a required field.
    JsonMissingField => "request lacks a required field for its surface",
    /// JSON request repeats a field.
    JsonDuplicateField => "request repeats a field",
    /// JSON field has the wrong type.
    JsonType => "request field has the wrong type",
    /// JSON field set that does not belong to the surface.
    JsonFieldForSurface => "request has a field that does not belong to its surface",
    /// Unknown `surface` value.
    JsonSurface => "surface must be `network`, `filesystem`, `credential` or `mcp`",
    /// Unknown `access` value.
    JsonAccess => "access must be `read`, `write` or `read write`",
    /// HTTP method outside the fixed set, or not upper case.
    HttpMethod => "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case",
    /// HTTP path empty or not starting with `/` (absolute or asterisk form).
    HttpPathRelative => "HTTP path must start with `/`: pass the path of the request target, without scheme and host",
    /// HTTP path with `?` or `#`.
    HttpPathQuery => "HTTP path contains `?` or `#`: pass the path without query or fragment",
    /// HTTP path byte that must be percent-encoded.
    HttpPathCharacter => "HTTP path contains a space, control, non-ASCII or other byte that must be percent-encoded",
    /// Percent-encoding that is malformed, lower case, or hides a byte.
    HttpPathPercent => "HTTP path has percent-encoding that is malformed, in lower case, or hides a letter, digit, `-`, `.`, `_`, `~`, `/`, `\\` or control byte: decode those, write the rest as upper-case %XX",
    /// An empty segment: `//` (or, in a rule, a trailing `/`).
    HttpPathEmptySegment => "HTTP path has an empty segment (`//`; a rule's path also may not end in `/`)",
    /// A `.` or `..` segment.
    HttpPathDot => "HTTP path has a `.` or `..` segment: pass the resolved path",
    /// HTTP path longer than 4096 bytes.
    HttpPathTooLong => "HTTP path is longer than 4096 bytes",
    /// A network request with a method but no path, or a path but no method.
    HttpIncomplete => "HTTP request needs both method and path",
    /// MCP `arguments` that are not a JSON object.
    ArgumentsNotObject => "arguments must be a JSON object (the `arguments` of the tools/call request)",
    /// MCP `arguments` with a key twice in one object.
    ArgumentsDuplicateKey => "arguments repeat a key in one object: the tool and the policy could read different values",
    /// MCP `arguments` without a tool.
    ArgumentsWithoutTool => "arguments belong to a tool call: pass the tool too",
    /// MCP `definition` that is not `sha256:` and 64 hex digits.
    DefinitionDigest => "definition must be `sha256:` followed by 64 hex digits, the digest of the tool's definition",
    /// MCP `definition` without a tool.
    DefinitionWithoutTool => "definition belongs to a tool call: pass the tool too",
    /// An MCP request naming more than one of tool, resource and prompt.
    McpTarget => "an MCP request names at most one of tool, resource and prompt",
    /// A resource URI without a lower-case scheme and `:`.
    ResourceScheme => "resource must start with a lower-case scheme and `:` (`file:`, `https:`)",
    /// A resource URI longer than 2048 bytes.
    ResourceTooLong => "resource is longer than 2048 bytes",
    /// A resource URI byte that must be percent-encoded.
    ResourceCharacter => "resource contains a space, control, non-ASCII or other byte that must be percent-encoded",
    /// Percent-encoding in a resource URI that is malformed, lower case, or hides a byte.
    ResourcePercent => "resource has percent-encoding that is malformed, in lower case, or hides a letter, digit, `-`, `.`, `_`, `~`, `/`, `\\` or control byte: decode those, write the rest as upper-case %XX",
    /// A resource URI path with an empty, `.` or `..` segment.
    ResourcePath => "resource path has an empty, `.` or `..` segment: pass the resolved URI",
}
