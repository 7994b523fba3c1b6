//! Parsing: source text to [`crate::ast::PolicyFile`] plus every syntax error.
//!
//! The grammar (`grammar/policy.pest`) parses leniently: a line that is not a
//! valid statement becomes a `bad_line` node. Each bad line is then parsed
//! again alone with the strict rule of its context, and pest's error for it
//! becomes one diagnostic. So a file with five broken lines yields five
//! errors, each at its own line and column.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;

use crate::ast::{
    Block, BlockKind, ConstraintAst, HttpAst, McpKind, MetaKey, PolicyFile, RuleAst, ServerAst,
    Spanned, TestAst, ValueAst,
};
use crate::diag::{did_you_mean, Code, Diagnostic, Span};
use crate::model::{Access, Effect};

mod generated {
    #![allow(missing_docs)]
    /// The parser pest derives from `grammar/policy.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "../../grammar/policy.pest"]
    pub struct PolicyParser;
}
use generated::{PolicyParser, Rule};

/// Keywords, for "did you mean" hints on syntax errors (on a tie the first
/// listed is suggested).
fn keywords() -> Vec<&'static str> {
    let mut words = vec!["policy", "version", "description", "owner"];
    words.extend(BlockKind::ALL.map(BlockKind::keyword));
    words.push("default");
    words.extend(Effect::ALL.map(Effect::as_str));
    words.extend(["port", "ports"]);
    words.extend(
        [Access::READ, Access::WRITE]
            .into_iter()
            .filter_map(Access::as_str),
    );
    words.extend(["to", "for", "server", "source", "http", "reason"]);
    words.extend(["where", "and", "matches", "in", "is", "path"]);
    words
}

/// Parses `source` into a syntax tree and the syntax errors found.
///
/// Never panics and never fails: whatever could not be parsed is reported
/// and left out of the tree.
pub fn parse(source: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut out = Parsed::default();
    match PolicyParser::parse(Rule::file, source) {
        Ok(mut pairs) => {
            if let Some(file) = pairs.next() {
                out.file_pair(source, file);
            }
        }
        // The lenient grammar accepts every input; keep a safe path anyway.
        Err(e) => out.diags.push(pest_error(source, 0, e, "file")),
    }
    (out.file, out.diags)
}

#[derive(Default)]
struct Parsed {
    file: PolicyFile,
    diags: Vec<Diagnostic>,
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn spanned<T>(pair: &Pair<'_, Rule>, value: T) -> Spanned<T> {
    Spanned {
        value,
        span: span_of(pair),
    }
}

/// Text of a `string` (unescaped) or any other token (verbatim).
fn token_text(pair: &Pair<'_, Rule>) -> String {
    if pair.as_rule() == Rule::string {
        let inner = pair.clone().into_inner().next();
        unescape(inner.map_or("", |p| p.as_str()))
    } else {
        pair.as_str().to_string()
    }
}

/// Strings know two escapes, `\"` and `\\`; any other `\x` stays as written
/// (globs use `\` to escape wildcards).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Parsed {
    fn file_pair(&mut self, source: &str, file: Pair<'_, Rule>) {
        for item in file.into_inner() {
            match item.as_rule() {
                Rule::policy_line => {
                    if let Some(v) = item.into_inner().nth(1) {
                        let text = token_text(&v);
                        self.file.policy.push(spanned(&v, text));
                    }
                }
                Rule::meta_line => {
                    let mut inner = item.into_inner();
                    if let (Some(k), Some(v)) = (inner.next(), inner.next()) {
                        let key = match k.as_str() {
                            "version" => MetaKey::Version,
                            "description" => MetaKey::Description,
                            _ => MetaKey::Owner,
                        };
                        let text = token_text(&v);
                        self.file.meta.push((spanned(&k, key), spanned(&v, text)));
                    }
                }
                Rule::network_block => self.block(source, item, BlockKind::Network),
                Rule::filesystem_block => self.block(source, item, BlockKind::Filesystem),
                Rule::credentials_block => self.block(source, item, BlockKind::Credentials),
                Rule::mcp_block => self.block(source, item, BlockKind::Mcp),
                Rule::bad_block => {
                    let head_end = item.as_str().find('{').map_or(0, |i| i + 1);
                    let start = item.as_span().start();
                    self.reparse(source, start, &item.as_str()[..head_end], Rule::top_line);
                }
                Rule::bad_line => self.reparse(
                    source,
                    item.as_span().start(),
                    item.as_str(),
                    Rule::top_line,
                ),
                _ => {}
            }
        }
    }

