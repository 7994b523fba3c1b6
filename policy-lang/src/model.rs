//! The checked policy: every pattern validated, normalized and typed.
//!
//! This is what the compiler lowers to lookup tables and what the reference
//! interpreter ([`crate::reference`]) loops over. Rule indices are source
//! order across the whole file.

use ipnet::IpNet;
pub use policy_eval::artifact::{
    Access, ArgConstraint, ArgTest, ArgValue, DomainPattern, Effect, Lifetime, Method, Methods,
    Surface,
};

pub use crate::ast::McpKind;
pub use policy_eval::pin::DefinitionDigest;

use crate::diag::Span;

/// A policy that passed the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPolicy {
    /// `policy NAME`.
    pub name: String,
    /// `version`, empty when absent.
    pub version: String,
    /// `description`, empty when absent.
    pub description: String,
    /// `owner`, empty when absent.
    pub owner: String,
    /// Default effect per surface, indexed by `Surface as usize`.
    pub defaults: [Effect; 4],
    /// Surfaces whose default is `pass` (`spec/layers.md`, "Delegation"):
    /// their default effect is deny, and a stack takes the default
    /// decision as no decision of this layer.
    pub passes: [bool; 4],
    /// Rules in source order; the index is the rule number.
    pub rules: Vec<RuleDef>,
    /// Approved MCP servers, in source order.
    pub servers: Vec<ServerDef>,
    /// `http` blocks of the network surface, in source order.
    pub http: Vec<HttpDef>,
    /// Named path roots used by path rules (`home` for `~`), sorted.
    pub roots: Vec<String>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDef {
    /// Stable id: the explicit label or a derived one.
    pub id: String,
    /// Surface.
    pub surface: Surface,
    /// Effect.
    pub effect: Effect,
    /// The rule's source text span.
    pub span: Span,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What it matches.
    pub kind: RuleKind,
    /// The `reason` of an `ask` rule.
    pub ask_reason: Option<String>,
}

/// What a rule matches, per surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// A network rule.
    Network {
        /// Hosts and addresses.
        targets: Vec<NetTarget>,
        /// Inclusive port ranges, sorted and merged; `None` = any port.
        ports: Option<Vec<(u16, u16)>>,
    },
    /// A filesystem rule.
    Filesystem {
        /// Access scope.
        access: Access,
        /// Path patterns (braces already expanded).
        paths: Vec<PathPattern>,
    },
    /// A credential rule.
    Credential {
        /// Secret name globs, lower-cased.
        names: Vec<String>,
        /// `to` destinations; `None` without a `to` clause.
        destinations: Option<Vec<NetTarget>>,
        /// Lifetime of a grant.
        lifetime: Lifetime,
    },
    /// The approval of an MCP server (effect allow).
    Server {
        /// Index into [`CheckedPolicy::servers`].
        server: usize,
    },
    /// The own rule of an `http` block (network, effect deny): it decides
    /// a covered host's HTTP request that no HTTP rule matches.
    HttpBlock {
        /// Index into [`CheckedPolicy::http`].
        block: usize,
    },
    /// A method and path rule inside an `http` block (network surface).
    Http {
        /// Index into [`CheckedPolicy::http`].
        block: usize,
        /// The methods it covers, never empty.
        methods: Methods,
        /// Path globs relative to `/` (no leading `/`, "" for `/`; braces
        /// expanded), matched as filesystem globs are.
        paths: Vec<String>,
    },
    /// A tool, resource or prompt rule inside an approved server.
    Tool {
        /// Index into [`CheckedPolicy::servers`].
        server: usize,
        /// What the rule governs: tool calls, resource reads or prompt
        /// gets (`tools` then holds tool names, URI globs or prompt names).
        kind: McpKind,
        /// Tool name globs, lower-cased.
        tools: Vec<String>,
        /// Argument constraints (`where`), empty for none.
        args: Vec<ArgConstraint>,
        /// Pinned definition digests (`pinned`), sorted and unique, empty
        /// for none; a pinned rule names exactly one tool.
        pins: Vec<DefinitionDigest>,
    },
}

/// A network target after set expansion.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetTarget {
    /// A domain pattern, normalized.
    Domain(DomainPattern),
    /// An address range (IPv4-mapped IPv6 ranges are stored as IPv4).
    Net(IpNet),
}

/// A path glob below a root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathPattern {
    /// Root name: "" for `/`, `home` for `~`, else the `$name`.
    pub root: String,
    /// The glob relative to the root, without leading `/`, "" for the root
    /// itself; segments separated by `/`, no braces, no `.`/`..`.
    pub glob: String,
}

/// An `http` block: the hosts whose HTTP requests its rules decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpDef {
    /// Host patterns: exact, `*.a.b` or `**.a.b` shapes only.
    pub hosts: Vec<DomainPattern>,
    /// Index of its own deny rule ([`RuleKind::HttpBlock`]).
    pub rule: usize,
}

/// An approved MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerDef {
    /// Name, ASCII lower-cased.
    pub name: String,
    /// Pinned source, compared exactly.
    pub source: Option<String>,
    /// Index of its approval rule.
    pub rule: usize,
}

impl DomainText for DomainPattern {
    fn text(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if self.any_depth {
            parts.push("**");
        }
        parts.extend(self.prefix.iter().map(String::as_str));
        if !self.anchor.is_empty() {
            parts.push(&self.anchor);
        }
        parts.join(".")
    }
}

/// Renders a normalized domain pattern back to its canonical text.
pub trait DomainText {
    /// Canonical text, e.g. `**.example.com`.
    fn text(&self) -> String;
}
