use crate::artifact::*;
use crate::decision::{Context, Decision, Invalid, Reason, Request};
use crate::{LoadError, Policy};

/// Builds artifacts by hand.
pub(super) struct B {
    pub art: Artifact,
}

impl B {
    pub fn new() -> B {
        B {
            art: Artifact {
                meta: Meta {
                    name: "test".into(),
                    version: "1.0".into(),
                    source_hash: [0xab; 32],
                    ..Meta::default()
                },
                candidates: vec![vec![]],
                defaults: [Effect::Deny; 4],
                ..Artifact::default()
            },
        }
    }

    pub fn rule(&mut self, id: &str, surface: Surface, effect: Effect, cond: Condition) -> u32 {
        self.art.rules.push(Rule {
            id: id.into(),
            surface,
            effect,
            line: self.art.rules.len() as u32 + 1,
            column: 1,
            cond,
            ask_reason: String::new(),
        });
        self.art.rules.len() as u32 - 1
    }

    /// A candidate list, sorted by (effect, index).
    pub fn list(&mut self, rules: &[u32]) -> u32 {
        let mut v = rules.to_vec();
        v.sort_by_key(|&i| (self.art.rules[i as usize].effect, i));
        self.art.candidates.push(v);
        self.art.candidates.len() as u32 - 1
    }

    pub fn domain(&mut self, anchor: &str) -> &mut DomainEntry {
        if let Some(i) = self
            .art
            .network
            .domains
            .iter()
            .position(|d| d.anchor == anchor)
        {
            return &mut self.art.network.domains[i];
        }
        self.art.network.domains.push(DomainEntry {
            anchor: anchor.into(),
            ..DomainEntry::default()
        });
        self.art.network.domains.last_mut().unwrap()
    }

    pub fn root(&mut self, name: &str) -> &mut FsRoot {
        if let Some(i) = self
            .art
            .filesystem
            .roots
            .iter()
            .position(|r| r.name == name)
        {
            return &mut self.art.filesystem.roots[i];
        }
        self.art.filesystem.roots.push(FsRoot {
            name: name.into(),
            ..FsRoot::default()
        });
        self.art.filesystem.roots.last_mut().unwrap()
    }

    /// Loads the artifact from its bytes, as production does.
    pub fn policy(self) -> Policy {
        Policy::from_bytes(&self.art.to_bytes()).unwrap()
    }
}

const NONE: Context<'static> = Context {
    roots: &[],
    user: None,
    session: None,
    agent: None,
};

fn net(p: &Policy, host: Option<&str>, ip: Option<&str>, port: Option<u32>) -> Decision {
    p.decide(
        &Request::Network {
            host,
            ip,
            port,
            http: None,
        },
        &NONE,
    )
}

fn rule(effect: Effect, rule: u32) -> Decision {
    Decision {
        effect,
        rule: Some(rule),
        reason: Reason::Rule,
        lifetime: None,
    }
}

fn default(effect: Effect) -> Decision {
    Decision::default_effect(effect)
}

// ---------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------

/// Rules: 0 allow `github.com`, 1 allow `*.npmjs.org`, 2 allow
/// `**.example.com`, 3 allow `api-*.corp.net`, 4 deny `evil.com`,
/// 5 deny 127.0.0.0/8 and ::1, 6 allow `pypi.org` port 443 only,
/// 7 deny `ssh.example.com` port 22, 8 ask `**.example.com`, 9 allow `**`
/// (anchor "") in a second policy.
pub(super) fn network_policy() -> B {
    let mut b = B::new();
    let n = Surface::Network;
    let r0 = b.rule("gh", n, Effect::Allow, Condition::None);
    let r1 = b.rule("npm", n, Effect::Allow, Condition::None);
    let r2 = b.rule("example", n, Effect::Allow, Condition::None);
    let r3 = b.rule("api", n, Effect::Allow, Condition::None);
    let r4 = b.rule("evil", n, Effect::Deny, Condition::None);
    let r5 = b.rule("loopback", n, Effect::Deny, Condition::None);
    let r6 = b.rule("pypi", n, Effect::Allow, Condition::Ports(vec![(443, 443)]));
    let r7 = b.rule("nossh", n, Effect::Deny, Condition::Ports(vec![(22, 22)]));
    let r8 = b.rule("askex", n, Effect::Ask, Condition::None);
    let l = b.list(&[r0]);
    b.domain("github.com").exact = l;
    let l = b.list(&[r1]);
    b.domain("npmjs.org").one_label = l;
    let l = b.list(&[r2, r8]);
    b.domain("example.com").any_depth = l;
    let l = b.list(&[r3]);
    let _ = l;
    b.domain("corp.net").globs = super::automata(&[(r3, r"[\x00-\xff]{3}api-[^./]*")]);
    let l = b.list(&[r4]);
    b.domain("evil.com").exact = l;
    let l = b.list(&[r6]);
    b.domain("pypi.org").exact = l;
    let l = b.list(&[r7]);
    b.domain("ssh.example.com").exact = l;
    let lo = b.list(&[r5]);
    b.art.network.v4 = vec![(0, 0), (0x7f00_0000, lo), (0x8000_0000, 0)];
    b.art.network.v6 = vec![(0, 0), (1, lo), (2, 0)];
    b
}

