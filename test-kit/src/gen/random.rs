//! Whole random policies over the [`vocab`](super::vocab) patterns, and
//! random requests of every surface.

use policy_eval::Access;

use super::vocab::*;
use super::{Case, Generated, Req, Source};

/// Choices for one policy, and what was taken from raw input.
struct Writer<'s, S: Source> {
    s: &'s mut S,
    wild: bool,
    labels: usize,
}

impl<S: Source> Writer<'_, S> {
    /// A pattern from `table`, or (1 in 32, when the source has raw input)
    /// raw text.
    fn pattern(&mut self, table: &[&str]) -> String {
        if self.s.ratio(1, 32) {
            if let Some(raw) = self.s.raw_text() {
                self.wild = true;
                return raw;
            }
        }
        self.s.choose(table).to_string()
    }

    /// One or two quoted patterns.
    fn list(&mut self, table: &[&str]) -> String {
        let n = 1 + self.s.below(2);
        let out: Vec<String> = (0..n)
            .map(|_| format!("\"{}\"", self.pattern(table)))
            .collect();
        out.join(", ")
    }

    /// One or two quoted patterns, or (1 in 4, once the block has a rule) the
    /// pattern list of an earlier rule of the block, so rules share a glob
    /// with another effect, access or port list (precedence ties).
    fn targets(&mut self, earlier: &mut Vec<String>, table: &[&str]) -> String {
        if !earlier.is_empty() && self.s.ratio(1, 4) {
            let i = self.s.below(earlier.len());
            return earlier[i].clone();
        }
        let list = self.list(table);
        earlier.push(list.clone());
        list
    }

    /// A credential's destinations: one or two, or (1 in 4) three to eight
    /// (domains, label globs, suffixes, CIDRs and sets on one rule).
    fn destinations(&mut self) -> String {
        if !self.s.ratio(1, 4) {
            return self.list(DOMAINS);
        }
        let n = 3 + self.s.below(6);
        let out: Vec<String> = (0..n)
            .map(|_| format!("\"{}\"", self.pattern(DOMAINS)))
            .collect();
        out.join(", ")
    }

    /// Sometimes a label (unique), so rule ids are explicit.
    fn label(&mut self) -> String {
        if self.s.ratio(1, 4) {
            self.labels += 1;
            format!("r{}: ", self.labels)
        } else {
            String::new()
        }
    }

    /// `0..=max` rule lines.
    fn rules(&mut self, max: usize, mut one: impl FnMut(&mut Self) -> String) -> String {
        let n = self.s.below(max + 1);
        (0..n).map(|_| one(self)).collect()
    }
}

