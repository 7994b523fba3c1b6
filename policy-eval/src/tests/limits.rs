//! Every runtime limit of [`crate::limits`] (table: `spec/limits.md`): just
//! over it gives its specific error, just at it is accepted.

use super::decide::B;
use crate::artifact::*;
use crate::limits::*;
use crate::wire::HEADER_LEN;
use crate::{Context, Decision, Invalid, LoadError, Policy, Reason, Request};

// ---------------------------------------------------------------------------
// Artifacts
// ---------------------------------------------------------------------------

#[test]
fn artifact_size_limit() {
    let limit = MAX_ARTIFACT_BYTES as u64;
    // One byte over: refused on the length alone. The zeroed buffer is never
    // read, so its pages are never touched.
    let over = vec![0u8; MAX_ARTIFACT_BYTES + 1];
    let err = Policy::from_bytes(&over).expect_err("too large");
    assert_eq!(
        err,
        LoadError::TooLarge {
            size: limit + 1,
            limit
        }
    );
    assert_eq!(
        err.to_string(),
        "artifact too large: 268435457 bytes exceeds the limit of 268435456 bytes"
    );
    drop(over);
    // Exactly at the limit: the size passes, the next check (magic) fails.
    let at = vec![0u8; MAX_ARTIFACT_BYTES];
    assert_eq!(Policy::from_bytes(&at).err(), Some(LoadError::BadMagic));
    drop(at);
    // A header announcing a payload past the limit is refused before the
    // payload is read; one announcing exactly the limit is merely truncated.
    let mut bytes = B::new().art.to_bytes();
    let got = bytes.len() as u64;
    let announce = |bytes: &mut Vec<u8>, payload: u64| {
        bytes[16..24].copy_from_slice(&payload.to_le_bytes());
    };
    announce(&mut bytes, limit - HEADER_LEN as u64 + 1);
    assert_eq!(
        Policy::from_bytes(&bytes).err(),
        Some(LoadError::TooLarge {
            size: limit + 1,
            limit
        })
    );
    announce(&mut bytes, limit - HEADER_LEN as u64);
    assert_eq!(
        Policy::from_bytes(&bytes).err(),
        Some(LoadError::Truncated {
            expected: limit,
            got
        })
    );
}

/// An artifact of `n` network rules (no tables).
fn rules(n: usize) -> Artifact {
    let mut b = B::new();
    for i in 0..n {
        b.rule(
            &format!("r{i}"),
            Surface::Network,
            Effect::Allow,
            Condition::None,
        );
    }
    b.art
}

#[test]
fn rule_count_limit_in_artifacts() {
    let bytes = rules(MAX_RULES + 1).to_bytes();
    let err = Policy::from_bytes(&bytes).expect_err("too many rules");
    assert_eq!(
        err.to_string(),
        "invalid artifact table `rules`: 200001 rules exceed the limit of 200000"
    );
    let bytes = rules(MAX_RULES).to_bytes();
    let p = Policy::from_bytes(&bytes).expect("at the limit");
    assert_eq!(p.artifact().rules.len(), MAX_RULES);
}

#[test]
fn table_entry_limit_in_artifacts() {
    // Entries = list lengths + number of lists: list 0 (empty) and one list
    // of `n` entries. The zeroed lists are never read past their start.
    let with_list = |n: usize| {
        let mut b = B::new();
        let r = b.rule("r", Surface::Network, Effect::Allow, Condition::None);
        b.art.candidates.push(vec![r; n]);
        Policy::from_artifact(b.art)
    };
    let err = with_list(MAX_TABLE_ENTRIES - 1).expect_err("over");
    assert_eq!(
        err.to_string(),
        "invalid artifact table `candidates`: 16777217 entries exceed the limit of 16777216"
    );
    // At the limit the size check passes; the list is then refused for
    // repeating a rule, which a valid list never does.
    let err = with_list(MAX_TABLE_ENTRIES - 2).expect_err("not sorted");
    assert!(!err.to_string().contains("limit"), "{err}");
}