#[test]
fn network_exact_domain_matches_only_itself() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("github.com"), None, None),
        rule(Effect::Allow, 0)
    );
    assert_eq!(
        net(&p, Some("GitHub.COM."), None, None),
        rule(Effect::Allow, 0)
    );
    assert_eq!(
        net(&p, Some("api.github.com"), None, None),
        default(Effect::Deny)
    );
    assert_eq!(
        net(&p, Some("xgithub.com"), None, None),
        default(Effect::Deny)
    );
}

#[test]
fn network_star_is_exactly_one_label() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("registry.npmjs.org"), None, None),
        rule(Effect::Allow, 1)
    );
    assert_eq!(
        net(&p, Some("a.b.npmjs.org"), None, None),
        default(Effect::Deny)
    );
    assert_eq!(
        net(&p, Some("npmjs.org"), None, None),
        default(Effect::Deny)
    );
}

#[test]
fn network_double_star_includes_apex_and_any_depth() {
    let p = network_policy().policy();
    // ask (8) beats allow (2) on the same pattern
    assert_eq!(
        net(&p, Some("example.com"), None, None),
        rule(Effect::Ask, 8)
    );
    assert_eq!(
        net(&p, Some("a.b.c.example.com"), None, None),
        rule(Effect::Ask, 8)
    );
    assert_eq!(
        net(&p, Some("notexample.com"), None, None),
        default(Effect::Deny)
    );
}

#[test]
fn network_label_glob_matches_within_one_label() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("api-eu.corp.net"), None, None),
        rule(Effect::Allow, 3)
    );
    assert_eq!(
        net(&p, Some("api-.corp.net"), None, None),
        rule(Effect::Allow, 3)
    );
    assert_eq!(
        net(&p, Some("x.api-eu.corp.net"), None, None),
        default(Effect::Deny)
    );
    assert_eq!(
        net(&p, Some("web.corp.net"), None, None),
        default(Effect::Deny)
    );
}

#[test]
fn network_trailing_dot_does_not_bypass_a_deny() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("evil.com."), None, None),
        rule(Effect::Deny, 4)
    );
    assert_eq!(net(&p, Some("EVIL.com"), None, None), rule(Effect::Deny, 4));
    assert!(matches!(
        net(&p, Some("evil.com.."), None, None).reason,
        Reason::Invalid(Invalid::HostEmptyLabel)
    ));
}

#[test]
fn network_ip_spellings_hit_the_same_interval() {
    let p = network_policy().policy();
    for h in [
        "127.0.0.1",
        "127.1",
        "0x7f.1",
        "2130706433",
        "0177.0.0.1",
        "::ffff:127.0.0.1",
        "[::1]",
    ] {
        assert_eq!(net(&p, Some(h), None, None), rule(Effect::Deny, 5), "{h}");
        assert_eq!(net(&p, None, Some(h), None), rule(Effect::Deny, 5), "{h}");
    }
    assert_eq!(
        net(&p, None, Some("128.0.0.1"), None),
        default(Effect::Deny)
    );
}

#[test]
fn network_denied_ip_beats_allowed_host() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("github.com"), Some("127.0.0.1"), None),
        rule(Effect::Deny, 5)
    );
    assert_eq!(
        net(&p, Some("github.com"), Some("140.82.112.3"), None),
        rule(Effect::Allow, 0)
    );
}

#[test]
fn network_ip_literal_host_never_matches_domain_patterns() {
    let mut b = B::new();
    let r = b.rule("all", Surface::Network, Effect::Allow, Condition::None);
    let l = b.list(&[r]);
    b.domain("").any_depth = l;
    let p = b.policy();
    assert_eq!(
        net(&p, Some("anything.at.all"), None, None),
        rule(Effect::Allow, 0)
    );
    assert_eq!(net(&p, Some("10.0.0.1"), None, None), default(Effect::Deny));
    assert_eq!(net(&p, Some("[::1]"), None, None), default(Effect::Deny));
}

#[test]
fn network_port_restricted_allow_needs_the_port() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("pypi.org"), None, Some(443)),
        rule(Effect::Allow, 6)
    );
    assert_eq!(
        net(&p, Some("pypi.org"), None, Some(80)),
        default(Effect::Deny)
    );
    assert_eq!(net(&p, Some("pypi.org"), None, None), default(Effect::Deny));
}

#[test]
fn network_port_restricted_deny_applies_without_port() {
    let p = network_policy().policy();
    assert_eq!(
        net(&p, Some("ssh.example.com"), None, Some(22)),
        rule(Effect::Deny, 7)
    );
    assert_eq!(
        net(&p, Some("ssh.example.com"), None, None),
        rule(Effect::Deny, 7)
    );
    assert_eq!(
        net(&p, Some("ssh.example.com"), None, Some(443)),
        rule(Effect::Ask, 8)
    );
}

