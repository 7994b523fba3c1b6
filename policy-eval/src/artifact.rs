//! The logical content of a compiled artifact: plain tables the compiler
//! fills and the runtime indexes at load time.
//!
//! Architecture invariant: these types are the contract between `policy-lang`
//! (which builds them) and the runtime (which validates and searches them).
//! Their byte encoding is defined in `spec/artifact.md`, not by serde.
//!
//! Every rule reference is an index into [`Artifact::rules`]. Every candidate
//! list ([`Candidates`]) is an index into [`Artifact::candidates`]; a candidate
//! list holds rule indices sorted by precedence key (deny before ask before
//! allow, then source order), so the first rule of a list that applies to a
//! request is the best rule of that list.

/// Decision effect. The numeric value is the precedence rank: lower wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Effect {
    /// Refuse the request (the default of every surface).
    #[default]
    Deny = 0,
    /// Ask a human before going on.
    Ask = 1,
    /// Let the request through.
    Allow = 2,
}

/// The four control surfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Surface {
    /// Network connections: domains, IP addresses, ports.
    Network = 0,
    /// File system access: paths with read / write scope.
    Filesystem = 1,
    /// Secrets: visibility and destinations.
    Credential = 2,
    /// MCP servers and tools.
    Mcp = 3,
}

/// Access scope of a filesystem rule, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Access(pub u8);

impl Access {
    /// Reading.
    pub const READ: Access = Access(1);
    /// Writing (create, modify, delete).
    pub const WRITE: Access = Access(2);
    /// Both.
    pub const READ_WRITE: Access = Access(3);
    /// Whether `self` covers every bit of `other`.
    pub fn contains(self, other: Access) -> bool {
        self.0 & other.0 == other.0
    }
}

/// An HTTP request method, from the fixed set the language and requests
/// accept (`spec/requests.md`). The numeric value is the method's bit in
/// [`Methods`] and its byte in HTTP path automata (`b'A' + value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Method {
    /// `GET`.
    Get = 0,
    /// `HEAD`.
    Head = 1,
    /// `POST`.
    Post = 2,
    /// `PUT`.
    Put = 3,
    /// `PATCH`.
    Patch = 4,
    /// `DELETE`.
    Delete = 5,
    /// `OPTIONS`.
    Options = 6,
    /// `CONNECT`.
    Connect = 7,
    /// `TRACE`.
    Trace = 8,
}

impl Method {
    /// The byte that stands for the method before the path in HTTP path
    /// automata.
    pub const fn byte(self) -> u8 {
        b'A' + self as u8
    }
}

/// A set of HTTP methods, as a bit set over [`Method`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Methods(pub u16);

impl Methods {
    /// Every method (`*` in a policy).
    pub const ALL: Methods = Methods((1 << 9) - 1);
    /// Whether the set holds `m`.
    pub const fn contains(self, m: Method) -> bool {
        self.0 & (1 << m as u8) != 0
    }
    /// The set with `m` added.
    pub const fn with(self, m: Method) -> Methods {
        Methods(self.0 | (1 << m as u8))
    }
}

/// How long a granted secret stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// Until the session ends.
    Session,
    /// A fixed number of seconds from the grant.
    Seconds(u32),
}

/// An index into [`Artifact::candidates`].
pub type Candidates = u32;

/// Metadata of the compiled policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    /// Policy name (`policy NAME`).
    pub name: String,
    /// Policy version (`version ...`), empty when absent.
    pub version: String,
    /// Description, empty when absent.
    pub description: String,
    /// Owner, empty when absent.
    pub owner: String,
    /// SHA-256 of the policy source text.
    pub source_hash: [u8; 32],
}

