//! Differential property test: on random policies and random (often hostile)
//! requests, the compiled tables — before and after an artifact round trip —
//! decide exactly as the reference interpreter over the checked policy.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy_eval::{Context, Policy, Request};
use policy_lang::{check, compile, reference};
use policy_suite::fuzz::same;
// The generator vocabulary is shared with the `differential` fuzz target.
use policy_suite::fuzz::vocab::*;
use proptest::prelude::*;
use proptest::sample::select;

fn rule(targets: Vec<&'static str>, effect: &str, extra: &str) -> String {
    let quoted: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    format!("  {effect} {}{extra}\n", quoted.join(", "))
}

prop_compose! {
    fn net_rule()(effect in select(EFFECTS), targets in prop::collection::vec(select(DOMAINS), 1..3), ports in select(PORT_LISTS)) -> String {
        rule(targets, effect, ports)
    }
}

prop_compose! {
    fn fs_rule()(effect in select(EFFECTS), targets in prop::collection::vec(select(PATHS), 1..3), access in select(&["read", "write", "read write"][..])) -> String {
        rule(targets, &format!("{effect} {access}"), "")
    }
}

prop_compose! {
    fn cred_rule()(effect in select(EFFECTS), names in prop::collection::vec(select(NAMES), 1..3), to in prop::option::of(prop::collection::vec(select(DOMAINS), 1..3)), life in select(LIFETIMES)) -> String {
        let to = to.map(|t| format!(" to {}", t.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", "))).unwrap_or_default();
        rule(names, effect, &format!("{to}{life}"))
    }
}

prop_compose! {
    fn tool_rule()(effect in select(EFFECTS), tools in prop::collection::vec(select(TOOLS), 1..3)) -> String {
        format!("  {}", rule(tools, effect, ""))
    }
}

prop_compose! {
    fn policy_text()(
        net in prop::collection::vec(net_rule(), 0..6),
        fs in prop::collection::vec(fs_rule(), 0..6),
        cred in prop::collection::vec(cred_rule(), 0..5),
        gh_tools in prop::collection::vec(tool_rule(), 0..4),
        pin in any::<bool>(),
        defaults in prop::collection::vec(select(EFFECTS), 4),
    ) -> String {
        let pin = if pin { " source \"ghcr.io/github/mcp:1\"" } else { "" };
        format!(
            "policy random\nnetwork {{\n  default {}\n{}}}\nfilesystem {{\n  default {}\n{}}}\ncredentials {{\n  default {}\n{}}}\nmcp {{\n  default {}\n  server github{pin} {{\n{}  }}\n  server fs {{\n    allow *\n  }}\n}}\n",
            defaults[0], net.concat(), defaults[1], fs.concat(), defaults[2], cred.concat(), defaults[3], gh_tools.concat()
        )
    }
}

#[derive(Debug, Clone)]
enum Req {
    Net(Option<&'static str>, Option<&'static str>, Option<u32>),
    Fs(&'static str, u8, bool),
    Cred(&'static str, Option<&'static str>, Option<&'static str>),
    Mcp(&'static str, Option<&'static str>, Option<&'static str>),
}

fn request() -> impl Strategy<Value = Req> {
    let port = prop::option::of(select(&[22u32, 80, 443, 8080, 8500, 0, 70000][..]));
    prop_oneof![
        (
            prop::option::of(select(HOSTS)),
            prop::option::of(select(IPS)),
            port
        )
            .prop_map(|(h, i, p)| Req::Net(h, i, p)),
        (select(REQ_PATHS), 1u8..=3, any::<bool>())
            .prop_map(|(p, access, bind)| Req::Fs(p, access, bind)),
        (
            select(REQ_NAMES),
            prop::option::of(select(HOSTS)),
            prop::option::of(select(IPS))
        )
            .prop_map(|(n, h, i)| Req::Cred(n, h, i)),
        (
            select(&["github", "GitHub", "fs", "other"][..]),
            prop::option::of(select(REQ_TOOLS)),
            prop::option::of(select(&["ghcr.io/github/mcp:1", "ghcr.io/evil/mcp:1"][..]))
        )
            .prop_map(|(s, t, src)| Req::Mcp(s, t, src)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256), ..ProptestConfig::default() })]

    #[test]
    fn compiled_tables_decide_like_the_reference(source in policy_text(), reqs in prop::collection::vec(request(), 1..24)) {
        let checked = check::check_source(&source);
        let Some(policy) = checked.policy else {
            panic!("generated policy must check clean:\n{source}\n{:?}", checked.diagnostics);
        };
        let compiled = compile::compile(&policy, &source).expect("compiles");
        let bytes = compiled.artifact.to_bytes();
        let direct = Policy::from_artifact(compiled.artifact).expect("valid artifact");
        let loaded = Policy::from_bytes(&bytes).expect("round trip");
        for r in reqs {
            let full = [("home", "/home/u"), ("workspace", "/home/u/w")];
            let (req, roots): (Request<'_>, &[(&str, &str)]) = match r {
                Req::Net(host, ip, port) => (Request::Network { host, ip, port }, &full),
                Req::Fs(path, access, bind) => {
                    let access = policy_eval::artifact::Access(access);
                    (Request::Filesystem { path, access }, if bind { &full } else { &full[..1] })
                }
                Req::Cred(name, host, ip) => (Request::Credential { name, host, ip }, &full),
                Req::Mcp(server, tool, source) => (Request::Mcp { server, tool, source }, &full),
            };
            let ctx = Context { roots, ..Context::default() };
            let want = reference::decide(&policy, &req, &ctx);
            let got = direct.decide(&req, &ctx);
            prop_assert!(same(&want, &got), "compiled {got:?} != reference {want:?}\nrequest {req:?}\n{source}");
            let got = loaded.decide(&req, &ctx);
            prop_assert!(same(&want, &got), "loaded {got:?} != reference {want:?}\nrequest {req:?}\n{source}");
        }
    }
}