#[test]
fn network_invalid_requests_are_denied() {
    let p = network_policy().policy();
    let d = net(&p, None, None, None);
    assert_eq!(d, Decision::invalid(Invalid::NetworkTarget));
    assert_eq!(
        net(&p, Some("github.com"), None, Some(0)),
        Decision::invalid(Invalid::Port)
    );
    assert_eq!(
        net(&p, Some("github.com"), None, Some(70000)),
        Decision::invalid(Invalid::Port)
    );
    assert_eq!(
        net(&p, Some("github.com:443"), None, None),
        Decision::invalid(Invalid::HostPort)
    );
    assert_eq!(
        net(&p, Some("github.com"), Some("github.com"), None),
        Decision::invalid(Invalid::IpInvalid)
    );
}

#[test]
fn network_default_is_the_surface_default() {
    let mut b = network_policy();
    b.art.defaults[Surface::Network as usize] = Effect::Ask;
    let p = b.policy();
    assert_eq!(
        net(&p, Some("unknown.org"), None, None),
        default(Effect::Ask)
    );
}

#[test]
fn precedence_is_independent_of_rule_order() {
    // Allow is rule 0, deny rule 1, on two different anchors that both match.
    let mut b = B::new();
    let a = b.rule("allow", Surface::Network, Effect::Allow, Condition::None);
    let d = b.rule("deny", Surface::Network, Effect::Deny, Condition::None);
    let a2 = b.rule("allow2", Surface::Network, Effect::Allow, Condition::None);
    let l = b.list(&[a]);
    b.domain("example.com").any_depth = l;
    let l = b.list(&[d]);
    b.domain("x.example.com").exact = l;
    let l = b.list(&[a2]);
    b.domain("y.example.com").exact = l;
    let p = b.policy();
    assert_eq!(
        net(&p, Some("x.example.com"), None, None),
        rule(Effect::Deny, 1)
    );
    // Two allows: the lower index decides.
    assert_eq!(
        net(&p, Some("y.example.com"), None, None),
        rule(Effect::Allow, 0)
    );
}

// ---------------------------------------------------------------------------
// Filesystem
// ---------------------------------------------------------------------------

pub(super) fn fs_policy() -> B {
    let mut b = B::new();
    let f = Surface::Filesystem;
    let rw = Condition::Access(Access::READ_WRITE);
    let r0 = b.rule("ws", f, Effect::Allow, rw.clone());
    let r1 = b.rule("ssh", f, Effect::Deny, rw.clone());
    let r2 = b.rule("env", f, Effect::Deny, Condition::Access(Access::READ));
    let r3 = b.rule("etc", f, Effect::Deny, Condition::Access(Access::WRITE));
    let r4 = b.rule("rs", f, Effect::Allow, Condition::Access(Access::READ));
    let r5 = b.rule("passwd", f, Effect::Ask, Condition::Access(Access::READ));
    let r6 = b.rule("sub", f, Effect::Ask, rw.clone());
    let r7 = b.rule(
        "homeroot",
        f,
        Effect::Allow,
        Condition::Access(Access::READ),
    );
    let l0 = b.list(&[r0]);
    b.root("workspace").prefix.push(("".into(), l0));
    let l1 = b.list(&[r1]);
    b.root("home").prefix.push((".ssh".into(), l1));
    let l7 = b.list(&[r7]);
    b.root("home").exact.push(("".into(), l7));
    let l2 = b.list(&[r2]);
    b.root("").extension.push(("".into(), ".env".into(), l2));
    let l3 = b.list(&[r3]);
    b.root("").prefix.push(("etc".into(), l3));
    let l5 = b.list(&[r5]);
    b.root("").exact.push(("etc/passwd".into(), l5));
    b.root("workspace").globs.push((
        "src".into(),
        super::automata(&[(r4, r"r(?:src(?:/|/.*/)[^/]*\.rs)")]),
    ));
    b.root("workspace").globs.push((
        "".into(),
        super::automata(&[(r6, r"[rw](?:[^/]*/sub/.*|[^/]*/sub)")]),
    ));
    b
}

const ROOTS: &[(&str, &str)] = &[("home", "/home/u"), ("workspace", "/home/u/w/")];

fn fs(p: &Policy, path: &str, access: Access) -> Decision {
    let ctx = Context {
        roots: ROOTS,
        ..NONE
    };
    p.decide(&Request::Filesystem { path, access }, &ctx)
}

#[test]
fn fs_prefix_covers_the_root_and_below() {
    let p = fs_policy().policy();
    assert_eq!(fs(&p, "/home/u/w", Access::WRITE), rule(Effect::Allow, 0));
    assert_eq!(
        fs(&p, "/home/u/w/a/b", Access::WRITE),
        rule(Effect::Allow, 0)
    );
    assert_eq!(fs(&p, "/home/u/wx", Access::WRITE), default(Effect::Deny));
}

