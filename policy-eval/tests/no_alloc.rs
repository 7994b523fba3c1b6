//! Checks the invariant "`decide` never allocates for ASCII requests" with a
//! counting global allocator. One test only, so no other thread allocates
//! while it measures.
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use policy_eval::artifact::*;
use policy_eval::{Context, Policy, Request};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rule(id: &str, surface: Surface, effect: Effect, cond: Condition) -> Rule {
    Rule {
        id: id.into(),
        surface,
        effect,
        line: 1,
        column: 1,
        cond,
        ask_reason: String::new(),
    }
}

/// One DFA of `(rule, regex)` patterns, built as the compiler builds them.
fn automata(pats: &[(u32, &str)]) -> Automata {
    use regex_automata::dfa::{dense, StartKind};
    use regex_automata::nfa::thompson;
    use regex_automata::util::syntax;
    use regex_automata::MatchKind;
    let regexes: Vec<String> = pats.iter().map(|(_, r)| format!("\\A(?:{r})\\z")).collect();
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .start_kind(StartKind::Anchored),
        )
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .thompson(thompson::Config::new().utf8(false))
        .build_many(&regexes)
        .unwrap();
    let (bytes, pad) = dfa.to_bytes_little_endian();
    Automata {
        dfas: vec![Dfa {
            bytes: bytes[pad..].to_vec(),
            rules: pats.iter().map(|(r, _)| *r).collect(),
        }],
    }
}

fn policy() -> Policy {
    let cred = |d| {
        Condition::Credential(CredentialCond {
            destinations: d,
            lifetime: Lifetime::Session,
        })
    };
    let art = Artifact {
        rules: vec![
            rule(
                "n",
                Surface::Network,
                Effect::Allow,
                Condition::Ports(vec![(443, 443)]),
            ),
            rule(
                "f",
                Surface::Filesystem,
                Effect::Allow,
                Condition::Access(Access::READ),
            ),
            rule(
                "c",
                Surface::Credential,
                Effect::Allow,
                cred(Some(Destinations {
                    domains: vec![DomainPattern {
                        prefix: vec!["api-*".into()],
                        any_depth: true,
                        anchor: "github.com".into(),
                    }],
                    v4: vec![(1, 2)],
                    v6: vec![],
                })),
            ),
            rule("m", Surface::Mcp, Effect::Allow, Condition::None),
            rule("t", Surface::Mcp, Effect::Deny, Condition::None),
        ],
        candidates: vec![vec![], vec![0], vec![1], vec![2], vec![4]],
        defaults: [Effect::Deny; 4],
        network: NetworkTables {
            domains: vec![DomainEntry {
                anchor: "github.com".into(),
                any_depth: 1,
                globs: automata(&[(0, r"\x00\x01\xbb(?:[^.]+\.)*a[^./]*")]),
                ..DomainEntry::default()
            }],
            v4: vec![(0, 0), (0x7f00_0000, 1), (0x8000_0000, 0)],
            v6: vec![(0, 1)],
        },
        filesystem: FsTables {
            roots: vec![FsRoot {
                name: "home".into(),
                prefix: vec![("src".into(), 2)],
                extension: vec![("".into(), ".rs".into(), 2)],
                globs: vec![("".into(), automata(&[(1, r"r(?:/?|.*/)[^/]*\.t[oa]ml")]))],
                ..FsRoot::default()
            }],
        },
        credentials: NameTables {
            exact: vec![("github_token".into(), 3)],
            prefix: vec![("git".into(), 3)],
            automata: automata(&[(2, r"s.*_token")]),
            globs: vec![("*_token".into(), 3)],
        },
        mcp: McpTables {
            servers: vec![McpServer {
                name: "github".into(),
                source: Some("ghcr.io/github/mcp".into()),
                rule: 3,
                tools: NameTables {
                    prefix: vec![("delete_".into(), 4)],
                    automata: automata(&[(4, r"(?s).*issue.*")]),
                    ..NameTables::default()
                },
                constrained: Vec::new(),
                pins: Vec::new(),
                resources: Default::default(),
                prompts: Default::default(),
            }],
        },
        ..Artifact::default()
    };
    Policy::from_bytes(&art.to_bytes()).expect("valid")
}

#[test]
fn decide_does_not_allocate_for_ascii_requests() {
    let p = policy();
    let roots = [("home", "/Users/u/../u")];
    let ctx = Context {
        roots: &roots,
        ..Context::default()
    };
    let reqs = [
        Request::Network {
            host: Some("A.b.API.GitHub.com."),
            ip: Some("127.1"),
            port: Some(443),
            http: None,
        },
        Request::Network {
            host: Some("[::ffff:127.0.0.1]"),
            ip: Some("::1"),
            port: None,
            http: None,
        },
        Request::Network {
            host: Some("bad host"),
            ip: None,
            port: None,
            http: None,
        },
        Request::Filesystem {
            path: "/Users/u/src/./a/../b/main.rs",
            access: Access::READ,
        },
        Request::Filesystem {
            path: "/Users/u/x/Cargo.toml",
            access: Access::WRITE,
        },
        Request::Credential {
            name: "GITHUB_TOKEN",
            host: Some("api-x.github.com"),
            ip: Some("0.0.0.1"),
        },
        Request::Credential {
            name: "OTHER_TOKEN",
            host: None,
            ip: None,
        },
        Request::Mcp {
            server: "GitHub",
            tool: Some("Create_Issue"),
            source: Some("ghcr.io/github/mcp"),
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        },
        Request::Mcp {
            server: "github",
            tool: None,
            source: None,
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        },
    ];
    let mut decisions = Vec::with_capacity(reqs.len());
    let before = ALLOCS.load(Ordering::SeqCst);
    for r in &reqs {
        decisions.push(p.decide(r, &ctx));
    }
    let after = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "decide allocated: {decisions:?}");
    assert_eq!(decisions[0].rule, Some(0));
    assert_eq!(decisions[3].rule, Some(1));
    assert_eq!(decisions[7].rule, Some(4));
}