#[test]
fn glob_length_limit_in_artifacts() {
    let glob = |len: usize| {
        let mut b = B::new();
        // Send globs are the runtime's only name globs left.
        let r = b.rule(
            "c",
            Surface::Credential,
            Effect::Allow,
            Condition::Credential(CredentialCond {
                destinations: Some(Destinations::default()),
                lifetime: Lifetime::Session,
            }),
        );
        let l = b.list(&[r]);
        let pattern = format!("*{}", "a".repeat(len - 1));
        b.art.credentials.globs.push((pattern, l));
        Policy::from_bytes(&b.art.to_bytes())
    };
    assert!(glob(MAX_PATTERN_LEN).is_ok());
    match glob(MAX_PATTERN_LEN + 1) {
        Err(LoadError::InvalidTable {
            table: "credentials",
            problem,
        }) => assert!(
            problem.ends_with("pattern is longer than the limit of 1024 bytes"),
            "{problem}"
        ),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Requests through the JSON entry point
// ---------------------------------------------------------------------------

/// The decision for `request` by a policy without rules: `Ok(())` when
/// decided (by the default), the invalid message otherwise.
fn outcome(request: &str) -> Result<(), String> {
    let p = B::new().policy();
    let out: serde_json::Value = serde_json::from_str(&p.decide_json(request)).unwrap();
    match out["reason"].as_str() {
        Some("default") => Ok(()),
        Some("invalid") => Err(out["message"].as_str().unwrap().to_string()),
        other => panic!("{other:?} for {request}"),
    }
}

fn invalid(why: Invalid) -> Result<(), String> {
    Err(why.message().to_string())
}

#[test]
fn json_request_size_limit() {
    // A valid request padded with spaces to exactly the limit, then one more.
    let head = r#"{"surface":"network","host":"example.com""#;
    let mut req = String::from(head);
    req.push_str(&" ".repeat(MAX_JSON_REQUEST_BYTES - head.len() - 1));
    req.push('}');
    assert_eq!(req.len(), MAX_JSON_REQUEST_BYTES);
    assert_eq!(outcome(&req), Ok(()));
    req.insert(head.len(), ' ');
    assert_eq!(outcome(&req), invalid(Invalid::JsonTooLarge));
    assert_eq!(
        outcome(&req),
        Err("request is larger than 64 KiB".to_string())
    );
}

#[test]
fn json_nesting_depth_limit() {
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    // At the limit the nesting passes and the next check (one object) fails.
    assert_eq!(
        outcome(&arrays(MAX_JSON_DEPTH)),
        invalid(Invalid::JsonNotObject)
    );
    assert_eq!(
        outcome(&arrays(MAX_JSON_DEPTH + 1)),
        invalid(Invalid::JsonTooDeep)
    );
    assert_eq!(
        outcome(&arrays(MAX_JSON_DEPTH + 1)),
        Err("request is nested deeper than 16 levels".to_string())
    );
    // Far deeper than serde_json's own recursion limit (128): still our
    // error, found before parsing.
    assert_eq!(outcome(&arrays(30_000)), invalid(Invalid::JsonTooDeep));
    // Inside a request object: the object itself is level 1.
    let nested = |n: usize| {
        format!(
            r#"{{"surface":"network","host":"a.b","context":{{"user":{}1{}}}}}"#,
            "[".repeat(n - 2),
            "]".repeat(n - 2)
        )
    };
    assert_eq!(outcome(&nested(MAX_JSON_DEPTH)), invalid(Invalid::JsonType));
    assert_eq!(
        outcome(&nested(MAX_JSON_DEPTH + 1)),
        invalid(Invalid::JsonTooDeep)
    );
}

fn network(host: &str) -> String {
    serde_json::json!({"surface": "network", "host": host}).to_string()
}

fn network_ip(ip: &str) -> String {
    serde_json::json!({"surface": "network", "ip": ip}).to_string()
}

fn file(path: &str) -> String {
    serde_json::json!({"surface": "filesystem", "path": path, "access": "read"}).to_string()
}

fn root(path: &str) -> String {
    serde_json::json!({
        "surface": "filesystem", "path": "/x", "access": "read",
        "context": {"roots": {"workspace": path}}
    })
    .to_string()
}

fn secret(name: &str) -> String {
    serde_json::json!({"surface": "credential", "name": name}).to_string()
}

fn server(name: &str) -> String {
    serde_json::json!({"surface": "mcp", "server": name}).to_string()
}

fn tool(name: &str) -> String {
    serde_json::json!({"surface": "mcp", "server": "s", "tool": name}).to_string()
}

fn source(src: &str) -> String {
    serde_json::json!({"surface": "mcp", "server": "s", "source": src}).to_string()
}

/// A host of `len` bytes made of labels of at most 63 bytes.
fn host_of(len: usize) -> String {
    let mut h = String::new();
    while h.len() < len {
        if !h.is_empty() {
            h.push('.');
        }
        let n = (len - h.len()).min(MAX_LABEL_LEN);
        h.push_str(&"a".repeat(n));
    }
    assert!(h.len() == len && !h.ends_with('.'), "{len}");
    h
}

/// An IPv4 address of `len` bytes: `0...010.0.0.1`.
fn zeros_ip(len: usize) -> String {
    format!("{}10.0.0.1", "0".repeat(len - "10.0.0.1".len()))
}

/// A path of `len` bytes made of segments of at most `seg` bytes.
fn path_of(len: usize, seg: usize) -> String {
    let mut p = String::new();
    while p.len() < len {
        p.push('/');
        let left = len - p.len();
        // Never leave a single byte, which cannot hold `/` and a segment.
        let n = if left == seg + 1 {
            seg - 1
        } else {
            left.min(seg)
        };
        p.push_str(&"a".repeat(n));
    }
    assert_eq!(p.len(), len);
    p
}

#[test]
fn request_field_length_limits() {
    let a = |n: usize| "a".repeat(n);
    let cases: Vec<(String, String, Invalid)> = vec![
        // host: normalized length, label length, raw length.
        (
            network(&host_of(MAX_HOST_LEN)),
            network(&host_of(MAX_HOST_LEN + 1)),
            Invalid::HostTooLong,
        ),
        (
            network(&format!("{}.com", a(MAX_LABEL_LEN))),
            network(&format!("{}.com", a(MAX_LABEL_LEN + 1))),
            Invalid::HostLabelTooLong,
        ),
        // The raw length of `ip`: `0...010.0.0.1` is 8.0.0.1 (inet_aton
        // octal) whatever the number of leading zeros.
        (
            network_ip(&zeros_ip(MAX_HOST_INPUT_LEN)),
            network_ip(&zeros_ip(MAX_HOST_INPUT_LEN + 1)),
            Invalid::IpInvalid,
        ),
        // path: total and segment length; root bindings are paths too.
        (
            file(&path_of(MAX_PATH_LEN, MAX_SEGMENT_LEN)),
            file(&path_of(MAX_PATH_LEN + 1, MAX_SEGMENT_LEN)),
            Invalid::PathTooLong,
        ),
        (
            file(&format!("/{}", a(MAX_SEGMENT_LEN))),
            file(&format!("/{}", a(MAX_SEGMENT_LEN + 1))),
            Invalid::PathSegmentTooLong,
        ),
        (
            root(&path_of(MAX_PATH_LEN, MAX_SEGMENT_LEN)),
            root(&path_of(MAX_PATH_LEN + 1, MAX_SEGMENT_LEN)),
            Invalid::RootPath,
        ),
        // names.
        (
            secret(&a(MAX_NAME_LEN)),
            secret(&a(MAX_NAME_LEN + 1)),
            Invalid::NameTooLong,
        ),
        (
            server(&a(MAX_NAME_LEN)),
            server(&a(MAX_NAME_LEN + 1)),
            Invalid::NameTooLong,
        ),
        (
            tool(&a(MAX_NAME_LEN)),
            tool(&a(MAX_NAME_LEN + 1)),
            Invalid::NameTooLong,
        ),
        // MCP source.
        (
            source(&a(MAX_SOURCE_LEN)),
            source(&a(MAX_SOURCE_LEN + 1)),
            Invalid::Source,
        ),
    ];
    for (at, over, why) in cases {
        assert_eq!(outcome(&at), Ok(()), "{at}");
        assert_eq!(outcome(&over), invalid(why), "{over}");
    }
}

/// A filesystem request for `/w/x` whose context binds `n` roots:
/// `workspace` to `/w`, then `r1`, `r2`, ... (the last one named `last`).
/// Written by hand: a JSON map would merge a name given twice.
fn roots_request(n: usize, last: &str) -> String {
    let mut roots = vec![r#""workspace":"/w""#.to_string()];
    for i in 1..n {
        let name = if i + 1 == n {
            last.to_string()
        } else {
            format!("r{i}")
        };
        roots.push(format!(r#""{name}":"/r/{i}""#));
    }
    format!(
        r#"{{"surface":"filesystem","path":"/w/x","access":"read","context":{{"roots":{{{}}}}}}}"#,
        roots.join(",")
    )
}

#[test]
fn root_binding_limit() {
    // JSON: at the limit decided (by the default), one more invalid.
    assert_eq!(outcome(&roots_request(MAX_ROOT_BINDINGS, "last")), Ok(()));
    assert_eq!(
        outcome(&roots_request(MAX_ROOT_BINDINGS + 1, "last")),
        invalid(Invalid::TooManyRoots)
    );
    assert_eq!(
        outcome(&roots_request(MAX_ROOT_BINDINGS + 1, "last")),
        Err("the context binds more than 64 roots".to_string())
    );
    // The count is checked before any binding: a name bound twice among
    // too many bindings is reported as too many.
    let twice = roots_request(MAX_ROOT_BINDINGS + 1, "workspace");
    assert_eq!(twice.matches(r#""workspace""#).count(), 2, "{twice}");
    assert_eq!(outcome(&twice), invalid(Invalid::TooManyRoots));
    let twice = roots_request(MAX_ROOT_BINDINGS, "workspace");
    assert_eq!(outcome(&twice), invalid(Invalid::RootDuplicate));
    // The finding: a 64 KiB request packed with thousands of bindings (each
    // compared with every earlier one before the limit).
    let head = r#"{"surface":"filesystem","path":"/x","access":"read","context":{"roots":{"#;
    let mut req = head.to_string();
    let mut n = 0usize;
    loop {
        let binding = format!(r#"{}"{n:x}":"/""#, if n == 0 { "" } else { "," });
        if req.len() + binding.len() + "}}}".len() > MAX_JSON_REQUEST_BYTES {
            break;
        }
        req.push_str(&binding);
        n += 1;
    }
    req.push_str("}}}");
    assert!(n > 5_000 && req.len() <= MAX_JSON_REQUEST_BYTES, "{n}");
    assert_eq!(outcome(&req), invalid(Invalid::TooManyRoots));
    // Typed: the same limit, whatever the bindings.
    let p = B::new().policy();
    let req = Request::Filesystem {
        path: "/w/x",
        access: Access::READ,
    };
    let names: Vec<String> = (0..=MAX_ROOT_BINDINGS).map(|i| format!("r{i}")).collect();
    let bound: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "/r")).collect();
    let decide = |n: usize| {
        let ctx = Context {
            roots: &bound[..n],
            ..Context::default()
        };
        p.decide(&req, &ctx)
    };
    assert_eq!(decide(MAX_ROOT_BINDINGS).reason, Reason::Default);
    assert_eq!(
        decide(MAX_ROOT_BINDINGS + 1),
        Decision::invalid(Invalid::TooManyRoots)
    );
    // Only filesystem requests read the bindings (as for a root bound
    // twice): other surfaces ignore them.
    let ctx = Context {
        roots: &bound,
        ..Context::default()
    };
    let net = Request::Network {
        host: Some("example.com"),
        ip: None,
        port: None,
        http: None,
    };
    assert_eq!(p.decide(&net, &ctx).reason, Reason::Default);
}

#[test]
fn the_raw_host_limit_applies_before_idna() {
    // Mathematical letters (4 bytes each) and full-width dots (3 bytes)
    // normalize to ASCII: the longest accepted non-ASCII host is 254
    // characters (a 253-byte name and a trailing dot), here 1,012 bytes.
    let math = |n: usize| "\u{1d41a}".repeat(n);
    let name = [math(63), math(63), math(63), math(61)].join("．");
    let longest = format!("{name}{}", "．");
    assert_eq!((longest.chars().count(), longest.len()), (254, 1012));
    assert_eq!(outcome(&network(&longest)), Ok(()));
    // Soft hyphens vanish in IDNA, but count before it: padded to exactly
    // MAX_HOST_INPUT_LEN bytes, the same name is refused by the count; one
    // byte more, by the input limit, before anything else.
    let pad = MAX_HOST_INPUT_LEN - name.len();
    let at = format!("{}{}{name}", "\u{ad}".repeat(pad / 2), "a".repeat(pad % 2));
    assert_eq!(at.len(), MAX_HOST_INPUT_LEN);
    assert_eq!(outcome(&network(&at)), invalid(Invalid::HostTooLong));
    let over = format!("{at}a");
    assert_eq!(outcome(&network(&over)), invalid(Invalid::HostTooLong));
    let over_wrong = format!("{at}@");
    assert_eq!(
        outcome(&network(&over_wrong)),
        invalid(Invalid::HostTooLong)
    );
}

#[test]
fn limit_messages_name_the_limits() {
    let cases = [
        (Invalid::HostTooLong, MAX_HOST_LEN),
        (Invalid::HostLabelTooLong, MAX_LABEL_LEN),
        (Invalid::PathTooLong, MAX_PATH_LEN),
        (Invalid::PathSegmentTooLong, MAX_SEGMENT_LEN),
        (Invalid::NameTooLong, MAX_NAME_LEN),
        (Invalid::Source, MAX_SOURCE_LEN),
        (Invalid::JsonTooDeep, MAX_JSON_DEPTH),
        (Invalid::TooManyRoots, MAX_ROOT_BINDINGS),
    ];
    for (why, n) in cases {
        let msg = why.message();
        assert!(msg.contains(&format!(" {n} ")), "{why:?}: {msg}");
    }
    assert!(Invalid::JsonTooLarge
        .message()
        .contains(&format!(" {} KiB", MAX_JSON_REQUEST_BYTES / 1024)));
}

// ---------------------------------------------------------------------------
// Stacks
// ---------------------------------------------------------------------------

fn layer(name: &str, level: u8) -> crate::Layer {
    crate::Layer {
        name: name.to_string(),
        level,
        audit: false,
        policy: B::new().policy(),
    }
}

#[test]
fn layers_per_stack_limit() {
    use crate::{Stack, StackError};
    let at: Vec<_> = (0..MAX_LAYERS)
        .map(|i| layer(&format!("l{i}"), i as u8))
        .collect();
    assert!(Stack::new(at).is_ok());
    let over: Vec<_> = (0..=MAX_LAYERS)
        .map(|i| layer(&format!("l{i}"), i as u8))
        .collect();
    let err = Stack::new(over).expect_err("too many");
    assert_eq!(err, StackError::TooManyLayers(MAX_LAYERS + 1));
    assert_eq!(
        err.to_string(),
        "a stack has 9 layers, more than the limit of 8"
    );
}

#[test]
fn layer_name_limit() {
    use crate::{Stack, StackError};
    let at = "n".repeat(MAX_LAYER_NAME_LEN);
    assert!(Stack::new(vec![layer(&at, 0)]).is_ok());
    let over = "n".repeat(MAX_LAYER_NAME_LEN + 1);
    assert_eq!(
        Stack::new(vec![layer(&over, 0)]).err(),
        Some(StackError::Name(over))
    );
}