/// A random policy: four blocks with their defaults, up to 6 network rules
/// and 2 `http` blocks of up to 4 HTTP rules, 6 filesystem, 5 credential and 4 tool rules over the vocabulary patterns,
/// a `github` server (pinned or not) and an `fs` server; optional metadata
/// lines and rule labels; and, when the source has raw input, 1 pattern in
/// 32 taken from it ([`Generated::wild`]). Rules of a block sometimes repeat
/// an earlier rule's patterns with other effects (precedence ties), and a
/// credential rule sometimes names many destinations.
pub fn policy(s: &mut impl Source) -> Generated {
    let mut g = Writer {
        s,
        wild: false,
        labels: 0,
    };
    let mut meta = String::new();
    if g.s.ratio(1, 4) {
        meta.push_str("version 1.0.0\ndescription \"generated\"\nowner fuzz\n");
    }
    let mut earlier = Vec::new();
    let net = g.rules(6, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let targets = g.targets(&mut earlier, DOMAINS);
        let ports = g.s.choose(PORT_LISTS);
        format!("  {label}{effect} {targets}{ports}\n")
    });
    // Up to two `http` blocks, each over one or two hosts, with up to four
    // method and path rules (none: a block that denies every HTTP request).
    let http = g.rules(2, |g| {
        let label = g.label();
        let hosts = g.list(HTTP_HOSTS);
        let mut earlier = Vec::new();
        let rules = g.rules(4, |g| {
            let label = g.label();
            let effect = g.s.choose(EFFECTS);
            let methods = g.s.choose(METHOD_SETS);
            let paths = g.targets(&mut earlier, HTTP_PATHS);
            format!("    {label}{effect} {methods} {paths}\n")
        });
        format!("  {label}http {hosts} {{\n{rules}  }}\n")
    });
    let mut earlier = Vec::new();
    let fs = g.rules(6, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let access = g.s.choose(ACCESS);
        let targets = g.targets(&mut earlier, PATHS);
        format!("  {label}{effect} {access} {targets}\n")
    });
    let mut earlier = Vec::new();
    let cred = g.rules(5, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let names = g.targets(&mut earlier, NAMES);
        let to = if g.s.ratio(1, 2) {
            format!(" to {}", g.destinations())
        } else {
            String::new()
        };
        let life = g.s.choose(LIFETIMES);
        format!("  {label}{effect} {names}{to}{life}\n")
    });
    let mut earlier = Vec::new();
    let tools = g.rules(4, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let tools = g.targets(&mut earlier, TOOLS);
        // Half of them with argument constraints; path constraints only on
        // allow and ask.
        let clause = if !g.s.ratio(1, 2) {
            ""
        } else if effect != "deny" && g.s.ratio(1, 3) {
            g.s.choose(PATH_CLAUSES)
        } else {
            g.s.choose(WHERE_CLAUSES)
        };
        format!("    {label}{effect} {tools}{clause}\n")
    });
    // Pinned rules: each pinnable tool at most once (E0606), allow or ask,
    // at one or two digests, some with a `where` clause too.
    let mut tools = tools;
    for tool in PIN_TOOLS {
        if !g.s.ratio(1, 3) {
            continue;
        }
        let label = g.label();
        let effect = g.s.choose(&["allow", "ask"]);
        let mut digests = format!("\"{}\"", g.s.choose(DIGESTS));
        if g.s.ratio(1, 3) {
            digests.push_str(&format!(", \"{}\"", g.s.choose(DIGESTS)));
        }
        let clause = if g.s.ratio(1, 4) {
            g.s.choose(WHERE_CLAUSES)
        } else {
            ""
        };
        tools.push_str(&format!(
            "    {label}{effect} {tool} pinned {digests}{clause}\n"
        ));
    }
    // Resource and prompt rules, beside the tool rules of the same server
    // (so a tool named like a prompt never picks up a prompt rule).
    let mut earlier = Vec::new();
    tools.push_str(&g.rules(3, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let uris = g.targets(&mut earlier, RESOURCES);
        format!("    {label}{effect} resource {uris}\n")
    }));
    let mut earlier = Vec::new();
    tools.push_str(&g.rules(2, |g| {
        let label = g.label();
        let effect = g.s.choose(EFFECTS);
        let names = g.targets(&mut earlier, PROMPTS);
        format!("    {label}{effect} prompt {names}\n")
    }));
    let pin = if g.s.ratio(1, 2) {
        format!(" source \"{}\"", SOURCES[0])
    } else {
        String::new()
    };
    let [dn, df, dc, dm] = [(); 4].map(|()| g.s.choose(DEFAULTS));
    let source = format!(
        "policy random\n{meta}network {{\n  default {dn}\n{net}{http}}}\nfilesystem {{\n  default {df}\n{fs}}}\ncredentials {{\n  default {dc}\n{cred}}}\nmcp {{\n  default {dm}\n  server github{pin} {{\n{tools}  }}\n  server fs {{\n    allow *\n  }}\n}}\n"
    );
    Generated {
        source,
        wild: g.wild,
    }
}

/// A string field: from `table`, or (1 in 8, when the source has raw input)
/// raw text.
fn field(s: &mut impl Source, table: &[&str]) -> String {
    if s.ratio(1, 8) {
        if let Some(raw) = s.raw_text() {
            return raw;
        }
    }
    s.choose(table).to_string()
}

