//! A small artifact built by hand (policy-ffi may not depend on the
//! compiler): network rules only.
//!
//! ```text
//! network {
//!   gh: allow github.com, api.github.com port 443
//!   evil: deny evil.com
//!   loopback: deny 127.0.0.0/8
//! }
//! ```

use policy_eval::artifact::{Condition, DomainEntry, Meta, Rule};
use policy_eval::{Artifact, Effect, Surface};

/// Index of the `gh` rule.
pub const GH: u32 = 0;
/// Index of the `evil` rule.
pub const EVIL: u32 = 1;
/// Index of the `loopback` rule.
pub const LOOPBACK: u32 = 2;

fn rule(id: &str, effect: Effect, cond: Condition, line: u32) -> Rule {
    Rule {
        id: id.into(),
        surface: Surface::Network,
        effect,
        line,
        column: 3,
        cond,
        ask_reason: String::new(),
    }
}

/// The artifact bytes.
pub fn artifact() -> Vec<u8> {
    let art = Artifact {
        meta: Meta {
            name: "ffi-test".into(),
            version: "1.2.3".into(),
            source_hash: [0x5a; 32],
            ..Meta::default()
        },
        rules: vec![
            rule("gh", Effect::Allow, Condition::Ports(vec![(443, 443)]), 2),
            rule("evil", Effect::Deny, Condition::None, 3),
            rule("loopback", Effect::Deny, Condition::None, 4),
        ],
        // List 0 is the empty list; 1: gh, 2: evil, 3: loopback.
        candidates: vec![vec![], vec![GH], vec![EVIL], vec![LOOPBACK]],
        defaults: [Effect::Deny; 4],
        ..Artifact::default()
    };
    let mut art = art;
    for (anchor, list) in [("github.com", 1), ("api.github.com", 1), ("evil.com", 2)] {
        art.network.domains.push(DomainEntry {
            anchor: anchor.into(),
            exact: list,
            ..DomainEntry::default()
        });
    }
    art.network.v4 = vec![(0, 0), (0x7f00_0000, 3), (0x8000_0000, 0)];
    art.network.v6 = vec![(0, 0)];
    art.to_bytes()
}

// The HTTP items serve tests/abi.rs; the bench shares this module without
// them.
/// Index of the `gh-http` rule of [`http_artifact`] (the block's deny).
#[allow(dead_code)]
pub const GH_HTTP: u32 = 3;
/// Index of the `read` rule of [`http_artifact`].
#[allow(dead_code)]
pub const READ: u32 = 4;

/// [`artifact`] plus one HTTP block, so a decision shows whether the
/// method and path reached the runtime:
///
/// ```text
///   http api.github.com { read: allow GET|HEAD /repos/** }
/// ```
///
/// The block's own rule `gh-http` denies every other method and path.
#[allow(dead_code)]
pub fn http_artifact() -> Vec<u8> {
    use policy_eval::artifact::{DomainPattern, FsRoot, HttpBlock, Method, Methods};
    let mut art = Artifact::from_bytes(&artifact()).expect("the base artifact loads");
    art.rules
        .push(rule("gh-http", Effect::Deny, Condition::None, 5));
    let get_head = Methods::default().with(Method::Get).with(Method::Head);
    art.rules
        .push(rule("read", Effect::Allow, Condition::Methods(get_head), 6));
    art.candidates.push(vec![READ]);
    let read_list = (art.candidates.len() - 1) as u32;
    art.http.blocks.push(HttpBlock {
        rule: GH_HTTP,
        hosts: vec![DomainPattern {
            prefix: vec![],
            any_depth: false,
            anchor: "api.github.com".into(),
        }],
        paths: FsRoot {
            name: String::new(),
            exact: vec![],
            prefix: vec![("repos".into(), read_list)],
            extension: vec![],
            globs: vec![],
        },
    });
    art.to_bytes()
}
