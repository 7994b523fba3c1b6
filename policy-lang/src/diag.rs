//! Diagnostics as data: the front end produces them, only the CLI renders them.
//!
//! [`DiagnosticJson`] is the one serialized form, shared by `polc check
//! --format json` and the WASM `check`/`compile` results.

use std::fmt;

use serde::Serialize;

/// A byte range in the policy source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The policy is rejected.
    Error,
    /// Legal but suspicious; fails `polc check --deny-warnings`.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// Stable diagnostic codes, documented in `spec/language.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $title] $variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// Severity of diagnostics with this code.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One-line summary of the code.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error";
    NotUtf8 = "E0002", Error, "source is not valid UTF-8";
    TooLarge = "E0003", Error, "a size limit is exceeded";
    UnclosedBlock = "E0004", Error, "block without closing brace";
    ControlChar = "E0005", Error, "control character in source";
    TableBudget = "E0006", Error, "compiled tables exceed the size budget";
    Internal = "E0007", Error, "internal compiler error";
    TooComplex = "E0008", Error, "pattern group too complex";
    CostBound = "E0009", Error, "worst-case decision cost over the bound";
    MissingPolicy = "E0010", Error, "missing `policy` line";
    DuplicateHeader = "E0011", Error, "header line given twice";
    DuplicateBlock = "E0012", Error, "surface block given twice";
    DuplicateDefault = "E0013", Error, "`default` given twice in a block";
    UnknownEffect = "E0014", Error, "unknown effect";
    DuplicateRuleName = "E0015", Error, "two rules with the same name";
    InvalidReason = "E0016", Error, "invalid `reason` of an ask rule";
    InvalidDomain = "E0101", Error, "invalid domain pattern";
    InvalidAddress = "E0102", Error, "invalid IP address or CIDR";
    UnknownSet = "E0103", Error, "unknown built-in set";
    InvalidPort = "E0104", Error, "invalid port or port range";
    InvalidGlob = "E0201", Error, "invalid path glob";
    UnanchoredPath = "E0202", Error, "path pattern is not absolute";
    MissingAccess = "E0203", Error, "missing access scope";
    DotSegment = "E0204", Error, "`.` or `..` in a path pattern";
    BraceExpansion = "E0205", Error, "brace expansion too large or nested";
    InvalidRoot = "E0206", Error, "invalid root name";
    InvalidName = "E0301", Error, "invalid secret or tool name pattern";
    InvalidLifetime = "E0302", Error, "invalid lifetime";
    InvalidServer = "E0401", Error, "invalid MCP server name";
    DuplicateServer = "E0402", Error, "MCP server declared twice";
    InvalidSource = "E0403", Error, "invalid MCP server source";
    InvalidMethod = "E0501", Error, "invalid HTTP method set";
    InvalidHttpPath = "E0502", Error, "invalid HTTP path pattern";
    InvalidHttpHost = "E0503", Error, "invalid `http` block host";
    HttpBlocksPerHost = "E0504", Error, "too many `http` blocks cover one host";
    InvalidPointer = "E0601", Error, "invalid JSON Pointer in an argument constraint";
    InvalidConstraintValue = "E0602", Error, "invalid value, range or glob in an argument constraint";
    TooManyConstraints = "E0603", Error, "too many argument constraints on one rule";
    ConstrainedPerServer = "E0604", Error, "too many tool rules with `where` in one server";
    InvalidPin = "E0605", Error, "invalid tool definition pin";
    DuplicatePin = "E0606", Error, "tool pinned by two rules of one server";
    InvalidResource = "E0607", Error, "invalid resource URI pattern";
    ToolOnly = "E0608", Error, "`pinned` or `where` on a resource or prompt rule";
    HostBits = "W0101", Warning, "CIDR has host bits set";
    AllowsEverything = "W0102", Warning, "rule allows every request of its surface";
    DefaultAllow = "W0103", Warning, "`default allow`";
    TrailingDot = "W0104", Warning, "trailing dot in a domain pattern";
    MixedScript = "W0105", Warning, "domain label mixes scripts";
    EmptyBlock = "W0106", Warning, "block without rules";
    Truncated = "W0108", Warning, "more diagnostics than are reported";
    CombinedReach = "W0109", Warning, "rule reaches further on combined requests";
    BroadGrant = "W0110", Warning, "rule grants a whole top-level domain, home, or a user-content host";
    Shadowed = "W0111", Warning, "rule never decides a request";
    Redundant = "W0112", Warning, "rule's removal changes no decision";
    Inactive = "W0113", Warning, "a lower layer's rule is looser than a layer above it";
    Unproven = "W0114", Warning, "a part of a layer could not be checked against a layer above it";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a policy source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Primary location.
    pub span: Span,
    /// What is wrong, lower-case, no trailing period, user input in backticks.
    pub message: String,
    /// How to fix it, when we can say.
    pub help: Option<String>,
    /// Secondary locations with a note each (e.g. the first definition).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic with a code, span and message.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            span,
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location.
    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.notes.push((span, note.into()));
        self
    }

    /// Severity, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// A range of a policy source in the units tools need: 1-based lines and