#[test]
fn fs_deny_wins_over_workspace_allow() {
    let p = fs_policy().policy();
    assert_eq!(
        fs(&p, "/home/u/w/.env", Access::READ),
        rule(Effect::Deny, 2)
    );
    assert_eq!(
        fs(&p, "/home/u/w/.env", Access::WRITE),
        rule(Effect::Allow, 0)
    );
    assert_eq!(
        fs(&p, "/home/u/w/conf/prod.env", Access::READ),
        rule(Effect::Deny, 2)
    );
}

#[test]
fn fs_dot_dot_cannot_escape_to_a_denied_dir() {
    let p = fs_policy().policy();
    assert_eq!(
        fs(&p, "/home/u/w/../.ssh/id_rsa", Access::READ),
        rule(Effect::Deny, 1)
    );
    assert_eq!(fs(&p, "/home/u/.ssh", Access::READ), rule(Effect::Deny, 1));
    assert_eq!(fs(&p, "/home/u/.sshx", Access::READ), default(Effect::Deny));
}

#[test]
fn fs_exact_and_root_itself() {
    let p = fs_policy().policy();
    assert_eq!(fs(&p, "/home/u/", Access::READ), rule(Effect::Allow, 7));
    assert_eq!(fs(&p, "/etc/passwd", Access::READ), rule(Effect::Ask, 5));
    assert_eq!(fs(&p, "/etc/passwd", Access::WRITE), rule(Effect::Deny, 3));
}

#[test]
fn fs_globs_by_literal_directory() {
    let p = fs_policy().policy();
    assert_eq!(
        fs(&p, "/home/u/w/src/main.rs", Access::READ),
        rule(Effect::Allow, 0)
    );
    let mut b = fs_policy();
    b.art.filesystem.roots.retain(|r| r.name == "workspace");
    b.art.filesystem.roots[0].prefix.clear();
    let p = b.policy();
    assert_eq!(
        fs(&p, "/home/u/w/src/main.rs", Access::READ),
        rule(Effect::Allow, 4)
    );
    assert_eq!(
        fs(&p, "/home/u/w/src/a/b/main.rs", Access::READ),
        rule(Effect::Allow, 4)
    );
    assert_eq!(
        fs(&p, "/home/u/w/src/main.rs", Access::WRITE),
        default(Effect::Deny)
    );
    assert_eq!(
        fs(&p, "/home/u/w/lib/main.rs", Access::READ),
        default(Effect::Deny)
    );
    // `*/sub/**` also matches `x/sub` itself, and never the root.
    assert_eq!(
        fs(&p, "/home/u/w/x/sub", Access::READ),
        rule(Effect::Ask, 6)
    );
    assert_eq!(
        fs(&p, "/home/u/w/x/sub/y/z", Access::READ),
        rule(Effect::Ask, 6)
    );
    assert_eq!(
        fs(&p, "/home/u/w/x/y/sub", Access::READ),
        default(Effect::Deny)
    );
}

#[test]
fn fs_extensions_match_many_dot_segments_and_multi_dot_suffixes() {
    // `**/*.tar.gz` ask, `**/*.gz` allow, `**/*..` deny, `**/*.env` deny,
    // `srv/**/*.gz` deny: keys of four lengths in two directories.
    let mut b = B::new();
    let f = Surface::Filesystem;
    let read = Condition::Access(Access::READ);
    let exts = [
        ("", ".tar.gz", Effect::Ask),
        ("", ".gz", Effect::Allow),
        ("", "..", Effect::Deny),
        ("", ".env", Effect::Deny),
        ("srv", ".gz", Effect::Deny),
    ];
    for (i, (dir, ext, effect)) in exts.into_iter().enumerate() {
        let r = b.rule(&format!("e{i}"), f, effect, read.clone());
        let l = b.list(&[r]);
        b.root("").extension.push((dir.into(), ext.into(), l));
    }
    let p = b.policy();
    let dots = |n: usize| ".".repeat(n);
    let cases = [
        ("/a.tar.gz".to_string(), rule(Effect::Ask, 0)),
        ("/x/.tar.gz".to_string(), rule(Effect::Ask, 0)),
        ("/tar.gz".to_string(), rule(Effect::Allow, 1)),
        ("/a.gz".to_string(), rule(Effect::Allow, 1)),
        ("/a.tar.gz.bak".to_string(), default(Effect::Deny)),
        ("/srv/a/b.tar.gz".to_string(), rule(Effect::Deny, 4)),
        ("/x..".to_string(), rule(Effect::Deny, 2)),
        ("/x.".to_string(), default(Effect::Deny)),
        // Segments of many dots: 254 dots end in `..`; dots then a suffix
        // still find the suffix; a single trailing dot matches nothing.
        (format!("/{}", dots(254)), rule(Effect::Deny, 2)),
        (format!("/{}tar.gz", dots(200)), rule(Effect::Ask, 0)),
        (format!("/{}env", dots(250)), rule(Effect::Deny, 3)),
        (format!("/srv/{}gz", dots(252)), rule(Effect::Deny, 4)),
        (format!("/{}", "a.".repeat(127)), default(Effect::Deny)),
        (format!("/{}a", dots(254)), default(Effect::Deny)),
    ];
    for (path, want) in cases {
        assert_eq!(fs(&p, &path, Access::READ), want, "{path}");
    }
}