/// One rule of the policy, for decisions and explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier (explicit label or derived), unique in the policy.
    pub id: String,
    /// Surface the rule belongs to.
    pub surface: Surface,
    /// Effect when the rule decides.
    pub effect: Effect,
    /// 1-based line of the rule in the source.
    pub line: u32,
    /// 1-based column (in characters) of the rule in the source.
    pub column: u32,
    /// Extra conditions checked after a pattern matched.
    pub cond: Condition,
    /// What an `ask` rule tells the human asked to approve (its `reason`
    /// clause); "" when it has none, always "" for other effects.
    pub ask_reason: String,
}

/// Conditions a rule checks after one of its patterns matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// No further condition (also MCP server and tool rules).
    None,
    /// Network rule with a port list: inclusive ranges, sorted, merged.
    Ports(Vec<(u16, u16)>),
    /// Filesystem rule: the access scope it covers.
    Access(Access),
    /// Credential rule: where the secret may (or may not) be sent, and the
    /// lifetime of a grant.
    Credential(CredentialCond),
    /// HTTP rule (network surface, inside an `http` block): the methods it
    /// covers. Never empty; [`Methods::ALL`] for `*`.
    Methods(Methods),
    /// MCP tool rule with a `where` clause (format 5): every constraint
    /// must hold for an allow or ask to apply; a deny applies unless one
    /// fails (`spec/language.md` section 10, "Argument constraints").
    /// Such rules sit in [`McpServer::constrained`], not in the name tables.
    Arguments(Vec<ArgConstraint>),
}

/// One argument constraint of a tool rule: a JSON Pointer into the call's
/// `arguments` object and the test its value must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgConstraint {
    /// RFC 6901 JSON Pointer, starting with `/` (escapes `~0`, `~1` kept).
    pub pointer: String,
    /// The test.
    pub test: ArgTest,
}

/// What an argument's value must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgTest {
    /// A string matching this name glob (`*` and `?` match any byte).
    Glob(String),
    /// One of these values (strings, integers, booleans), in source order.
    OneOf(Vec<ArgValue>),
    /// A number within this inclusive integer range.
    Range(i64, i64),
    /// A path string that the filesystem rules of the same policy allow
    /// for this access (for an ask rule: allow or ask), decided as a
    /// filesystem request in the call's context.
    Path(Access),
}

/// A literal value of an `in` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// A JSON string, compared exactly.
    Str(String),
    /// An integer, equal to a JSON number of the same value.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
}

impl ArgConstraint {
    /// The constraint as written in the policy (`/path matches "src/*"`),
    /// for decisions and explanations.
    pub fn text(&self) -> String {
        let test = match &self.test {
            ArgTest::Glob(g) => format!("matches {}", quote(g)),
            ArgTest::OneOf(vs) => {
                let vs: Vec<String> = vs.iter().map(ArgValue::text).collect();
                format!("in {}", vs.join(", "))
            }
            ArgTest::Range(a, b) => format!("in {a}..{b}"),
            ArgTest::Path(a) => format!("is {} path", a.as_str().unwrap_or("read")),
        };
        format!("{} {test}", self.pointer)
    }
}

impl ArgValue {
    /// The value as written in the policy.
    pub fn text(&self) -> String {
        match self {
            ArgValue::Str(s) => quote(s),
            ArgValue::Int(i) => i.to_string(),
            ArgValue::Bool(b) => b.to_string(),
        }
    }
}

/// A policy string literal: `"` and `\` escaped.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Destination list and lifetime of a credential rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCond {
    /// `to` destinations; `None` when the rule has no `to` clause.
    pub destinations: Option<Destinations>,
    /// Lifetime of a grant made by this rule.
    pub lifetime: Lifetime,
}

/// A small set of host patterns and address ranges (a credential's `to`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Destinations {
    /// Normalized domain patterns (see [`DomainPattern`]).
    pub domains: Vec<DomainPattern>,
    /// IPv4 ranges, inclusive.
    pub v4: Vec<(u32, u32)>,
    /// IPv6 ranges, inclusive.
    pub v6: Vec<(u128, u128)>,
}