/// An optional string field (present half the time).
fn opt(s: &mut impl Source, table: &[&str]) -> Option<String> {
    s.ratio(1, 2).then(|| field(s, table))
}

/// A random request of any surface, and the root bindings to decide it
/// with (mostly all bound). Network requests may carry a host, an address
/// and a port (out of range or raw ones included); filesystem requests read,
/// write or both; credential requests may name a destination host and
/// address; MCP requests may name a tool and a source.
pub fn case(s: &mut impl Source) -> Case {
    let req = match s.below(4) {
        0 => {
            // Half of them HTTP requests, mostly to hosts of `http` blocks
            // with a method of the fixed set.
            let http = s.ratio(1, 2);
            let host = if http && s.ratio(3, 4) {
                Some(s.choose(REQ_HTTP_HOSTS).to_string())
            } else {
                opt(s, HOSTS)
            };
            let ip = opt(s, IPS);
            let port = if !s.ratio(1, 2) {
                None
            } else if s.ratio(1, 8) {
                Some(s.raw_u32().unwrap_or_else(|| s.choose(PORTS)))
            } else {
                Some(s.choose(PORTS))
            };
            let http = http.then(|| {
                let method = if s.ratio(7, 8) {
                    s.choose(&REQ_METHODS[..9]).to_string()
                } else {
                    field(s, REQ_METHODS)
                };
                (method, field(s, REQ_HTTP_PATHS))
            });
            Req::Network {
                host,
                ip,
                port,
                http,
            }
        }
        1 => {
            let path = field(s, REQ_PATHS);
            let access = s.choose(&[Access::READ, Access::WRITE, Access::READ_WRITE]);
            Req::Filesystem { path, access }
        }
        2 => {
            let name = field(s, REQ_NAMES);
            let host = opt(s, HOSTS);
            let ip = opt(s, IPS);
            Req::Credential { name, host, ip }
        }
        _ => {
            let server = field(s, SERVERS);
            // A third of them read a resource or get a prompt instead of
            // calling a tool (and 1 in 16 names two: invalid).
            let (resource, prompt) = match s.below(6) {
                0 => (Some(field(s, REQ_RESOURCES)), None),
                1 => (None, Some(field(s, REQ_PROMPTS))),
                _ => (None, None),
            };
            let tool = if resource.is_some() || prompt.is_some() {
                opt(s, REQ_TOOLS).filter(|_| s.ratio(1, 8))
            } else {
                opt(s, REQ_TOOLS)
            };
            let source = opt(s, SOURCES);
            // Most calls with arguments; some with a path from the
            // filesystem vocabulary, for the path constraints.
            let arguments = match s.below(5) {
                0 => None,
                1 => Some(serde_json::json!({ "path": s.choose(REQ_PATHS), "n": s.below(12) })),
                // One object that satisfies most `where` clauses, so
                // constrained allows and asks apply too.
                2 => Some(serde_json::json!({
                    "q": s.choose(&["bab", "bbb"]), "n": s.choose(&[3, 20]),
                    "mode": s.choose(&["ro", "zz"]), "a": { "b": s.ratio(1, 2) },
                    "items": [s.choose(&["x", "y"])], "a/b": s.choose(&[1, 2]),
                    "path": s.choose(REQ_PATHS),
                })),
                _ => serde_json::from_str(s.choose(REQ_ARGUMENTS)).ok(),
            };
            // Most calls without a definition; a definition without a tool
            // is invalid: keep a few of those.
            let definition = if s.ratio(1, 2) {
                Some(field(s, REQ_DEFINITIONS)).filter(|_| tool.is_some() || s.ratio(1, 8))
            } else {
                None
            };
            Req::Mcp {
                server,
                tool: tool.clone(),
                source,
                // Arguments without a tool are invalid: keep a few of those.
                arguments: arguments.filter(|_| tool.is_some() || s.ratio(1, 8)),
                definition,
                resource,
                prompt,
            }
        }
    };
    let roots = if s.ratio(3, 4) {
        ROOTS[0]
    } else {
        s.choose(ROOTS)
    };
    Case { req, roots }
}
