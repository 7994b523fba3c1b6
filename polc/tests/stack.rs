//! `polc stack` on the bundled example (`examples/stack/`, `spec/layers.md`):
//! the local rule that tries to widen is reported with its witness, the
//! others are not; the stack decides as the layers' strictest, naming the
//! layer; audit layers report what they would decide.

// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{polc, root};
use serde_json::{json, Value};

fn example(name: &str) -> String {
    root()
        .join("examples/stack")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_local_rule_that_tries_to_widen_is_reported_with_its_witness() {
    let (org, team, local) = (
        example("org.policy"),
        example("team.policy"),
        example("local.policy"),
    );
    let (code, out, err) = polc(
        &["stack", "check", &org, &team, &local, "--format", "json"],
        "",
    );
    assert_eq!(code, 0, "warnings by default\n{out}\n{err}");
    let diags: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let inactive: Vec<(&str, &str, &str)> = diags
        .iter()
        .filter(|d| d["code"] == "W0113")
        .map(|d| {
            (
                d["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                d["message"].as_str().unwrap(),
                d["help"].as_str().unwrap(),
            )
        })
        .collect();
    // Only `pastebin`, once against each layer above it.
    assert_eq!(inactive.len(), 2, "{inactive:#?}");
    for (file, message, help) in &inactive {
        assert_eq!(*file, "local.policy");
        assert!(
            message.starts_with(
                "rule `pastebin` is inactive on host matching `pastebin.com`, port 443"
            ),
            "{message}"
        );
        assert!(
            help.contains(r#"{"host":"pastebin.com","port":443,"surface":"network"}"#),
            "{help}"
        );
    }
    assert!(inactive[0]
        .1
        .contains("layer `org`, which decides deny (its default)"));
    assert!(inactive[1]
        .1
        .contains("layer `team`, which decides deny (its default)"));
    assert!(!diags.iter().any(|d| d["code"] == "W0114"), "{diags:#?}");

    let (code, _, err) = polc(
        &["stack", "check", &org, &team, &local, "--deny-inactive"],
        "",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("2 inactive or unproven"), "{err}");

    // The team layer on its own under the organisation: nothing widens.
    let (code, out, err) = polc(&["stack", "check", &org, &team, "--deny-inactive"], "");
    assert_eq!(code, 0, "{out}\n{err}");
}

/// Runs `polc stack eval` on the example with `requests`; the decisions.
fn eval(extra: &[&str], requests: &[Value]) -> Vec<Value> {
    let (org, team, local) = (
        example("org.policy"),
        example("team.policy"),
        example("local.policy"),
    );
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let mut args = vec!["stack", "eval", &org, &team, &local];
    args.extend_from_slice(extra);
    let (code, out, err) = polc(&args, &input);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_stack_decides_as_the_strictest_layer_and_names_it() {
    let net = |host: &str| json!({"surface": "network", "host": host, "port": 443});
    let got = eval(
        &[],
        &[
            net("pastebin.com"),
            net("api.payments.corp.example"),
            net("prod.payments.corp.example"),
            net("gist.github.com"),
            net("api.github.com"),
            json!({"surface": "credential", "name": "GITHUB_TOKEN", "host": "api.github.com"}),
            json!("not a request"),
        ],
    );
    let brief: Vec<Value> = got
        .iter()
        .map(|d| json!([d["decision"], d["layer"], d["rule"], d.get("lifetime")]))
        .collect();
    assert_eq!(
        brief,
        vec![
            json!(["deny", "org", null, null]),
            json!(["allow", "org", "internal", null]),
            json!(["ask", "team", "payments-prod", null]),
            // The team does not allow gists (its default), before local's deny.
            json!(["deny", "team", null, null]),
            json!(["allow", "org", "code", null]),
            // The team's 30 minutes beat the organisation's hour.
            json!(["allow", "team", "github-token", 1800]),
            json!(["deny", "org", null, null]),
        ]
    );
    // An ask carries the deciding layer's approval.
    assert_eq!(got[2]["approval"]["reason"], "production payments API");
}

#[test]
fn an_audit_layer_reports_what_it_would_decide_and_changes_nothing() {
    let fs = |path: &str| {
        json!({"surface": "filesystem", "path": path, "access": "write",
               "context": {"roots": {"home": "/home/u", "workspace": "/w"}}})
    };
    let requests = [
        fs("/w/.env"),
        json!({"surface": "network", "host": "api.github.com", "port": 443}),
    ];
    let enforced = eval(&[], &requests);
    assert_eq!(enforced[0]["decision"], "deny", "{:?}", enforced[0]);
    assert_eq!(enforced[0]["layer"], "local");
    let got = eval(&["--audit", "local"], &requests);
    assert_eq!(got[0]["decision"], "allow", "{:?}", got[0]);
    assert_eq!(got[0]["layer"], "org");
    assert_eq!(got[0]["rule"], "workspace");
    assert_eq!(
        got[0]["would"],
        json!({"decision": "deny", "layer": "local", "reason": "rule", "rule": "secrets"})
    );
    assert_eq!(got[1]["decision"], "allow");
    assert_eq!(got[1].get("would"), None, "{:?}", got[1]);

    let (code, _, err) = polc(
        &["stack", "eval", &example("org.policy"), "--audit", "org"],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("not an audit layer"), "{err}");
}

#[test]
fn a_part_the_analysis_cannot_decide_is_reported_unproven_and_fails_when_denied() {
    let dir = std::env::temp_dir().join(format!("polc-stack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (top, below) = (dir.join("top.policy"), dir.join("below.policy"));
    std::fs::write(
        &top,
        "policy top\nnetwork {\n  allow api.github.com port 443\n}\n",
    )
    .unwrap();
    // HTTP rules are analysed as connections only (spec/analysis.md).
    std::fs::write(
        &below,
        "policy below\nnetwork {\n  allow api.github.com port 443\n  http api.github.com {\n    allow GET \"/repos/**\"\n  }\n}\n",
    )
    .unwrap();
    let (top, below) = (top.to_str().unwrap(), below.to_str().unwrap());
    let (code, out, err) = polc(&["stack", "check", top, below], "");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("warning[W0114]: could not prove that this layer stays within layer `top` on the network surface: requests with a method and path"), "{out}");
    assert!(!out.contains("W0113"), "{out}");
    let (code, _, _) = polc(&["stack", "check", top, below, "--deny-inactive"], "");
    assert_eq!(code, 1);
    // Peers at one level are not compared.
    let peers = format!("{top},{below}");
    let (code, out, err) = polc(&["stack", "check", &peers, "--deny-inactive"], "");
    assert_eq!(code, 0, "{out}\n{err}");
}

/// The stack files of `dir` (under the repository root), sorted.
fn stack_files(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "stack"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn stack_vectors_pass_and_the_reference_composition_agrees() {
    use policy_eval::cases::stacks::StackFile;
    use policy_eval::cases::TestsFile;
    let mut files = stack_files("tests/stacks");
    assert!(files.len() >= 4, "{files:?}");
    files.extend(stack_files("examples/stack"));
    let args: Vec<&str> = std::iter::once("stack")
        .chain(std::iter::once("test"))
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, out, err) = polc(&args, "");
    assert_eq!(code, 0, "{out}\n{err}");
    // Every case ran: the count is the number of non-blank lines.
    let mut cases = 0;
    for f in &files {
        let text = std::fs::read_to_string(f.replace(".stack", ".tests.jsonl")).unwrap();
        let tests = TestsFile::parse(f.as_str(), &text);
        cases += tests.cases.len();
        // The reference composition decides every vector alike.
        let stack_text = std::fs::read_to_string(f).unwrap();
        let sf = StackFile::parse(f, &stack_text).unwrap();
        let dir = std::path::Path::new(f).parent().unwrap();
        let built: Vec<_> = sf
            .layers
            .iter()
            .map(|l| policy_lang::build(&std::fs::read_to_string(dir.join(&l.policy)).unwrap()))
            .collect();
        let stack = policy_eval::Stack::new(
            sf.layers
                .iter()
                .zip(&built)
                .map(|(l, b)| policy_eval::Layer {
                    name: l.name.clone(),
                    level: l.level,
                    audit: l.audit,
                    policy: b.policy.clone().unwrap(),
                })
                .collect(),
        )
        .unwrap();
        let refs: Vec<_> = sf
            .layers
            .iter()
            .zip(&built)
            .map(|(l, b)| (b.checked.as_ref().unwrap(), l.audit))
            .collect();
        for case in &tests.cases {
            let v = case.vector.as_ref().unwrap();
            let Ok(parsed) = policy_eval::json::parse_request(&v.request) else {
                continue;
            };
            parsed.with(|r, c| {
                let got = stack.decide(r, c);
                let (want, layer, would) = policy_lang::reference::decide_stack(&refs, r, c);
                assert_eq!(
                    (got.decision.effect, got.decision.rule, got.layer),
                    (want.effect, want.rule, layer),
                    "{}",
                    tests.place(case)
                );
                assert_eq!(got.would.map(|w| w.1), would.map(|w| w.1));
            });
        }
    }
    assert_eq!(out.trim_end(), format!("tests: {cases} passed, 0 failed"));
}

#[test]
fn a_failing_stack_case_is_reported_with_its_layer() {
    let dir = std::env::temp_dir().join(format!("polc-stack-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.policy"),
        "policy a\nnetwork {\n  allow x.example\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.policy"),
        "policy b\nnetwork {\n  default allow\n  nope: deny x.example\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("s.stack"), "0 top a.policy\n1 below b.policy\n").unwrap();
    std::fs::write(
        dir.join("s.tests.jsonl"),
        "{\"name\":\"wrong on purpose\",\"request\":{\"surface\":\"network\",\"host\":\"x.example\"},\"expect\":{\"decision\":\"allow\"}}\n",
    )
    .unwrap();
    let (code, out, _) = polc(
        &["stack", "test", dir.join("s.stack").to_str().unwrap()],
        "",
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("s.tests.jsonl:1\n  wrong on purpose\n"),
        "{out}"
    );
    assert!(
        out.contains(
            r#"actual:   {"decision":"deny","rule":"nope","reason":"rule","layer":"below"}"#
        ),
        "{out}"
    );
    assert!(
        out.contains("deciding rule: `nope` at line 4 of layer `below`"),
        "{out}"
    );
    assert!(out.ends_with("tests: 0 passed, 1 failed\n"), "{out}");
    // A stack file's own errors name their line.
    std::fs::write(dir.join("bad.stack"), "0 top a.policy\nzero x b.policy\n").unwrap();
    let (code, _, err) = polc(
        &["stack", "test", dir.join("bad.stack").to_str().unwrap()],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("bad.stack:2: LEVEL must be 0 to 255"), "{err}");
}

#[test]
fn stack_events_name_the_layer_and_what_audit_layers_would_do() {
    let stack = root().join("tests/stacks/audit.stack");
    let input = "{\"surface\":\"network\",\"host\":\"pypi.org\",\"port\":443}\nnope\n";
    let (code, out, err) = polc(
        &["stack", "eval", stack.to_str().unwrap(), "--events"],
        input,
    );
    assert_eq!(code, 0, "{err}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["layer"], "org");
    assert_eq!(events[0]["policy"]["name"], "org");
    assert_eq!(events[0]["rule"]["id"], "pypi");
    assert_eq!(
        events[0]["would"],
        json!({"decision": "deny", "layer": "local", "reason": "rule",
               "rule": {"id": "no-pypi", "index": 1, "line": 7}})
    );
    assert_eq!(events[1]["surface"], Value::Null);
    assert_eq!(events[1]["layer"], "org");
    assert_eq!(events[1]["reason"], "invalid");
}

#[test]
fn stack_explain_shows_every_layers_part() {
    let stack = root().join("tests/stacks/audit.stack");
    let req = r#"{"surface":"network","host":"pypi.org","port":443}"#;
    let (code, out, err) = polc(
        &[
            "stack",
            "explain",
            stack.to_str().unwrap(),
            "--request",
            req,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains(r#""layer":"org""#), "{out}");
    assert!(
        out.contains("layer `org` (level 0): deciding rule `pypi` (ask); decides\n"),
        "{out}"
    );
    assert!(out.contains("7 |   pypi: ask pypi.org port 443"), "{out}");
    assert!(out.contains("layer `team` (level 1): deciding rule `pypi` (allow); inactive here: looser than the stack's decision\n"), "{out}");
    assert!(out.contains("layer `local` (level 2, audit): deciding rule `no-pypi` (deny); would be stricter (audit layer, not enforced)\n"), "{out}");
}

#[test]
fn replay_with_a_stack_counts_what_its_audit_layers_would_change() {
    let requests = [
        r#"{"surface":"network","host":"pypi.org","port":443}"#,
        r#"{"surface":"credential","name":"GITHUB_TOKEN","host":"github.com"}"#,
        r#"{"surface":"filesystem","path":"/w/.env","access":"write","context":{"roots":{"workspace":"/w"}}}"#,
        r#"{"surface":"network","host":"gist.github.com","port":443}"#,
    ];
    // Events logged under the organisation's policy alone.
    let org = root().join("tests/stacks/org.policy");
    let (code, events, err) = polc(
        &["eval", org.to_str().unwrap(), "--events"],
        &(requests.join("\n") + "\n"),
    );
    assert_eq!(code, 0, "{err}");
    let dir = std::env::temp_dir().join(format!("polc-stack-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("events.jsonl");
    std::fs::write(&log, events).unwrap();
    let stack = root().join("tests/stacks/audit.stack");
    let (code, out, err) = polc(
        &[
            "replay",
            log.to_str().unwrap(),
            "--policy",
            stack.to_str().unwrap(),
            "--root",
            "workspace=/w",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // The team denies gists: the one enforced change, named by its layer.
    assert_eq!(v["newly_denied"], 1);
    assert_eq!(v["changes"][0]["new"]["rule"], "team:no-gists");
    assert_eq!(
        v["audit"],
        json!([
            {"rule": "local:env", "events": 1, "would_deny": 1, "would_ask": 0, "shorter_grant": 0},
            {"rule": "local:no-pypi", "events": 1, "would_deny": 1, "would_ask": 0, "shorter_grant": 0},
            {"rule": "local:token", "events": 1, "would_deny": 0, "would_ask": 0, "shorter_grant": 1},
        ])
    );
}

#[test]
fn rules_in_a_delegated_region_are_not_inactive() {
    let stack = root().join("tests/stacks/delegation.stack");
    let (code, out, err) = polc(
        &[
            "stack",
            "check",
            stack.to_str().unwrap(),
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let mut inactive: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|d| d["code"] == "W0113")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    inactive.sort();
    // The team's github, workspace and token rules sit where the
    // organisation passes: not reported. Its allows under the
    // organisation's asks are, and so is the read write of docs, where
    // the organisation passes on the write only (it passes only when every
    // part does).
    assert_eq!(inactive.len(), 3, "{inactive:#?}");
    assert!(
        inactive[0]
            .starts_with("rule `docs` is inactive on path matching `/srv/docs/**`, read write:"),
        "{inactive:#?}"
    );
    assert!(
        inactive[1].starts_with("rule `docs` is inactive on path matching `/srv/docs/**`, read:"),
        "{inactive:#?}"
    );
    assert!(
        inactive[2].starts_with("rule `registries` is inactive"),
        "{inactive:#?}"
    );
}