/// A normalized domain pattern: lower-case A-labels, no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainPattern {
    /// Labels left of `anchor` as written: `*` (one label), a label glob
    /// containing `*`, or a literal label. Empty for exact and suffix shapes.
    pub prefix: Vec<String>,
    /// `true` for `**.anchor`: the apex and any depth of subdomains.
    pub any_depth: bool,
    /// The literal suffix (labels right of the last wildcard label), joined
    /// with dots. Empty only for patterns like `*` or `**`.
    pub anchor: String,
}

/// Everything a compiled policy holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Artifact {
    /// Policy metadata.
    pub meta: Meta,
    /// Rule table; indices are rule numbers.
    pub rules: Vec<Rule>,
    /// Candidate lists, each sorted by (effect, rule index).
    pub candidates: Vec<Vec<u32>>,
    /// Default effect per surface, indexed by `Surface as usize`.
    pub defaults: [Effect; 4],
    /// Surfaces whose default is `pass` (`spec/layers.md`, "Delegation"):
    /// their `defaults` entry is deny, and a [`crate::Stack`] takes the
    /// default decision as no decision of the layer.
    pub passes: [bool; 4],
    /// Network tables.
    pub network: NetworkTables,
    /// Filesystem tables.
    pub filesystem: FsTables,
    /// Credential tables.
    pub credentials: NameTables,
    /// MCP tables.
    pub mcp: McpTables,
    /// HTTP method and path tables (network surface).
    pub http: HttpTables,
}

/// The `http` blocks of the network surface (`spec/language.md` section 7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpTables {
    /// Blocks in source order.
    pub blocks: Vec<HttpBlock>,
}

/// One `http` block: the hosts it covers and its method and path rules.
///
/// A request with a method and path to a host of the block is allowed only
/// by its rules; when none matches, [`HttpBlock::rule`] denies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBlock {
    /// The block's own rule (effect deny, no condition): it decides when no
    /// HTTP rule of any block covering the host matches.
    pub rule: u32,
    /// Host patterns: exact (`a.b`), one label (`*.a.b`) or any depth
    /// (`**.a.b`) shapes only, no label globs.
    pub hosts: Vec<DomainPattern>,
    /// The path rules, as a filesystem root table over the path without its
    /// leading `/` (name ""), automata prefixed by the method byte
    /// ([`Method::byte`]); every list holds HTTP rules.
    pub paths: FsRoot,
}

/// Network lookup tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkTables {
    /// Domain entries, one per distinct anchor (unique, any order).
    pub domains: Vec<DomainEntry>,
    /// IPv4 elementary intervals `(start, candidates)`, strictly ascending by
    /// start, the first starting at 0; interval `i` ends where `i + 1` starts.
    pub v4: Vec<(u32, Candidates)>,
    /// IPv6 elementary intervals, as for `v4`.
    pub v6: Vec<(u128, Candidates)>,
}

/// Domain rules sharing one literal anchor suffix.
///
/// A host is probed at each of its label boundaries: for the anchor `A`, the
/// remainder is the part of the host left of `A` (empty when host == `A`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainEntry {
    /// Literal suffix, lower-case A-labels joined by dots ("" matches the end).
    pub anchor: String,
    /// Rules whose pattern is exactly the anchor (remainder empty).
    pub exact: Candidates,
    /// `*.anchor`: remainder is exactly one label.
    pub one_label: Candidates,
    /// `**.anchor`: any remainder, empty included.
    pub any_depth: Candidates,
    /// Every other shape: label globs matched against the non-empty
    /// remainder, after the 3-byte port prefix (`spec/artifact.md`).
    pub globs: Automata,
}

/// The automata of one pattern group: DFAs in priority order (the patterns
/// of a DFA all rank above those of the next one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Automata {
    /// The DFAs; empty when the group has no pattern.
    pub dfas: Vec<Dfa>,
}

