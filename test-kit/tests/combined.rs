//! The holes of issue 11 through the typed Rust API, as a sandbox, a proxy
//! and a secrets broker would call it: a combined request never gets less
//! scrutiny than its parts, embedded IPv4 addresses restrict, and secrets are
//! not sent to local addresses by host-name rules. Each case is decided by
//! the compiled policy loaded from bytes and by the reference interpreter.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::{Access, Context, Effect, Reason, Request};
use policy_lang::{build, reference};

const SOURCE: &str = r#"policy holes
network {
  allow api.example.com
  ask api.example.com port 443
  allow **.example.org
  deny @metadata, @private, @loopback
}
filesystem {
  allow read write $workspace/**
  ask write $workspace/.git/**
}
credentials {
  ask SECRET
  allow SECRET to api.example.com
  allow GITHUB_TOKEN to github.com
}
"#;

/// (effect, deciding rule id) from both the loaded artifact and the
/// reference interpreter, which must agree.
fn decide(req: &Request<'_>) -> (Effect, Option<String>) {
    let b = build(SOURCE);
    let (Some(checked), Some(policy)) = (&b.checked, &b.policy) else {
        panic!("the policy builds: {:?}", b.diagnostics);
    };
    let roots = [("workspace", "/w")];
    let ctx = Context {
        roots: &roots,
        ..Context::default()
    };
    let got = policy.decide(req, &ctx);
    let want = reference::decide(checked, req, &ctx);
    assert_eq!(
        (got.effect, got.rule, got.lifetime),
        (want.effect, want.rule, want.lifetime),
        "compiled and reference differ on {req:?}"
    );
    assert!(
        !matches!(got.reason, Reason::Invalid(_)),
        "{req:?} is valid"
    );
    let id = got.rule.map(|r| policy.rule(r).expect("rule").id.clone());
    (got.effect, id)
}

fn fs(path: &str, access: Access) -> (Effect, Option<String>) {
    decide(&Request::Filesystem { path, access })
}

#[test]
fn read_write_gets_the_ask_of_its_write() {
    let hook = "/w/.git/hooks/pre-commit";
    let ask = (
        Effect::Ask,
        Some("filesystem.ask.$workspace/.git/**".to_string()),
    );
    assert_eq!(fs(hook, Access::WRITE), ask);
    assert_eq!(fs(hook, Access::READ_WRITE), ask);
    assert_eq!(fs(hook, Access::READ).0, Effect::Allow);
    assert_eq!(fs("/w/src/main.rs", Access::READ_WRITE).0, Effect::Allow);
}

#[test]
fn a_request_without_a_port_gets_port_limited_asks() {
    let net = |port| {
        decide(&Request::Network {
            host: Some("api.example.com"),
            ip: None,
            port,
            http: None,
        })
        .0
    };
    assert_eq!(net(Some(443)), Effect::Ask);
    assert_eq!(net(None), Effect::Ask);
    assert_eq!(net(Some(80)), Effect::Allow);
}

#[test]
fn a_send_needs_what_seeing_needs() {
    let cred = |host| {
        decide(&Request::Credential {
            name: "SECRET",
            host,
            ip: None,
        })
        .0
    };
    assert_eq!(cred(None), Effect::Ask);
    assert_eq!(cred(Some("api.example.com")), Effect::Ask);
    assert_eq!(cred(Some("evil.example")), Effect::Deny);
}

#[test]
fn embedded_ipv4_addresses_restrict() {
    for ip in [
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a9fe:a9fe",
        "::ffff:0:169.254.169.254",
        "2002:a9fe:a9fe::1",
        "2001:0:4136:e378:8000:63bf:5601:5601",
        "2002:7f00:1::",
        "64:ff9b::10.0.0.1",
    ] {
        let d = decide(&Request::Network {
            host: Some("www.example.org"),
            ip: Some(ip),
            port: Some(443),
            http: None,
        });
        assert_eq!(d.0, Effect::Deny, "{ip}");
        assert!(d.1.is_some(), "{ip}: denied by a rule, not the default");
    }
    let d = decide(&Request::Network {
        host: Some("www.example.org"),
        ip: Some("2606:4700::1111"),
        port: Some(443),
        http: None,
    });
    assert_eq!(d.0, Effect::Allow);
}

#[test]
fn a_secret_is_not_sent_to_a_local_address_by_a_host_rule() {
    let send = |ip| {
        decide(&Request::Credential {
            name: "GITHUB_TOKEN",
            host: Some("github.com"),
            ip: Some(ip),
        })
    };
    for ip in [
        "169.254.169.254",
        "127.0.0.1",
        "::1",
        "fe80::1",
        "64:ff9b::a9fe:a9fe",
    ] {
        assert_eq!(send(ip), (Effect::Deny, None), "{ip}");
    }
    assert_eq!(send("140.82.112.3").0, Effect::Allow);
}