/// columns (columns count characters, as `polc` prints them) and UTF-16
/// offsets (JavaScript string indexes, LSP positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SourceRange {
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (in characters) of the start.
    pub column: usize,
    /// 1-based line of the end (exclusive position).
    pub end_line: usize,
    /// 1-based column (in characters) of the end (exclusive position).
    pub end_column: usize,
    /// Start as a UTF-16 offset.
    pub start: usize,
    /// End as a UTF-16 offset, exclusive.
    pub end: usize,
}

impl SourceRange {
    /// The range of byte span `span` of `source` (offsets clamped to the
    /// source and floored to a character boundary).
    pub fn new(source: &str, lines: &LineIndex, span: Span) -> SourceRange {
        let (line, column) = lines.line_col(source, span.start);
        let (end_line, end_column) = lines.line_col(source, span.end);
        SourceRange {
            line,
            column,
            end_line,
            end_column,
            start: utf16(source, span.start),
            end: utf16(source, span.end),
        }
    }
}

/// UTF-16 offset of byte offset `at` (clamped, floored to a char boundary).
fn utf16(source: &str, at: usize) -> usize {
    let at = floor_char_boundary(source, at.min(source.len()));
    source.get(..at).map_or(0, |s| s.encode_utf16().count())
}

/// A diagnostic as JSON: what `polc check --format json` prints (one per
/// line, with the file name added) and what the WASM `check` and `compile`
/// return. Field names are part of `spec/wasm.md` and `spec/language.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticJson {
    /// Stable code, e.g. `E0101`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
    /// The primary span (flattened: `line`, `column`, `end_line`,
    /// `end_column`, `start`, `end`).
    #[serde(flatten)]
    pub range: SourceRange,
    /// Secondary locations (e.g. the first definition of a duplicate).
    pub notes: Vec<NoteJson>,
}

/// A secondary location of a [`DiagnosticJson`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteJson {
    /// The note.
    pub message: String,
    /// Where it points.
    pub range: SourceRange,
}

impl DiagnosticJson {
    /// The JSON form of `d`, positioned in `source` (indexed by `lines`).
    pub fn new(source: &str, lines: &LineIndex, d: &Diagnostic) -> DiagnosticJson {
        DiagnosticJson {
            code: d.code.as_str(),
            severity: d.severity().as_str(),
            message: d.message.clone(),
            help: d.help.clone(),
            range: SourceRange::new(source, lines, d.span),
            notes: d
                .notes
                .iter()
                .map(|(span, message)| NoteJson {
                    message: message.clone(),
                    range: SourceRange::new(source, lines, *span),
                })
                .collect(),
        }
    }
}

/// Maps byte offsets to 1-based line and column (columns count characters).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`.
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based (line, column) of `offset` in `source` (clamped to its length).
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = source.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

/// The largest char boundary of `s` not above `i`.
pub fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Edit distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