#[test]
fn fs_read_write_request_needs_both_for_allow_either_for_deny() {
    let p = fs_policy().policy();
    assert_eq!(
        fs(&p, "/home/u/w/.env", Access::READ_WRITE),
        rule(Effect::Deny, 2)
    );
    assert_eq!(
        fs(&p, "/etc/passwd", Access::READ_WRITE),
        rule(Effect::Deny, 3)
    );
    assert_eq!(
        fs(&p, "/home/u/", Access::READ_WRITE),
        default(Effect::Deny)
    );
    assert_eq!(fs(&p, "/x", Access(0)), Decision::invalid(Invalid::Access));
}

#[test]
fn fs_unbound_root_is_invalid_not_skipped() {
    let p = fs_policy().policy();
    let ctx = Context {
        roots: &[("home", "/home/u")],
        ..NONE
    };
    let req = Request::Filesystem {
        path: "/home/u/.ssh/id_rsa",
        access: Access::READ,
    };
    assert_eq!(
        p.decide(&req, &ctx),
        Decision::invalid(Invalid::UnboundRoot)
    );
}

#[test]
fn fs_bad_root_bindings_are_invalid() {
    let p = fs_policy().policy();
    let req = Request::Filesystem {
        path: "/x",
        access: Access::READ,
    };
    let bad: &[&[(&str, &str)]] = &[
        &[("home", "/a"), ("home", "/b"), ("workspace", "/w")],
        &[("", "/a"), ("home", "/b"), ("workspace", "/w")],
    ];
    for roots in bad {
        let ctx = Context { roots, ..NONE };
        assert_eq!(
            p.decide(&req, &ctx),
            Decision::invalid(Invalid::RootDuplicate)
        );
    }
    let ctx = Context {
        roots: &[("home", "~"), ("workspace", "/w")],
        ..NONE
    };
    assert_eq!(p.decide(&req, &ctx), Decision::invalid(Invalid::RootPath));
}

#[test]
fn fs_invalid_paths_are_denied() {
    let p = fs_policy().policy();
    assert_eq!(
        fs(&p, "w/src", Access::READ),
        Decision::invalid(Invalid::PathRelative)
    );
    assert_eq!(
        fs(&p, "~/.ssh", Access::READ),
        Decision::invalid(Invalid::PathHome)
    );
    assert_eq!(
        fs(&p, "/a\0", Access::READ),
        Decision::invalid(Invalid::PathNul)
    );
}

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

pub(super) fn cred_policy() -> B {
    let mut b = B::new();
    let c = Surface::Credential;
    let dest = |domains: Vec<DomainPattern>, v4: Vec<(u32, u32)>| Destinations {
        domains,
        v4,
        v6: vec![],
    };
    let pat = |prefix: &[&str], any_depth, anchor: &str| DomainPattern {
        prefix: prefix.iter().map(|s| s.to_string()).collect(),
        any_depth,
        anchor: anchor.into(),
    };
    let r0 = b.rule(
        "gh",
        c,
        Effect::Allow,
        Condition::Credential(CredentialCond {
            destinations: Some(dest(
                vec![
                    pat(&[], false, "github.com"),
                    pat(&[], true, "githubusercontent.com"),
                ],
                vec![],
            )),
            lifetime: Lifetime::Seconds(3600),
        }),
    );
    let r1 = b.rule(
        "aws",
        c,
        Effect::Deny,
        Condition::Credential(CredentialCond {
            destinations: None,
            lifetime: Lifetime::Session,
        }),
    );
    let r2 = b.rule(
        "keys",
        c,
        Effect::Ask,
        Condition::Credential(CredentialCond {
            destinations: Some(dest(
                vec![pat(&["api-*"], false, "corp.net")],
                vec![(0x0a00_0000, 0x0aff_ffff)],
            )),
            lifetime: Lifetime::Session,
        }),
    );
    let r3 = b.rule(
        "noevil",
        c,
        Effect::Deny,
        Condition::Credential(CredentialCond {
            destinations: Some(dest(vec![pat(&[], false, "evil.com")], vec![])),
            lifetime: Lifetime::Session,
        }),
    );
    let r4 = b.rule(
        "visible",
        c,
        Effect::Allow,
        Condition::Credential(CredentialCond {
            destinations: None,
            lifetime: Lifetime::Session,
        }),
    );
    let l = b.list(&[r0, r3]);
    b.art.credentials.exact.push(("github_token".into(), l));
    let l = b.list(&[r1]);
    b.art.credentials.prefix.push(("aws_".into(), l));
    let l = b.list(&[r2]);
    b.art.credentials.globs.push(("*_key".into(), l));
    b.art.credentials.automata = super::automata(&[(r2, r"s.*_key")]);
    let l = b.list(&[r4]);
    b.art.credentials.exact.push(("home".into(), l));
    b
}

fn cred(p: &Policy, name: &str, host: Option<&str>, ip: Option<&str>) -> Decision {
    p.decide(&Request::Credential { name, host, ip }, &NONE)
}