    fn block(&mut self, source: &str, pair: Pair<'_, Rule>, kind: BlockKind) {
        let head = Span::new(
            pair.as_span().start(),
            pair.as_span().start() + kind.keyword().len(),
        );
        let mut block = Block {
            kind: Spanned {
                value: kind,
                span: head,
            },
            closed: false,
            defaults: Vec::new(),
            rules: Vec::new(),
            servers: Vec::new(),
            http: Vec::new(),
        };
        let strict = match kind {
            BlockKind::Network => Rule::network_line,
            BlockKind::Filesystem => Rule::filesystem_line,
            BlockKind::Credentials => Rule::credential_line,
            BlockKind::Mcp => Rule::mcp_line,
        };
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::close => block.closed = true,
                Rule::default_stmt => {
                    if let Some(w) = item.into_inner().nth(1) {
                        let text = w.as_str().to_string();
                        block.defaults.push(spanned(&w, text));
                    }
                }
                Rule::net_rule | Rule::fs_rule | Rule::cred_rule => block.rules.push(rule(item)),
                Rule::server_block => block.servers.push(self.server(source, item)),
                Rule::http_block => block.http.push(self.http(source, item)),
                Rule::bad_line => {
                    self.reparse(source, item.as_span().start(), item.as_str(), strict)
                }
                _ => {}
            }
        }
        self.file.blocks.push(block);
    }

    fn server(&mut self, source: &str, pair: Pair<'_, Rule>) -> ServerAst {
        let whole = span_of(&pair);
        let mut server = ServerAst {
            span: whole,
            label: None,
            name: Spanned {
                value: String::new(),
                span: whole,
            },
            source: None,
            closed: false,
            rules: Vec::new(),
        };
        let mut head_end = whole.start;
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::label => server.label = label(&item),
                Rule::kw_server => head_end = item.as_span().end(),
                Rule::string | Rule::ident => {
                    server.name = spanned(&item, token_text(&item));
                    head_end = item.as_span().end();
                }
                Rule::source => {
                    if let Some(v) = item.clone().into_inner().nth(1) {
                        server.source = Some(spanned(&v, token_text(&v)));
                    }
                    head_end = item.as_span().end();
                }
                Rule::tool_rule => server.rules.push(rule(item)),
                Rule::close => server.closed = true,
                Rule::bad_line => self.reparse(
                    source,
                    item.as_span().start(),
                    item.as_str(),
                    Rule::tool_line,
                ),
                _ => {}
            }
        }
        server.span = Span::new(whole.start, head_end);
        server
    }

    fn http(&mut self, source: &str, pair: Pair<'_, Rule>) -> HttpAst {
        let whole = span_of(&pair);
        let mut http = HttpAst {
            span: whole,
            label: None,
            hosts: Vec::new(),
            closed: false,
            rules: Vec::new(),
        };
        let mut head_end = whole.start;
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::label => http.label = label(&item),
                Rule::kw_http => head_end = item.as_span().end(),
                Rule::targets => {
                    head_end = item.as_span().end();
                    http.hosts = targets(item);
                }
                Rule::http_rule => http.rules.push(rule(item)),
                Rule::close => http.closed = true,
                Rule::bad_line => self.reparse(
                    source,
                    item.as_span().start(),
                    item.as_str(),
                    Rule::http_line,
                ),
                _ => {}
            }
        }
        http.span = Span::new(whole.start, head_end);
        http
    }

    /// Parses one bad line alone with its strict rule and reports the error.
    fn reparse(&mut self, source: &str, offset: usize, line: &str, strict: Rule) {
        let context = match strict {
            Rule::network_line => "network rule",
            Rule::filesystem_line => "filesystem rule",
            Rule::credential_line => "credential rule",
            Rule::mcp_line => "mcp statement",
            Rule::tool_line => "tool rule",
            Rule::http_line => "HTTP rule",
            _ => "statement",
        };
        match PolicyParser::parse(strict, line) {
            Err(e) => self.diags.push(pest_error(source, offset, e, context)),
            // The line parses alone but not in place: most often a statement
            // of another surface, or a block head inside a block.
            Ok(_) => self.diags.push(
                Diagnostic::new(
                    Code::Syntax,
                    Span::new(offset, offset + line.trim_end().len()),
                    format!("this {context} is not allowed here"),
                )
                .with_help("check that the enclosing block is closed with `}` on its own line"),
            ),
        }
    }
}

