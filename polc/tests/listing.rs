//! The tool-listing vectors (`tests/listing/NAME.listing.jsonl`), end to end
//! from policy source: each policy is built with `policy_lang::build` and
//! every vector goes through `Policy::list_tools_json` and the shared
//! loader `policy_eval::cases::listing`; each listed entry is then checked
//! against `Policy::decide` on the same call. The C, Go and WASM runtimes
//! run the same vectors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::root;
use policy_eval::cases::listing::{flatten, ListingFile};
use policy_eval::{Context, Request};

#[test]
fn listing_vectors_pass_from_source() {
    let src = std::fs::read_to_string(root().join("tests/listing/mcp.policy")).unwrap();
    let build = policy_lang::build(&src);
    let policy = build.policy.expect("the listing policy builds");
    let name = "tests/listing/mcp.listing.jsonl";
    let text = std::fs::read_to_string(root().join(name)).unwrap();
    let file = ListingFile::parse(name, &text).unwrap();
    assert!(file.cases.len() >= 15, "{}", file.cases.len());
    let failures: Vec<String> = file
        .cases
        .iter()
        .filter_map(|c| c.check_rust(&policy).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let mut tsv = String::new();
    assert_eq!(flatten(&file, &policy, &mut tsv), Ok(file.cases.len()));
    assert_eq!(tsv.lines().count(), file.cases.len());

    // Every entry of every listing is the decision of that call.
    let mut entries = 0;
    for case in &file.cases {
        let Ok(req) = serde_json::from_str::<serde_json::Value>(&case.request) else {
            continue;
        };
        let (Some(server), Some(tools)) = (req["server"].as_str(), req["tools"].as_array()) else {
            continue;
        };
        let source = req["source"].as_str();
        let Some(got) = case.expect["tools"].as_array() else {
            continue;
        };
        for (tool, entry) in tools.iter().zip(got) {
            let d = policy.decide(
                &Request::Mcp {
                    server,
                    tool: tool.as_str(),
                    source,
                    arguments: None,
                    definition: None,
                    resource: None,
                    prompt: None,
                },
                &Context::default(),
            );
            let want: serde_json::Value = serde_json::from_str(&policy.decision_json(&d)).unwrap();
            assert_eq!(entry["decision"], want["decision"], "{}", case.place);
            assert_eq!(entry["rule"], want["rule"], "{}", case.place);
            assert_eq!(entry["reason"], want["reason"], "{}", case.place);
            // A tool whose plain call is allowed or asked is listed; a
            // denied one is listed only when some call with arguments may
            // pass (argument constraints), which the recorded `listed`
            // states and every runtime's listing is checked against.
            if want["decision"] != "deny" {
                assert_eq!(entry["listed"], true, "{}", case.place);
            }
            entries += 1;
        }
    }
    assert!(entries >= 20, "{entries}");
}