fn grant(effect: Effect, r: u32, lifetime: Lifetime) -> Decision {
    Decision {
        lifetime: Some(lifetime),
        ..rule(effect, r)
    }
}

#[test]
fn credential_visibility_allow_reports_lifetime() {
    let p = cred_policy().policy();
    assert_eq!(
        cred(&p, "GITHUB_TOKEN", None, None),
        grant(Effect::Allow, 0, Lifetime::Seconds(3600))
    );
    assert_eq!(
        cred(&p, "HOME", None, None),
        grant(Effect::Allow, 4, Lifetime::Session)
    );
}

#[test]
fn credential_send_needs_a_listed_destination() {
    let p = cred_policy().policy();
    let ok = grant(Effect::Allow, 0, Lifetime::Seconds(3600));
    assert_eq!(cred(&p, "github_token", Some("github.com"), None), ok);
    assert_eq!(
        cred(&p, "github_token", Some("raw.githubusercontent.com"), None),
        ok
    );
    assert_eq!(
        cred(&p, "github_token", Some("githubusercontent.com."), None),
        ok
    );
    assert_eq!(
        cred(&p, "github_token", Some("api.github.com"), None),
        default(Effect::Deny)
    );
    assert_eq!(
        cred(&p, "github_token", Some("evil.com"), None),
        rule(Effect::Deny, 3)
    );
}

#[test]
fn credential_allow_without_to_grants_no_destination() {
    let p = cred_policy().policy();
    assert_eq!(
        cred(&p, "HOME", Some("github.com"), None),
        default(Effect::Deny)
    );
}

#[test]
fn credential_deny_without_to_forbids_everything() {
    let p = cred_policy().policy();
    assert_eq!(cred(&p, "AWS_SECRET", None, None), rule(Effect::Deny, 1));
    assert_eq!(
        cred(&p, "aws_secret", Some("aws.amazon.com"), None),
        rule(Effect::Deny, 1)
    );
}

#[test]
fn credential_deny_with_to_does_not_hide_the_secret() {
    let mut b = cred_policy();
    b.art.rules[0].cond = Condition::Credential(CredentialCond {
        destinations: None,
        lifetime: Lifetime::Session,
    });
    b.art.rules[0].effect = Effect::Ask;
    b.art.candidates[1] = vec![3, 0];
    let p = b.policy();
    assert_eq!(
        cred(&p, "github_token", None, None),
        grant(Effect::Ask, 0, Lifetime::Session)
    );
}

#[test]
fn credential_destination_by_ip_and_label_glob() {
    let p = cred_policy().policy();
    let ask = grant(Effect::Ask, 2, Lifetime::Session);
    assert_eq!(cred(&p, "API_KEY", None, Some("10.1.2.3")), ask);
    assert_eq!(cred(&p, "API_KEY", Some("10.1.2.3"), None), ask);
    assert_eq!(cred(&p, "API_KEY", Some("0xa.1"), None), ask);
    assert_eq!(cred(&p, "API_KEY", Some("api-eu.corp.net"), None), ask);
    assert_eq!(
        cred(&p, "API_KEY", Some("x.api-eu.corp.net"), None),
        default(Effect::Deny)
    );
    assert_eq!(
        cred(&p, "API_KEY", None, Some("11.0.0.1")),
        default(Effect::Deny)
    );
    assert_eq!(cred(&p, "API_KEY", None, None), ask);
}

#[test]
fn credential_invalid_names_and_hosts() {
    let p = cred_policy().policy();
    assert_eq!(
        cred(&p, "", None, None),
        Decision::invalid(Invalid::NameEmpty)
    );
    assert_eq!(
        cred(&p, "A B", None, None),
        Decision::invalid(Invalid::NameCharacter)
    );
    assert_eq!(
        cred(&p, "github_token", Some("u@github.com"), None),
        Decision::invalid(Invalid::HostUserinfo)
    );
}

// ---------------------------------------------------------------------------
// MCP
// ---------------------------------------------------------------------------

pub(super) fn mcp_policy() -> B {
    let mut b = B::new();
    let m = Surface::Mcp;
    let approve = b.rule("github", m, Effect::Allow, Condition::None);
    let del = b.rule("nodelete", m, Effect::Deny, Condition::None);
    let any = b.rule("tools", m, Effect::Allow, Condition::None);
    let ask = b.rule("issues", m, Effect::Ask, Condition::None);
    let fsapprove = b.rule("fs", m, Effect::Allow, Condition::None);
    let l_del = b.list(&[del]);
    let l_ask = b.list(&[ask]);
    b.art.mcp.servers.push(McpServer {
        name: "github".into(),
        source: Some("ghcr.io/github/mcp".into()),
        rule: approve,
        tools: NameTables {
            exact: vec![("create_issue".into(), l_ask)],
            prefix: vec![("delete_".into(), l_del)],
            automata: super::automata(&[(any, r"(?s).*")]),
            globs: vec![],
        },
        constrained: Vec::new(),
        pins: Vec::new(),
        resources: Default::default(),
        prompts: Default::default(),
    });
    b.art.mcp.servers.push(McpServer {
        name: "fs".into(),
        source: None,
        rule: fsapprove,
        tools: NameTables::default(),
        constrained: Vec::new(),
        pins: Vec::new(),
        resources: Default::default(),
        prompts: Default::default(),
    });
    b
}

