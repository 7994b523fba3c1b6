//! Syntax tree of one policy file, as written (nothing validated yet).
//!
//! Every node keeps its byte span so the checker can point at it.

pub use crate::diag::Span;
use crate::model::{Access, Effect, Surface};

/// A value with the span of the source text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// The four surface blocks a file may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// `network { ... }`
    Network,
    /// `filesystem { ... }`
    Filesystem,
    /// `credentials { ... }`
    Credentials,
    /// `mcp { ... }`
    Mcp,
}

impl BlockKind {
    /// Every block kind, in the order of [`Surface::ALL`].
    pub const ALL: [BlockKind; 4] = [
        BlockKind::Network,
        BlockKind::Filesystem,
        BlockKind::Credentials,
        BlockKind::Mcp,
    ];

    /// The surface whose rules the block holds.
    pub fn surface(self) -> Surface {
        match self {
            BlockKind::Network => Surface::Network,
            BlockKind::Filesystem => Surface::Filesystem,
            BlockKind::Credentials => Surface::Credential,
            BlockKind::Mcp => Surface::Mcp,
        }
    }

    /// The keyword that opens the block: the surface's word, except that
    /// the credentials block is plural.
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Credentials => "credentials",
            other => other.surface().as_str(),
        }
    }
}

/// Header keys besides `policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    /// `version "1.2.0"`
    Version,
    /// `description "..."`
    Description,
    /// `owner "..."`
    Owner,
}

/// One policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFile {
    /// Every `policy NAME` line (the checker wants exactly one).
    pub policy: Vec<Spanned<String>>,
    /// `version`, `description` and `owner` lines, in order.
    pub meta: Vec<(Spanned<MetaKey>, Spanned<String>)>,
    /// Surface blocks, in order.
    pub blocks: Vec<Block>,
}

/// A surface block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Which surface, with the span of its keyword.
    pub kind: Spanned<BlockKind>,
    /// Whether the closing `}` was found.
    pub closed: bool,
    /// `default EFFECT` statements (the checker wants at most one).
    pub defaults: Vec<Spanned<String>>,
    /// Rules, in order (empty for `mcp`, whose rules live in servers).
    pub rules: Vec<RuleAst>,
    /// `server` blocks (only in `mcp`).
    pub servers: Vec<ServerAst>,
    /// `http` blocks (only in `network`).
    pub http: Vec<HttpAst>,
}

/// A rule line of any surface; fields that a surface does not use stay empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAst {
    /// The whole rule.
    pub span: Span,
    /// `name:` before the effect.
    pub label: Option<Spanned<String>>,
    /// `allow`, `deny` or `ask`.
    pub effect: Spanned<Effect>,
    /// Patterns after the effect (and after the access scope), unquoted.
    pub targets: Vec<Spanned<String>>,
    /// `port` items as written (network).
    pub ports: Vec<Spanned<String>>,
    /// Access scope with the span of its keywords (filesystem).
    pub access: Option<Spanned<Access>>,
    /// `to` destinations (credentials).
    pub destinations: Option<Vec<Spanned<String>>>,
    /// `for LIFETIME` (credentials).
    pub lifetime: Option<Spanned<String>>,
    /// The method set as written, `GET|HEAD` or `*` (HTTP rules).
    pub methods: Option<Spanned<String>>,
    /// `reason "..."`: the text an `ask` shows the human, unescaped.
    pub ask_reason: Option<Spanned<String>>,
    /// `where` constraints on a tool call's arguments (MCP tool rules).
    pub constraints: Vec<Spanned<ConstraintAst>>,
    /// `pinned "sha256:..."`: the tool definition digests, unescaped (MCP
    /// tool rules), with the span of the `pinned` keyword first.
    pub pins: Option<(Span, Vec<Spanned<String>>)>,
    /// `resource` or `prompt` after the effect (MCP rules); `None` for a
    /// tool rule.
    pub mcp_kind: Option<Spanned<McpKind>>,
}

/// What an MCP rule inside a server block governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum McpKind {
    /// Tool calls (`tools/call`), by tool name.
    Tool,
    /// Resource reads (`resources/read`), by URI.
    Resource,
    /// Prompt gets (`prompts/get`), by prompt name.
    Prompt,
}

/// One argument constraint as written: `POINTER matches "GLOB"`,
/// `POINTER in A..B` or `POINTER in V, ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintAst {
    /// The JSON Pointer as written.
    pub pointer: String,
    /// The test.
    pub test: TestAst,
}

/// The test of a constraint, its values as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestAst {
    /// `matches "GLOB"` (unescaped).
    Glob(String),
    /// `in A..B`.
    Range(String, String),
    /// `in V, ...`.
    OneOf(Vec<ValueAst>),
    /// `is read path`, `is write path`, `is read write path`.
    Path(Access),
}

/// A value of an `in` list as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueAst {
    /// A quoted string, unescaped.
    Str(String),
    /// An integer's digits (with sign).
    Int(String),
    /// `true` or `false`.
    Bool(bool),
}

/// `server NAME [source SRC] { ... }` inside `mcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAst {
    /// The head line.
    pub span: Span,
    /// `name:` before `server`.
    pub label: Option<Spanned<String>>,
    /// Server name.
    pub name: Spanned<String>,
    /// Pinned source.
    pub source: Option<Spanned<String>>,
    /// Whether the closing `}` was found.
    pub closed: bool,
    /// Tool rules.
    pub rules: Vec<RuleAst>,
}

/// `http HOST, ... { ... }` inside `network`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAst {
    /// The head line.
    pub span: Span,
    /// `name:` before `http`: the id of the block's own deny rule.
    pub label: Option<Spanned<String>>,
    /// Host patterns.
    pub hosts: Vec<Spanned<String>>,
    /// Whether the closing `}` was found.
    pub closed: bool,
    /// Method and path rules.
    pub rules: Vec<RuleAst>,
}