fn label(pair: &Pair<'_, Rule>) -> Option<Spanned<String>> {
    pair.clone()
        .into_inner()
        .next()
        .map(|i| spanned(&i, i.as_str().to_string()))
}

fn targets(pair: Pair<'_, Rule>) -> Vec<Spanned<String>> {
    pair.into_inner()
        .filter_map(|t| t.into_inner().next())
        .map(|v| spanned(&v, token_text(&v)))
        .collect()
}

fn rule(pair: Pair<'_, Rule>) -> RuleAst {
    let whole = span_of(&pair);
    let mut rule = RuleAst {
        span: whole,
        label: None,
        effect: Spanned {
            value: Effect::Allow,
            span: whole,
        },
        targets: Vec::new(),
        ports: Vec::new(),
        access: None,
        destinations: None,
        lifetime: None,
        methods: None,
        ask_reason: None,
        constraints: Vec::new(),
        pins: None,
        mcp_kind: None,
    };
    for item in pair.into_inner() {
        match item.as_rule() {
            Rule::label => rule.label = label(&item),
            Rule::effect => {
                // The grammar admits only the three effect words.
                let value = Effect::from_word(item.as_str()).unwrap_or(Effect::Allow);
                rule.effect = spanned(&item, value);
            }
            Rule::targets => rule.targets = targets(item),
            Rule::mcp_kind => {
                let kind = if item.as_str() == "prompt" {
                    McpKind::Prompt
                } else {
                    McpKind::Resource
                };
                rule.mcp_kind = Some(spanned(&item, kind));
            }
            Rule::methods => rule.methods = Some(spanned(&item, item.as_str().to_string())),
            Rule::reason => {
                rule.ask_reason = item
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::string)
                    .map(|s| spanned(&s, token_text(&s)));
            }
            Rule::ports => {
                rule.ports = item
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::port_item)
                    .map(|p| spanned(&p, p.as_str().to_string()))
                    .collect();
            }
            Rule::access => {
                // `read`, `write`, `read write` or `write read`.
                let value = item
                    .clone()
                    .into_inner()
                    .filter_map(|kw| Access::from_word(kw.as_str()))
                    .fold(Access(0), |all, one| Access(all.0 | one.0));
                rule.access = Some(spanned(&item, value));
            }
            Rule::destinations => {
                rule.destinations = item
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::targets)
                    .map(targets);
            }
            Rule::pinned => {
                let at = span_of(&item);
                let digests = item
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::string)
                    .map(|s| spanned(&s, token_text(&s)))
                    .collect();
                rule.pins = Some((at, digests));
            }
            Rule::where_clause => {
                rule.constraints = item
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::constraint)
                    .map(|c| spanned(&c, constraint(c.clone())))
                    .collect();
            }
            Rule::lifetime => {
                rule.lifetime = item
                    .into_inner()
                    .nth(1)
                    .map(|w| spanned(&w, w.as_str().to_string()));
            }
            _ => {}
        }
    }
    rule
}