fn mcp(p: &Policy, server: &str, tool: Option<&str>, source: Option<&str>) -> Decision {
    p.decide(
        &Request::Mcp {
            server,
            tool,
            source,
            arguments: None,
            definition: None,
            resource: None,
            prompt: None,
        },
        &NONE,
    )
}

const SRC: Option<&str> = Some("ghcr.io/github/mcp");

#[test]
fn mcp_server_without_tool_is_its_approval() {
    let p = mcp_policy().policy();
    assert_eq!(mcp(&p, "GitHub", None, SRC), rule(Effect::Allow, 0));
    assert_eq!(
        mcp(&p, "fs", None, Some("anything")),
        rule(Effect::Allow, 4)
    );
    assert_eq!(mcp(&p, "fs", None, None), rule(Effect::Allow, 4));
}

#[test]
fn mcp_pinned_source_must_match_exactly() {
    let p = mcp_policy().policy();
    assert_eq!(mcp(&p, "github", None, None), default(Effect::Deny));
    assert_eq!(
        mcp(&p, "github", None, Some("ghcr.io/evil/mcp")),
        default(Effect::Deny)
    );
    assert_eq!(
        mcp(&p, "github", None, Some("GHCR.io/github/mcp")),
        default(Effect::Deny)
    );
    assert_eq!(mcp(&p, "github", Some("list"), None), default(Effect::Deny));
}

#[test]
fn mcp_tools_by_precedence_case_insensitive() {
    let p = mcp_policy().policy();
    assert_eq!(
        mcp(&p, "github", Some("DELETE_repo"), SRC),
        rule(Effect::Deny, 1)
    );
    assert_eq!(
        mcp(&p, "github", Some("create_issue"), SRC),
        rule(Effect::Ask, 3)
    );
    assert_eq!(
        mcp(&p, "github", Some("list_issues"), SRC),
        rule(Effect::Allow, 2)
    );
    assert_eq!(mcp(&p, "fs", Some("read"), None), default(Effect::Deny));
}

#[test]
fn mcp_name_globs_match_across_slashes() {
    let p = mcp_policy().policy();
    assert_eq!(
        mcp(&p, "github", Some("delete_a/b"), SRC),
        rule(Effect::Deny, 1)
    );
    assert_eq!(mcp(&p, "github", Some("x/y"), SRC), rule(Effect::Allow, 2));
}

#[test]
fn mcp_unknown_server_is_default() {
    let mut b = mcp_policy();
    b.art.defaults[Surface::Mcp as usize] = Effect::Ask;
    let p = b.policy();
    assert_eq!(mcp(&p, "other", Some("x"), None), default(Effect::Ask));
}

#[test]
fn mcp_invalid_names_and_sources() {
    let p = mcp_policy().policy();
    assert_eq!(
        mcp(&p, "git hub", None, None),
        Decision::invalid(Invalid::NameCharacter)
    );
    assert_eq!(
        mcp(&p, "github", Some(""), SRC),
        Decision::invalid(Invalid::NameEmpty)
    );
    assert_eq!(
        mcp(&p, "github", None, Some("")),
        Decision::invalid(Invalid::Source)
    );
}

// ---------------------------------------------------------------------------
// Load-time validation
// ---------------------------------------------------------------------------