/// One serialized DFA and the rule of each of its patterns.
///
/// Built with leftmost-first priority, anchored starts, every pattern
/// `\A<condition prefix><glob>\z` in byte mode, patterns sorted by (effect,
/// rule index): the pattern an anchored search over prefix and subject
/// reports is the deciding rule of the group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dfa {
    /// `regex_automata::dfa::dense::DFA::to_bytes_little_endian` output,
    /// without its alignment padding.
    pub bytes: Vec<u8>,
    /// Pattern id → rule index.
    pub rules: Vec<u32>,
}

/// Filesystem lookup tables, one per root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FsTables {
    /// Roots used by the policy; name "" is the file system root `/`.
    pub roots: Vec<FsRoot>,
}

/// Path patterns relative to one root. Keys and patterns are relative paths
/// without a leading `/` ("" is the root itself), lexically normalized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FsRoot {
    /// Root name: "" for `/`, `home` for `~`, the name of `$name` otherwise.
    pub name: String,
    /// Literal paths: the relative path equals the key.
    pub exact: Vec<(String, Candidates)>,
    /// `key/**`: the relative path equals the key or lies below it.
    pub prefix: Vec<(String, Candidates)>,
    /// `dir/**/*SUFFIX`: below `dir` (at any depth) and the last segment ends
    /// with `SUFFIX` (a literal starting with `.`). Fields: dir, suffix, list.
    pub extension: Vec<(String, String, Candidates)>,
    /// Every other glob, grouped by literal directory prefix (segments
    /// before the first wildcard): the directory and the automata of the
    /// whole relative patterns, after a 1-byte access prefix (`r` or `w`).
    pub globs: Vec<(String, Automata)>,
}

/// Name lookup tables (secret names, MCP tool names), ASCII lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameTables {
    /// Literal names.
    pub exact: Vec<(String, Candidates)>,
    /// `prefix*`: names starting with the key.
    pub prefix: Vec<(String, Candidates)>,
    /// Every other pattern, as automata over the name. Credential names
    /// have a 1-byte prefix: `s` (seeing) or `x` (the static part of
    /// sending: deny rules without `to`); tool names none.
    pub automata: Automata,
    /// Credential rules with a `to` clause and a glob name, matched for
    /// sends with the runtime glob matcher (single-segment glob syntax);
    /// empty for tools. At most `limits::MAX_SEND_GLOBS` entries.
    pub globs: Vec<(String, Candidates)>,
}

/// MCP tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct McpTables {
    /// Approved servers, unique by name.
    pub servers: Vec<McpServer>,
}

/// One approved MCP server and its tool rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServer {
    /// Server name, ASCII lower-cased.
    pub name: String,
    /// Pinned source (image reference or URL), compared exactly.
    pub source: Option<String>,
    /// The rule that approves the server (effect allow).
    pub rule: u32,
    /// Tool rules without argument constraints.
    pub tools: NameTables,
    /// Tool rules with argument constraints (format 5): each rule's tool
    /// name globs (normalized) and its index, in rule order; at most
    /// [`crate::limits::MAX_CONSTRAINED_TOOL_RULES`] per server, each tried
    /// in turn.
    pub constrained: Vec<(Vec<String>, u32)>,
    /// Pinned tools (format 6): a call of such a tool whose `definition`
    /// digest is missing or not among the pin's is an unapproved tool,
    /// decided by the server's deny rules and the `mcp` default only
    /// (`spec/language.md` section 10, "Pins"). Sorted by tool, unique.
    pub pins: Vec<ToolPin>,
    /// Resource rules (format 6): URI globs of `resources/read`, case kept.
    pub resources: NameTables,
    /// Prompt rules (format 6): names of `prompts/get`, lower-cased.
    pub prompts: NameTables,
}

/// The pin of one tool of a server: the definitions its pinned rule
/// approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPin {
    /// The tool's exact name, normalized (no wildcards).
    pub tool: String,
    /// The pinned rule (an allow or ask naming only this tool).
    pub rule: u32,
    /// The approved definition digests (SHA-256), sorted, unique, 1 to
    /// [`crate::limits::MAX_PINS_PER_RULE`].
    pub digests: Vec<crate::pin::DefinitionDigest>,
}
