//! Policies built once per process for the tests and fuzz targets that need
//! fixed ones: a policy using every table shape, the coding-agent example
//! and the conformance policies.

// A fixed policy that does not build is a bug of this crate: stop loudly.
#![allow(clippy::panic)]

use std::sync::OnceLock;

use policy_eval::Policy;
use policy_lang::model::CheckedPolicy;
use policy_lang::{build, Build};

/// A policy compiled once for the targets that need a fixed one.
pub struct Fixed {
    /// Which policy (file name or `fixed`).
    pub name: &'static str,
    /// Its source.
    pub source: &'static str,
    /// The checked policy (for the reference interpreter).
    pub checked: CheckedPolicy,
    /// The loaded policy.
    pub policy: Policy,
    /// The encoded artifact.
    pub bytes: Vec<u8>,
}

/// A small policy using every table shape of the artifact: domain anchors
/// with exact, `*.`, `**.` and glob entries, IPv4 and IPv6 intervals, port
/// lists, path roots with exact, prefix, extension and glob tables,
/// credential destinations and lifetimes, pinned and unpinned servers with
/// exact, prefix and glob tools.
pub const FIXED_POLICY: &str = "\
policy fixed
version 1.0.0
description \"every table shape\"
owner fuzz

network {
  default deny
  exact: allow example.com port 443
  allow *.one.example.com, **.any.example.org, api-*.example.net, a.*.b.example.com ports 80, 8000-9000
  ask **.a-*.test.org, *-x*.example.com
  deny @metadata, @private, 10.0.0.0/8, 192.168.1.0/24, ::1, fc00::/7, 2001:db8::/32
  allow 8.8.8.8, 2001:4860::/32
}

filesystem {
  default ask
  ws: allow read write $workspace/**
  allow read /usr/**, /etc/passwd, ~/.config/*.toml
  deny read write ~/.ssh/**, /**/*.key, $workspace/**/target/**
  ask write /tmp/?x, /var/[a-c]*/log, ~/{a,b}/**
}

credentials {
  default deny
  allow GITHUB_TOKEN to github.com, **.github.com, 140.82.112.0/20 for session
  allow NPM_* to registry.npmjs.org for 1h
  ask *_KEY, {A,B}_X
  deny AWS_*, ?PI
}

mcp {
  default deny
  server github source \"ghcr.io/github/mcp:1\" {
    allow get_*, list_*
    ask create_issue, ?et_x
    deny delete_*
  }
  server fs {
    allow *
  }
}
";

/// Policies the fixed-policy targets run against: [`FIXED_POLICY`], the
/// bundled coding-agent example, and every conformance policy.
pub const FIXED_POLICIES: &[(&str, &str)] = &[
    ("fixed", FIXED_POLICY),
    (
        "examples/coding-agent.policy",
        include_str!("../../examples/coding-agent.policy"),
    ),
    (
        "credentials.policy",
        include_str!("../../tests/conformance/credentials.policy"),
    ),
    (
        "defaults.policy",
        include_str!("../../tests/conformance/defaults.policy"),
    ),
    (
        "filesystem-roots.policy",
        include_str!("../../tests/conformance/filesystem-roots.policy"),
    ),
    (
        "filesystem.policy",
        include_str!("../../tests/conformance/filesystem.policy"),
    ),
    (
        "mcp.policy",
        include_str!("../../tests/conformance/mcp.policy"),
    ),
    (
        "network-addresses.policy",
        include_str!("../../tests/conformance/network-addresses.policy"),
    ),
    (
        "network-any.policy",
        include_str!("../../tests/conformance/network-any.policy"),
    ),
    (
        "network-domains.policy",
        include_str!("../../tests/conformance/network-domains.policy"),
    ),
    (
        "network-ports.policy",
        include_str!("../../tests/conformance/network-ports.policy"),
    ),
    (
        "odd-input.policy",
        include_str!("../../tests/conformance/odd-input.policy"),
    ),
    (
        "precedence.policy",
        include_str!("../../tests/conformance/precedence.policy"),
    ),
    (
        "rule-ids.policy",
        include_str!("../../tests/conformance/rule-ids.policy"),
    ),
];

/// [`FIXED_POLICIES`], built and loaded from their bytes once per process.
pub fn fixed() -> &'static [Fixed] {
    static FIXED: OnceLock<Vec<Fixed>> = OnceLock::new();
    FIXED.get_or_init(|| {
        FIXED_POLICIES
            .iter()
            .map(|&(name, source)| {
                let Build {
                    checked,
                    bytes,
                    policy,
                    diagnostics,
                    ..
                } = build(source);
                let (Some(checked), Some(policy), Some(bytes)) = (checked, policy, bytes) else {
                    panic!("fixed policy {name} does not build: {diagnostics:?}");
                };
                Fixed {
                    name,
                    source,
                    checked,
                    policy,
                    bytes,
                }
            })
            .collect()
    })
}