fn load_err(b: B) -> String {
    match Policy::from_bytes(&b.art.to_bytes()) {
        Ok(_) => panic!("expected a load error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn load_refuses_a_non_empty_list_zero() {
    let mut b = network_policy();
    b.art.candidates[0] = vec![0];
    assert!(load_err(b).contains("list 0"));
    let mut b = network_policy();
    b.art.candidates.clear();
    assert!(load_err(b).contains("list 0"));
}

#[test]
fn load_refuses_unsorted_lists() {
    let mut b = network_policy();
    b.art.candidates.push(vec![0, 4]); // allow before deny
    assert!(load_err(b).contains("sorted"));
    let mut b = network_policy();
    b.art.candidates.push(vec![4, 4]);
    assert!(load_err(b).contains("sorted"));
}

#[test]
fn load_refuses_out_of_range_references() {
    let mut b = network_policy();
    b.art.candidates.push(vec![99]);
    assert!(load_err(b).contains("out of range"));
    let mut b = network_policy();
    b.domain("x.org").exact = 999;
    assert!(load_err(b).contains("out of range"));
}

#[test]
fn load_refuses_rules_of_the_wrong_surface() {
    let mut b = network_policy();
    let r = b.rule(
        "f",
        Surface::Filesystem,
        Effect::Allow,
        Condition::Access(Access::READ),
    );
    let l = b.list(&[r]);
    b.domain("x.org").exact = l;
    assert!(load_err(b).contains("Filesystem"));
    let mut b = network_policy();
    b.art.rules[0].cond = Condition::Access(Access::READ);
    assert!(load_err(b).contains("does not fit"));
}

#[test]
fn load_refuses_bad_intervals() {
    let mut b = network_policy();
    b.art.network.v4[0].0 = 5;
    assert!(load_err(b).contains("start at 0"));
    let mut b = network_policy();
    b.art.network.v4.swap(1, 2);
    assert!(load_err(b).contains("ascending"));
}

#[test]
fn load_refuses_duplicates_and_unnormalized_keys() {
    let mut b = network_policy();
    b.art.network.domains.push(DomainEntry {
        anchor: "github.com".into(),
        ..DomainEntry::default()
    });
    assert!(load_err(b).contains("duplicate anchor"));
    let mut b = network_policy();
    b.art.network.domains[0].anchor = "GitHub.com".into();
    assert!(load_err(b).contains("normalized"));
    let mut b = network_policy();
    b.art.rules[1].id = "gh".into();
    assert!(load_err(b).contains("duplicate rule id"));
    let mut b = cred_policy();
    b.art.credentials.exact[0].0 = "GITHUB_TOKEN".into();
    assert!(load_err(b).contains("normalized"));
    let mut b = fs_policy();
    b.root("home").prefix.push(("a/../b".into(), 0));
    assert!(load_err(b).contains("normalized relative path"));
    let mut b = fs_policy();
    b.root("").exact.push(("etc/x".into(), 0));
    b.root("").exact.push(("etc/x".into(), 0));
    assert!(load_err(b).contains("duplicate exact path `etc/x`"));
}

#[test]
fn load_refuses_bad_automata_and_ports() {
    // Corrupted DFA bytes: `from_bytes` validates them (the label, the
    // endianness check, the lengths); arbitrary damage is in the proptest
    // `damaged_automata_never_panic`.
    for at in [0usize, 5, 20] {
        let mut b = fs_policy();
        b.root("workspace").globs[0].1.dfas[0].bytes[at] ^= 0xff;
        let e = load_err(b);
        assert!(e.contains("filesystem") && e.contains("deserialize"), "{e}");
    }
    let mut b = fs_policy();
    b.root("workspace").globs[0].1.dfas[0].bytes.truncate(50);
    assert!(load_err(b).contains("deserialize"));
    let mut b = fs_policy();
    b.root("workspace").globs[0].1.dfas[0].rules.push(0);
    assert!(load_err(b).contains("patterns but 2 rules"));
    let mut b = fs_policy();
    b.root("workspace").globs[0].1.dfas[0].rules[0] = 99;
    assert!(load_err(b).contains("out of range"));
    let mut b = fs_policy();
    b.art.rules[4].surface = Surface::Network;
    b.art.rules[4].cond = Condition::None;
    assert!(load_err(b).contains("Network rule"));
    let mut b = fs_policy();
    let g = b.root("workspace").globs[0].clone();
    b.root("workspace").globs.push(g);
    assert!(load_err(b).contains("duplicate glob dir"));
    let mut b = network_policy();
    b.art.rules[6].cond = Condition::Ports(vec![(443, 80)]);
    assert!(load_err(b).contains("port"));
    let mut b = network_policy();
    b.art.rules[6].cond = Condition::Ports(vec![]);
    assert!(load_err(b).contains("port"));
}

#[test]
fn load_refuses_a_bad_mcp_approval_rule() {
    let mut b = mcp_policy();
    b.art.mcp.servers[0].rule = 1; // a deny
    assert!(load_err(b).contains("approval rule"));
}

#[test]
fn policy_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Policy>();
}

#[test]
fn load_error_names_the_table() {
    let mut b = network_policy();
    b.art.candidates[0] = vec![1];
    match Policy::from_bytes(&b.art.to_bytes()) {
        Err(LoadError::InvalidTable { table, .. }) => assert_eq!(table, "candidates"),
        other => panic!("{other:?}"),
    }
}

proptest::proptest! {
    /// Any damage to a DFA's bytes gives a load error or a policy that
    /// decides without panicking (the CRC catches real corruption; this is
    /// about a crafted artifact).
    #[test]
    fn damaged_automata_never_panic(
        edits in proptest::collection::vec((0usize..100_000, proptest::prelude::any::<u8>()), 1..8),
        cut in 0usize..100_000,
    ) {
        let mut b = fs_policy();
        let a = &mut b.root("workspace").globs[0].1.dfas[0];
        for (at, v) in edits {
            let n = a.bytes.len();
            a.bytes[at % n] = v;
        }
        if cut % 5 == 0 {
            let n = a.bytes.len();
            a.bytes.truncate(cut % n);
        }
        if let Ok(p) = Policy::from_bytes(&b.art.to_bytes()) {
            for path in ["/home/u/w/src/a.rs", "/home/u/w/x/sub", "/home/u/w/src/a/b"] {
                let _ = fs(&p, path, Access::READ_WRITE);
            }
        }
    }
}