/// One `constraint` pair as written.
fn constraint(pair: Pair<'_, Rule>) -> ConstraintAst {
    let mut pointer = String::new();
    let mut test = TestAst::OneOf(Vec::new());
    for item in pair.into_inner() {
        match item.as_rule() {
            Rule::pointer => pointer = item.as_str().to_string(),
            Rule::arg_test => {
                let mut values = Vec::new();
                for t in item.into_inner() {
                    match t.as_rule() {
                        Rule::string => test = TestAst::Glob(token_text(&t)),
                        Rule::access => {
                            let a = t
                                .into_inner()
                                .filter_map(|kw| Access::from_word(kw.as_str()))
                                .fold(Access(0), |all, one| Access(all.0 | one.0));
                            test = TestAst::Path(a);
                        }
                        Rule::arg_range => {
                            let mut ends = t.into_inner().map(|i| i.as_str().to_string());
                            let a = ends.next().unwrap_or_default();
                            let b = ends.next().unwrap_or_default();
                            test = TestAst::Range(a, b);
                        }
                        Rule::arg_value => {
                            if let Some(v) = t.into_inner().next() {
                                values.push(match v.as_rule() {
                                    Rule::string => ValueAst::Str(token_text(&v)),
                                    Rule::arg_bool => ValueAst::Bool(v.as_str() == "true"),
                                    _ => ValueAst::Int(v.as_str().to_string()),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                if !values.is_empty() {
                    test = TestAst::OneOf(values);
                }
            }
            _ => {}
        }
    }
    ConstraintAst { pointer, test }
}

/// What the user should read for a grammar rule in "expected ..." messages.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::effect | Rule::kw_allow | Rule::kw_deny | Rule::kw_ask => "`allow`, `deny` or `ask`",
        Rule::kw_default | Rule::default_stmt => "`default`",
        Rule::label => "a rule name",
        Rule::targets | Rule::target | Rule::pattern => "a pattern",
        Rule::string => "a quoted string",
        Rule::word | Rule::ident => "a name",
        Rule::kw_port | Rule::ports => "`port`",
        Rule::port_item => "a port number",
        Rule::access | Rule::kw_read | Rule::kw_write => "`read` or `write`",
        Rule::kw_to | Rule::destinations => "`to`",
        Rule::kw_for | Rule::lifetime => "`for`",
        Rule::kw_server => "`server`",
        Rule::kw_http => "`http`",
        Rule::kw_reason | Rule::reason => "`reason`",
        Rule::kw_where | Rule::where_clause => "`where`",
        Rule::kw_and => "`and`",
        Rule::constraint | Rule::pointer => "an argument constraint (`/key matches \"glob\"`, `/key in 1..10`, `/key in \"a\", \"b\"`)",
        Rule::arg_test | Rule::kw_matches | Rule::kw_in | Rule::kw_is => {
            "`matches`, `in` or `is read path`"
        }
        Rule::kw_path => "`path`",
        Rule::arg_value | Rule::arg_int | Rule::arg_bool | Rule::arg_range => "a value (a quoted string, an integer, `true` or `false`) or a range `A..B`",
        Rule::methods => "a method set (`GET`, `GET|HEAD` or `*`) and a space",
        Rule::kw_source | Rule::source => "`source`",
        Rule::kw_policy | Rule::policy_line => "`policy`",
        Rule::meta_key | Rule::meta_line => "`version`, `description` or `owner`",
        Rule::block_head => "a block (`network`, `filesystem`, `credentials` or `mcp`)",
        Rule::net_rule | Rule::fs_rule | Rule::cred_rule | Rule::tool_rule | Rule::http_rule => {
            "a rule"
        }
        Rule::EOI => "end of line",
        // At the start of a line pest names the whole statement.
        Rule::top_line => {
            "`policy`, `version`, `description`, `owner` or a block \
             (`network`, `filesystem`, `credentials`, `mcp`)"
        }
        Rule::network_line => "`allow`, `deny`, `ask`, `http` or `default`",
        Rule::filesystem_line | Rule::credential_line => "`allow`, `deny`, `ask` or `default`",
        Rule::mcp_line => "`server` or `default`",
        Rule::tool_line | Rule::http_line => "`allow`, `deny` or `ask`",
        _ => return None,
    })
}

/// Turns pest's error for a line that starts at `offset` into a diagnostic.
fn pest_error(
    source: &str,
    offset: usize,
    e: pest::error::Error<Rule>,
    context: &str,
) -> Diagnostic {
    let line_text = source.get(offset..).unwrap_or("");
    let line_text = line_text.split('\n').next().unwrap_or("");
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(line_text.len());
    let rest = &line_text[crate::diag::floor_char_boundary(line_text, pos)..];
    let found: String = rest
        .trim_end()
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("")
        .chars()
        .take(40)
        .collect();
    let start = offset + pos;
    let end = start + found.len().max(usize::from(!rest.is_empty()));
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(d) = describe(*r) {
                if !expected.contains(&d) {
                    expected.push(d);
                }
            }
        }
    }
    let expected = match expected.as_slice() {
        [] => format!("invalid {context}"),
        [one] => format!("expected {one}"),
        [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
    };
    let message = if found.is_empty() {
        format!("{expected}, found end of line")
    } else {
        format!("{expected}, found `{found}`")
    };
    let mut d = Diagnostic::new(Code::Syntax, Span::new(start, end), message);
    if let Some(kw) = did_you_mean(&found, &keywords()) {
        d = d.with_help(format!("did you mean `{kw}`?"));
    } else if found.starts_with('"') {
        d = d.with_help("close the string with `\"` on the same line");
    } else if context == "filesystem rule" && found.is_empty() {
        d = d.with_help("a filesystem rule reads `allow read write ~/project/**`");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_construct() {
        let src = r#"# a comment
policy "demo"
version 1.0.0
description "a demo"

network {
  default deny
  npm: allow registry.npmjs.org, **.crates.io port 443, 8000-8080
  deny @metadata,
       10.0.0.0/8
}
filesystem {
  allow read write $workspace/**
  deny read ~/.ssh/**
}
credentials {
  allow GITHUB_TOKEN to github.com, **.github.com for 1h
}
mcp {
  default deny
  gh: server github source "ghcr.io/github/github-mcp-server:1.0" {
    allow get_*, list_*
    deny {delete,fork}_*
  }
}
"#;
        let (file, diags) = parse(src);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(file.policy[0].value, "demo");
        assert_eq!(file.meta.len(), 2);
        assert_eq!(file.blocks.len(), 4);
        let net = &file.blocks[0];
        assert!(net.closed);
        assert_eq!(net.defaults[0].value, "deny");
        assert_eq!(net.rules.len(), 2);
        assert_eq!(
            net.rules[0].label.as_ref().map(|l| l.value.as_str()),
            Some("npm")
        );
        assert_eq!(net.rules[0].targets.len(), 2);
        assert_eq!(net.rules[0].ports.len(), 2);
        assert_eq!(net.rules[1].targets[1].value, "10.0.0.0/8");
        let fs = &file.blocks[1];
        assert_eq!(
            fs.rules[0].access.as_ref().map(|a| a.value),
            Some(Access::READ_WRITE)
        );
        let cred = &file.blocks[2];
        assert_eq!(cred.rules[0].destinations.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            cred.rules[0].lifetime.as_ref().map(|l| l.value.as_str()),
            Some("1h")
        );
        let mcp = &file.blocks[3];
        assert_eq!(mcp.servers.len(), 1);
        let gh = &mcp.servers[0];
        assert_eq!(gh.name.value, "github");
        assert_eq!(
            gh.source.as_ref().map(|s| s.value.as_str()),
            Some("ghcr.io/github/github-mcp-server:1.0")
        );
        assert_eq!(gh.rules.len(), 2);
        assert_eq!(gh.rules[1].targets[0].value, "{delete,fork}_*");
        assert!(gh.closed);
    }

    #[test]
    fn access_words_in_either_order() {
        let (file, diags) = parse(
            "policy p\nfilesystem {\n  deny write read /a\n  deny read /b\n  deny write /c\n}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let scopes: Vec<_> = file.blocks[0]
            .rules
            .iter()
            .map(|r| r.access.as_ref().map(|a| a.value))
            .collect();
        assert_eq!(
            scopes,
            [
                Some(Access::READ_WRITE),
                Some(Access::READ),
                Some(Access::WRITE)
            ]
        );
    }

    #[test]
    fn reports_every_bad_line() {
        let src =
            "policy p\nnetwork {\n  alow a.com\n  allow b.com port x\n  allow c.com\n}\nbogus\n";
        let (file, diags) = parse(src);
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(file.blocks[0].rules.len(), 1);
        assert_eq!(&src[diags[0].span.start..diags[0].span.end], "alow");
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `allow`?"));
        assert_eq!(&src[diags[1].span.start..diags[1].span.end], "x");
        assert!(
            diags[1].message.contains("port number"),
            "{}",
            diags[1].message
        );
        assert_eq!(&src[diags[2].span.start..diags[2].span.end], "bogus");
    }

    #[test]
    fn unclosed_block_is_recorded() {
        let (file, diags) = parse("policy p\nnetwork {\n  allow a.com\n");
        assert!(diags.is_empty());
        assert!(!file.blocks[0].closed);
    }

    #[test]
    fn string_escapes() {
        assert_eq!(unescape(r#"a\"b\\c\*"#), r#"a"b\c\*"#);
    }
}
