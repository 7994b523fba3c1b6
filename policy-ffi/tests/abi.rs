//! The C ABI called from Rust: results, out parameters, error messages and
//! bad input. The C suite (`tests/ffi/`) runs the conformance vectors.

// Tests call the exported `unsafe extern "C"` functions directly.
#![allow(unsafe_code)]
// Test helpers fail loudly: a panic here is a test failure, not a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::CStr;
use std::ptr;

use policy_ffi::*;

fn err() -> apol_error {
    apol_error {
        code: APOL_ERR_PANIC,
        message: [0x55; APOL_ERROR_MESSAGE_LEN],
    }
}

fn msg(e: &apol_error) -> String {
    // SAFETY: the library NUL-terminates the message.
    unsafe { CStr::from_ptr(e.message.as_ptr()) }
        .to_str()
        .unwrap()
        .to_string()
}

fn load() -> *mut apol_policy {
    let bytes = common::artifact();
    let mut p = ptr::null_mut();
    let mut e = err();
    // SAFETY: valid pointers.
    let r = unsafe { apol_policy_load(bytes.as_ptr(), bytes.len(), &mut p, &mut e) };
    assert_eq!(r, APOL_OK, "{}", msg(&e));
    assert_eq!(e.code, APOL_OK);
    assert_eq!(msg(&e), "");
    p
}

fn text(p: *const std::os::raw::c_char, len: usize) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the library returns valid pointer + length pairs.
    let b = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    String::from_utf8(b.to_vec()).unwrap()
}

fn net(p: *const apol_policy, host: Option<&[u8]>, port: i64) -> (apol_result, apol_decision) {
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    let (hp, hl) = host.map_or((ptr::null(), 0), |h| (h.as_ptr().cast(), h.len()));
    // SAFETY: valid pointers.
    let r = unsafe {
        apol_decide_network(
            p,
            hp,
            hl,
            ptr::null(),
            0,
            port,
            ptr::null(),
            d.as_mut_ptr(),
            ptr::null_mut(),
        )
    };
    // SAFETY: zeroed is a valid apol_decision (enums 0, pointers NULL).
    (r, unsafe { d.assume_init() })
}

#[test]
fn versions_are_reported() {
    // SAFETY: static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(apol_version()) };
    assert_eq!(v.to_str().unwrap(), VERSION);
    assert_eq!(
        apol_artifact_format_min(),
        policy_eval::wire::MIN_FORMAT_VERSION
    );
    assert!(apol_artifact_format_max() >= apol_artifact_format_min());
    // SAFETY: static NUL-terminated strings.
    let name = |c| {
        unsafe { CStr::from_ptr(apol_result_name(c)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(0), "APOL_OK");
    assert_eq!(name(APOL_ERR_PANIC as u32), "APOL_ERR_PANIC");
    assert_eq!(name(999), "APOL_ERR_UNKNOWN");
}

#[test]
fn typed_network_decisions_name_the_rule() {
    let p = load();
    let (r, d) = net(p, Some(b"API.GitHub.com"), 443);
    assert_eq!(r, APOL_OK);
    assert_eq!((d.effect, d.reason), (APOL_EFFECT_ALLOW, APOL_REASON_RULE));
    assert!(d.has_rule);
    assert_eq!(d.rule, common::GH);
    assert_eq!(text(d.rule_id, d.rule_id_len), "gh");
    assert!(d.message.is_null());

    // No port: the port-limited allow cannot apply.
    let (_, d) = net(p, Some(b"github.com"), APOL_PORT_NONE);
    assert_eq!(
        (d.effect, d.reason),
        (APOL_EFFECT_DENY, APOL_REASON_DEFAULT)
    );
    assert!(!d.has_rule && d.rule_id.is_null());

    let (_, d) = net(p, Some(b"0x7f.1"), 443);
    assert_eq!(text(d.rule_id, d.rule_id_len), "loopback");

    let mut rule = std::mem::MaybeUninit::<apol_rule>::zeroed();
    let mut e = err();
    // SAFETY: valid pointers.
    let r = unsafe { apol_policy_rule(p, common::LOOPBACK, rule.as_mut_ptr(), &mut e) };
    assert_eq!(r, APOL_OK);
    // SAFETY: written on APOL_OK.
    let rule = unsafe { rule.assume_init() };
    assert_eq!(text(rule.id, rule.id_len), "loopback");
    assert_eq!((rule.line, rule.effect), (4, APOL_EFFECT_DENY));
    // SAFETY: live handle, freed once.
    assert_eq!(unsafe { apol_policy_free(p) }, APOL_OK);
}

#[test]
fn invalid_requests_are_decisions_not_errors() {
    let p = load();
    for (host, port, message) in [
        (Some(&b"evil.com:443"[..]), 443, "host contains `:` but is not an IPv6 address: pass the bare host and the port separately"),
        (Some(&b"github.com"[..]), 0, "port must be between 1 and 65535"),
        (Some(&b"github.com"[..]), 1 << 40, "port must be between 1 and 65535"),
        (None, 443, "network request needs a host, an ip, or both"),
        (Some(&[b'a'; 10_000][..]), 443, "host is longer than 253 bytes"),
    ] {
        let (r, d) = net(p, host, port);
        assert_eq!(r, APOL_OK);
        assert_eq!((d.effect, d.reason), (APOL_EFFECT_DENY, APOL_REASON_INVALID));
        assert_eq!(text(d.message, d.message_len), message);
    }
    // SAFETY: live handle.
    unsafe { apol_policy_free(p) };
}

fn load_bytes(bytes: &[u8]) -> *mut apol_policy {
    let mut p = ptr::null_mut();
    let mut e = err();
    // SAFETY: valid pointers.
    let r = unsafe { apol_policy_load(bytes.as_ptr(), bytes.len(), &mut p, &mut e) };
    assert_eq!(r, APOL_OK, "{}", msg(&e));
    p
}

/// `apol_decide_http` for `host`, port 443; `None` passes NULL (length 0).
fn http(
    p: *const apol_policy,
    host: &str,
    method: Option<&[u8]>,
    path: Option<&[u8]>,
) -> (apol_result, apol_decision, String) {
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    let mut e = err();
    let raw = |s: Option<&[u8]>| s.map_or((ptr::null(), 0), |s| (s.as_ptr().cast(), s.len()));
    let ((mp, ml), (pp, pl)) = (raw(method), raw(path));
    // SAFETY: valid pointers.
    let r = unsafe {
        apol_decide_http(
            p,
            host.as_ptr().cast(),
            host.len(),
            ptr::null(),
            0,
            443,
            mp,
            ml,
            pp,
            pl,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        )
    };
    assert_eq!(e.code, r);
    // SAFETY: zeroed is a valid apol_decision (enums 0, pointers NULL).
    (r, unsafe { d.assume_init() }, msg(&e))
}

#[test]
fn http_requests_reach_the_http_rules() {
    let p = load_bytes(&common::http_artifact());
    let rule = |d: &apol_decision| (d.effect, d.reason, d.rule, text(d.rule_id, d.rule_id_len));
    let (r, d, _) = http(p, "api.github.com", Some(b"GET"), Some(b"/repos/o/r/"));
    assert_eq!(r, APOL_OK);
    assert_eq!(
        rule(&d),
        (
            APOL_EFFECT_ALLOW,
            APOL_REASON_RULE,
            common::READ,
            "read".into()
        )
    );
    // A method the block's rules do not allow: the block's own deny.
    let (_, d, _) = http(p, "api.github.com", Some(b"DELETE"), Some(b"/repos/o/r"));
    assert_eq!(
        rule(&d),
        (
            APOL_EFFECT_DENY,
            APOL_REASON_RULE,
            common::GH_HTTP,
            "gh-http".into()
        )
    );
    // A host without HTTP rules: the connection's decision.
    let (_, d, _) = http(p, "github.com", Some(b"DELETE"), Some(b"/x"));
    assert_eq!(
        rule(&d),
        (APOL_EFFECT_ALLOW, APOL_REASON_RULE, common::GH, "gh".into())
    );
    // The connection is the floor: a denied host stays denied.
    let (_, d, _) = http(p, "evil.com", Some(b"GET"), Some(b"/repos/x"));
    assert_eq!(
        rule(&d),
        (
            APOL_EFFECT_DENY,
            APOL_REASON_RULE,
            common::EVIL,
            "evil".into()
        )
    );
    // SAFETY: live handle.
    unsafe { apol_policy_free(p) };
}

/// Every spelling gives the decision of the JSON request with the same
/// method and path (the runtime's own parse), refused ones included.
#[test]
fn http_decisions_equal_the_json_ones() {
    let bytes = common::http_artifact();
    let rust = policy_eval::Policy::from_bytes(&bytes).unwrap();
    let p = load_bytes(&bytes);
    let long = format!("/{}", "a".repeat(4096));
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/repos/o/r", ""),
        ("HEAD", "/repos", ""),
        ("GET", "/", ""),
        ("GET", "/repos/caf%C3%A9", ""),
        ("GET", "/repos/100%25", ""),
        ("POST", "/repos/o/r", ""),
        ("get", "/repos/o/r", "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case"),
        ("Get", "/repos/o/r", "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case"),
        ("PROPFIND", "/repos/o/r", "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case"),
        ("", "/repos/o/r", "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE, in upper case"),
        ("GET", "", "HTTP path must start with `/`: pass the path of the request target, without scheme and host"),
        ("GET", "repos/o", "HTTP path must start with `/`: pass the path of the request target, without scheme and host"),
        ("GET", "/repos/o?x=1", "HTTP path contains `?` or `#`: pass the path without query or fragment"),
        ("GET", "/repos/a b", "HTTP path contains a space, control, non-ASCII or other byte that must be percent-encoded"),
        ("GET", "/repos/café", "HTTP path contains a space, control, non-ASCII or other byte that must be percent-encoded"),
        ("GET", "/repos/a\0", "HTTP path contains a space, control, non-ASCII or other byte that must be percent-encoded"),
        ("GET", "/repos/o%2Fr", "HTTP path has percent-encoding that is malformed, in lower case, or hides a letter, digit, `-`, `.`, `_`, `~`, `/`, `\\` or control byte: decode those, write the rest as upper-case %XX"),
        ("GET", "/repos/o%2fr", "HTTP path has percent-encoding that is malformed, in lower case, or hides a letter, digit, `-`, `.`, `_`, `~`, `/`, `\\` or control byte: decode those, write the rest as upper-case %XX"),
        ("GET", "/repos//o", "HTTP path has an empty segment (`//`; a rule's path also may not end in `/`)"),
        ("GET", "/repos/../admin", "HTTP path has a `.` or `..` segment: pass the resolved path"),
        ("GET", &long, "HTTP path is longer than 4096 bytes"),
    ];
    for &(method, path, message) in cases {
        let (r, d, _) = http(
            p,
            "api.github.com",
            Some(method.as_bytes()),
            Some(path.as_bytes()),
        );
        assert_eq!(r, APOL_OK, "{method} {path}");
        let json = serde_json::json!({
            "surface": "network", "host": "api.github.com", "port": 443,
            "method": method, "path": path,
        });
        let want = rust.decide_json_detailed(&json.to_string()).decision;
        assert_eq!(d.effect as u32, want.effect as u32, "{method} {path}");
        assert_eq!(d.has_rule, want.rule.is_some(), "{method} {path}");
        if let Some(rule) = want.rule {
            assert_eq!(d.rule, rule, "{method} {path}");
        }
        let got_message = text(d.message, d.message_len);
        assert_eq!(got_message, message, "{method} {path}");
        match want.reason {
            policy_eval::Reason::Invalid(why) => {
                assert_eq!(d.reason, APOL_REASON_INVALID);
                assert_eq!(got_message, why.message());
            }
            _ => assert_ne!(d.reason, APOL_REASON_INVALID, "{method} {path}"),
        }
    }
    // The connection is checked before the method and path.
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    // SAFETY: valid pointers.
    let r = unsafe {
        apol_decide_http(
            p,
            ptr::null(),
            0,
            ptr::null(),
            0,
            0,
            b"get".as_ptr().cast(),
            3,
            b"x".as_ptr().cast(),
            1,
            ptr::null(),
            d.as_mut_ptr(),
            ptr::null_mut(),
        )
    };
    assert_eq!(r, APOL_OK);
    // SAFETY: written on APOL_OK.
    let d = unsafe { d.assume_init() };
    assert_eq!(
        text(d.message, d.message_len),
        "network request needs a host, an ip, or both"
    );
    // SAFETY: live handle.
    unsafe { apol_policy_free(p) };
}

#[test]
fn http_arguments_are_checked_at_the_boundary() {
    let p = load_bytes(&common::http_artifact());
    let untouched = |d: &apol_decision| d.effect as u32 == 0 && d.rule_id.is_null();
    for (method, path, code, message) in [
        (None, Some(&b"/x"[..]), APOL_ERR_NULL, "`method` is NULL"),
        (Some(&b"GET"[..]), None, APOL_ERR_NULL, "`path` is NULL"),
        (
            Some(&b"G\xc9T"[..]),
            Some(&b"/x"[..]),
            APOL_ERR_UTF8,
            "`method` is not valid UTF-8 (bad byte at offset 1)",
        ),
        (
            Some(&b"GET"[..]),
            Some(&b"/caf\xe9"[..]),
            APOL_ERR_UTF8,
            "`path` is not valid UTF-8 (bad byte at offset 4)",
        ),
    ] {
        let (r, d, m) = http(p, "api.github.com", method, path);
        assert_eq!((r, m.as_str()), (code, message));
        assert!(untouched(&d), "out written on failure");
    }
    let mut e = err();
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    // SAFETY: the pointers are valid or NULL as each case needs.
    unsafe {
        let r = apol_decide_http(
            p,
            ptr::null(),
            0,
            ptr::null(),
            0,
            443,
            ptr::null(),
            3,
            b"/x".as_ptr().cast(),
            2,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(
            (r, msg(&e).as_str()),
            (APOL_ERR_NULL, "`method` is NULL but its length is 3")
        );
        let r = apol_decide_http(
            p,
            b"a.com".as_ptr().cast(),
            5,
            ptr::null(),
            0,
            443,
            b"GET".as_ptr().cast(),
            3,
            b"/x".as_ptr().cast(),
            usize::MAX,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_ARGUMENT);
        let r = apol_decide_http(
            ptr::null(),
            b"a.com".as_ptr().cast(),
            5,
            ptr::null(),
            0,
            443,
            b"GET".as_ptr().cast(),
            3,
            b"/x".as_ptr().cast(),
            2,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!((r, msg(&e).as_str()), (APOL_ERR_NULL, "`policy` is NULL"));
        let r = apol_decide_http(
            p,
            b"a.com".as_ptr().cast(),
            5,
            ptr::null(),
            0,
            443,
            b"GET".as_ptr().cast(),
            3,
            b"/x".as_ptr().cast(),
            2,
            ptr::null(),
            ptr::null_mut(),
            &mut e,
        );
        assert_eq!((r, msg(&e).as_str()), (APOL_ERR_NULL, "`out` is NULL"));
        assert_eq!(apol_policy_free(p), APOL_OK);
    }
}

#[test]
fn bad_arguments_are_error_codes_with_messages() {
    let p = load();
    let mut d = std::mem::MaybeUninit::<apol_decision>::uninit();
    let mut e = err();
    // SAFETY (all calls): pointers are valid or NULL as the cases need.
    unsafe {
        let r = apol_decide_network(
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            -1,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!((r, e.code), (APOL_ERR_NULL, APOL_ERR_NULL));
        assert_eq!(msg(&e), "`policy` is NULL");

        let bad = b"caf\xc3";
        let r = apol_decide_network(
            p,
            bad.as_ptr().cast(),
            bad.len(),
            ptr::null(),
            0,
            -1,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_UTF8);
        assert_eq!(msg(&e), "`host` is not valid UTF-8 (bad byte at offset 3)");

        let r = apol_decide_network(
            p,
            ptr::null(),
            5,
            ptr::null(),
            0,
            -1,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_NULL);
        assert_eq!(msg(&e), "`host` is NULL but its length is 5");

        let h = b"x";
        let r = apol_decide_network(
            p,
            h.as_ptr().cast(),
            usize::MAX,
            ptr::null(),
            0,
            -1,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_ARGUMENT);

        let r = apol_decide_network(
            p,
            h.as_ptr().cast(),
            1,
            ptr::null(),
            0,
            -1,
            ptr::null(),
            ptr::null_mut(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_NULL);
        assert_eq!(msg(&e), "`out` is NULL");

        let r = apol_decide_filesystem(
            p,
            ptr::null(),
            0,
            APOL_ACCESS_READ,
            ptr::null(),
            d.as_mut_ptr(),
            &mut e,
        );
        assert_eq!(r, APOL_ERR_NULL);
        assert_eq!(msg(&e), "`path` is NULL");

        let mut q = ptr::null_mut();
        for bytes in [&b""[..], &b"\x89APOL\r\n"[..], &common::artifact()[..40]] {
            let r = apol_policy_load(bytes.as_ptr(), bytes.len(), &mut q, &mut e);
            assert_eq!(r, APOL_ERR_ARTIFACT);
            assert!(q.is_null(), "out written on failure");
            assert!(!msg(&e).is_empty());
        }
        let r = apol_policy_load(ptr::null(), 0, &mut q, &mut e);
        assert_eq!(r, APOL_ERR_NULL);

        assert_eq!(apol_policy_free(p), APOL_OK);
        assert_eq!(apol_policy_free(p), APOL_ERR_HANDLE);
        assert_eq!(apol_policy_free(ptr::null_mut()), APOL_OK);
    }
}

/// A filesystem decision under `ctx`: the result, and the message of an
/// invalid decision ("" otherwise).
/// A typed network request for `host`, port 443.
fn network_request(host: &'static str) -> apol_request {
    apol_request {
        surface: APOL_SURFACE_NETWORK as u32,
        host: apol_str::new(host),
        ip: apol_str::none(),
        port: 443,
        path: apol_str::none(),
        access: 0,
        name: apol_str::none(),
        server: apol_str::none(),
        tool: apol_str::none(),
        source: apol_str::none(),
    }
}

fn fs(p: *const apol_policy, path: &str, ctx: &apol_context) -> (apol_result, String) {
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    // SAFETY: valid pointers; the bindings follow the cases' needs.
    let r = unsafe {
        apol_decide_filesystem(
            p,
            path.as_ptr().cast(),
            path.len(),
            APOL_ACCESS_READ,
            ctx,
            d.as_mut_ptr(),
            ptr::null_mut(),
        )
    };
    // SAFETY: zeroed is a valid apol_decision.
    let d = unsafe { d.assume_init() };
    (r, text(d.message, d.message_len))
}

fn roots_ctx(roots: &[apol_root], len: usize) -> apol_context {
    apol_context {
        roots: roots.as_ptr(),
        roots_len: len,
        user: apol_str::none(),
        session: apol_str::none(),
        agent: apol_str::none(),
    }
}

#[test]
fn root_binding_count_is_checked_before_any_binding_is_converted() {
    let p = load();
    let good = apol_root {
        name: apol_str::new("home"),
        path: apol_str::new("/home/u"),
    };
    // Converting this binding would be an error: its name is not UTF-8.
    let bad = apol_root {
        name: apol_str {
            ptr: b"\xff".as_ptr().cast(),
            len: 1,
        },
        path: apol_str::new("/x"),
    };
    let mut roots = vec![good; policy_eval::limits::MAX_ROOT_BINDINGS + 1];
    roots[0] = bad;
    let over = roots_ctx(&roots, roots.len());
    assert_eq!(
        fs(p, "/home/u/a", &over),
        (APOL_OK, "the context binds more than 64 roots".into())
    );
    // The checks before the count still come first (spec/requests.md).
    assert_eq!(
        fs(p, "a", &over),
        (
            APOL_OK,
            "path must be absolute (start with `/`): the host must absolutize it".into()
        )
    );
    // At the limit the bindings are converted, and the bad one is an error.
    let at = roots_ctx(&roots, policy_eval::limits::MAX_ROOT_BINDINGS);
    assert_eq!(fs(p, "/home/u/a", &at).0, APOL_ERR_UTF8);
    // SAFETY: live handle.
    unsafe { apol_policy_free(p) };
}

#[test]
fn root_bindings_are_ignored_on_other_surfaces() {
    let p = load();
    let garbage = [apol_root {
        name: apol_str {
            ptr: ptr::null(),
            len: 7,
        },
        path: apol_str {
            ptr: b"\xc3".as_ptr().cast(),
            len: 1,
        },
    }];
    // Not converted (NULL name, bad UTF-8), not counted (a length far over
    // the limit and the array), not validated (NULL array with a length).
    let mut null_roots = roots_ctx(&[], 5);
    null_roots.roots = ptr::null();
    // On a filesystem request they are read: the result (and message) each
    // gives there.
    let too_many = "the context binds more than 64 roots";
    let contexts = [
        (roots_ctx(&garbage, 1), (APOL_ERR_NULL, "")),
        (roots_ctx(&garbage, usize::MAX), (APOL_OK, too_many)),
        (null_roots, (APOL_ERR_NULL, "")),
    ];
    let network = network_request("github.com");
    let credential = apol_request {
        surface: APOL_SURFACE_CREDENTIAL as u32,
        name: apol_str::new("GITHUB_TOKEN"),
        ..network
    };
    let mcp = apol_request {
        surface: APOL_SURFACE_MCP as u32,
        server: apol_str::new("github"),
        ..network
    };
    for (ctx, (fs_result, fs_message)) in &contexts {
        for (req, effect, reason) in [
            (&network, APOL_EFFECT_ALLOW, APOL_REASON_RULE),
            (&credential, APOL_EFFECT_DENY, APOL_REASON_DEFAULT),
            (&mcp, APOL_EFFECT_DENY, APOL_REASON_DEFAULT),
        ] {
            let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
            let mut e = err();
            // SAFETY: valid pointers; the bindings are never read.
            let r = unsafe { apol_decide(p, req, ctx, d.as_mut_ptr(), &mut e) };
            assert_eq!(r, APOL_OK, "surface {}: {}", req.surface, msg(&e));
            // SAFETY: written on APOL_OK.
            let d = unsafe { d.assume_init() };
            assert_eq!((d.effect, d.reason), (effect, reason));
            let mut s = ptr::null_mut();
            // SAFETY: as above.
            let r = unsafe { apol_event(p, req, ctx, -1, ptr::null_mut(), &mut s, &mut e) };
            assert_eq!(r, APOL_OK, "event, surface {}: {}", req.surface, msg(&e));
            // SAFETY: a live string, freed once.
            unsafe { apol_string_free(s) };
        }
        assert_eq!(fs(p, "/a", ctx), (*fs_result, fs_message.to_string()));
    }
    // SAFETY: live handle.
    unsafe { apol_policy_free(p) };
}

#[test]
fn a_handle_of_the_other_type_is_refused() {
    let p = load();
    let req = br#"{"surface":"network","host":"github.com","port":443}"#;
    let mut s = ptr::null_mut();
    let mut e = err();
    // SAFETY (all calls): live handles, each passed where the other type is
    // expected; the magic check reads only the first 8 bytes of either.
    unsafe {
        let r = apol_decide_json_alloc(p, req.as_ptr().cast(), req.len(), &mut s, &mut e);
        assert_eq!(r, APOL_OK);
        let s_as_policy = s.cast_const().cast::<apol_policy>();
        let (r, _) = net(s_as_policy, Some(b"github.com"), 443);
        assert_eq!(r, APOL_ERR_HANDLE);
        let mut info = std::mem::MaybeUninit::<apol_policy_info>::uninit();
        let r = apol_policy_get_info(s_as_policy, info.as_mut_ptr(), &mut e);
        assert_eq!((r, e.code), (APOL_ERR_HANDLE, APOL_ERR_HANDLE));
        assert_eq!(
            msg(&e),
            "`policy` is not a live apol_policy (freed, or not from apol_policy_load)"
        );
        let p_as_string = p.cast_const().cast::<apol_string>();
        assert!(apol_string_ptr(p_as_string).is_null());
        assert_eq!(apol_string_len(p_as_string), 0);
        assert_eq!(apol_policy_free(s.cast()), APOL_ERR_HANDLE);
        assert_eq!(apol_string_free(p.cast()), APOL_ERR_HANDLE);

        // Both are untouched and still usable.
        let (r, d) = net(p, Some(b"github.com"), 443);
        assert_eq!((r, d.effect), (APOL_OK, APOL_EFFECT_ALLOW));
        let got = CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap();
        assert_eq!(got, r#"{"decision":"allow","rule":"gh","reason":"rule"}"#);
        assert_eq!(apol_string_free(s), APOL_OK);
        assert_eq!(apol_policy_free(p), APOL_OK);
    }
}

#[test]
fn json_decisions_fill_buffers_and_strings() {
    let p = load();
    let req = br#"{"surface":"network","host":"github.com","port":443}"#;
    let want = r#"{"decision":"allow","rule":"gh","reason":"rule"}"#;
    let mut buf = [0x7f_u8; 64];
    let mut len = 12345usize;
    let mut e = err();
    // SAFETY (all calls): valid pointers.
    unsafe {
        let r = apol_decide_json(
            p,
            req.as_ptr().cast(),
            req.len(),
            buf.as_mut_ptr().cast(),
            10,
            &mut len,
            &mut e,
        );
        assert_eq!(r, APOL_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, want.len() + 1);
        assert_eq!(buf[0], 0x7f, "buffer written on failure");
        let r = apol_decide_json(
            p,
            req.as_ptr().cast(),
            req.len(),
            ptr::null_mut(),
            0,
            &mut len,
            &mut e,
        );
        assert_eq!(r, APOL_ERR_BUFFER_TOO_SMALL);
        let r = apol_decide_json(
            p,
            req.as_ptr().cast(),
            req.len(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut len,
            &mut e,
        );
        assert_eq!(r, APOL_OK);
        assert_eq!(&buf[..len], want.as_bytes());
        assert_eq!(buf[len], 0);

        let mut s = ptr::null_mut();
        let bad = b"{\"surface\":\"network\",\"host\":\"\xff\"}";
        let r = apol_decide_json_alloc(p, bad.as_ptr().cast(), bad.len(), &mut s, &mut e);
        assert_eq!(r, APOL_OK);
        let got = CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap();
        assert_eq!(
            got,
            r#"{"decision":"deny","rule":null,"reason":"invalid","message":"request is not well-formed JSON"}"#
        );
        assert_eq!(apol_string_len(s), got.len());
        assert_eq!(apol_string_free(s), APOL_OK);
        assert_eq!(apol_string_free(s), APOL_ERR_HANDLE);

        let huge = vec![b' '; 70_000];
        let r = apol_decide_json_alloc(p, huge.as_ptr().cast(), huge.len(), &mut s, &mut e);
        assert_eq!(r, APOL_OK);
        let got = CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap();
        assert!(got.contains("request is larger than 64 KiB"), "{got}");
        apol_string_free(s);
        apol_policy_free(p);
    }
}

#[test]
fn events_carry_the_callers_context() {
    let p = load();
    let user = "alice";
    let ctx = apol_context {
        roots: ptr::null(),
        roots_len: 0,
        user: apol_str::new(user),
        session: apol_str::new("s-1"),
        agent: apol_str::none(),
    };
    let req = network_request("GitHub.com");
    let mut s = ptr::null_mut();
    let mut d = std::mem::MaybeUninit::<apol_decision>::zeroed();
    let mut e = err();
    // SAFETY: valid pointers.
    unsafe {
        let r = apol_event(
            p,
            &req,
            &ctx,
            1_795_464_000_123,
            d.as_mut_ptr(),
            &mut s,
            &mut e,
        );
        assert_eq!(r, APOL_OK, "{}", msg(&e));
        let line = CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap();
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["time"], "2026-11-23T20:00:00.123Z");
        assert_eq!(v["request"]["host"], "github.com");
        assert_eq!(v["rule"]["id"], "gh");
        assert_eq!(
            (v["user"].as_str(), v["agent"].as_str()),
            (Some("alice"), None)
        );
        assert_eq!(d.assume_init().effect, APOL_EFFECT_ALLOW);
        apol_string_free(s);

        let mut bad = req;
        bad.surface = 9;
        let r = apol_event(p, &bad, &ctx, -1, ptr::null_mut(), &mut s, &mut e);
        assert_eq!(r, APOL_ERR_ARGUMENT);

        let raw = b"{not json";
        let r = apol_event_json(
            p,
            raw.as_ptr().cast(),
            raw.len(),
            -1,
            ptr::null_mut(),
            &mut s,
            &mut e,
        );
        assert_eq!(r, APOL_OK);
        let line = CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap();
        assert!(
            line.contains(r#""surface":null"#) && line.ends_with('\n'),
            "{line}"
        );
        apol_string_free(s);
        apol_policy_free(p);
    }
}

#[test]
fn long_messages_are_truncated_and_terminated() {
    let mut e = err();
    let mut q = ptr::null_mut();
    let mut bytes = common::artifact();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff; // checksum mismatch
                         // SAFETY: valid pointers.
    let r = unsafe { apol_policy_load(bytes.as_ptr(), bytes.len(), &mut q, &mut e) };
    assert_eq!(r, APOL_ERR_ARTIFACT);
    assert!(
        msg(&e).starts_with("artifact checksum mismatch"),
        "{}",
        msg(&e)
    );
    assert!(msg(&e).len() < APOL_ERROR_MESSAGE_LEN);
}

/// `apol_tool_digest` on every shared vector (`tests/pins/`): the digest
/// on success, `APOL_ERR_TOOL_DEFINITION` and the Rust message otherwise.
#[test]
fn tool_digests_match_every_pin_vector() {
    use policy_eval::cases::pins::{PinExpect, PinFile};
    use policy_eval::pin::canonical_json;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/pins/tool-digest.jsonl"
    );
    let file = PinFile::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(file.cases.len() >= 70);
    let mut failures = Vec::new();
    for case in &file.cases {
        let d = &case.definition;
        let mut s = ptr::null_mut();
        let mut e = err();
        // SAFETY: valid pointers; the string is freed below.
        let r = unsafe { apol_tool_digest(d.as_ptr(), d.len(), &mut s, &mut e) };
        let got = if r == APOL_OK {
            // SAFETY: a live string handle.
            let t = unsafe { text(apol_string_ptr(s), apol_string_len(s)) };
            // SAFETY: owned by us, freed once.
            assert_eq!(unsafe { apol_string_free(s) }, APOL_OK);
            Ok(t)
        } else {
            assert_eq!(r, APOL_ERR_TOOL_DEFINITION, "{}", case.place);
            assert_eq!(e.code, r);
            assert!(s.is_null(), "out written on failure");
            let want = canonical_json(d).unwrap_err().to_string();
            assert_eq!(msg(&e), want, "{}", case.place);
            Err(canonical_json(d).unwrap_err().kind())
        };
        let checked = match &got {
            Ok(t) => case.check(Ok((None, t))),
            Err(k) => case.check(Err(k)),
        };
        failures.extend(checked.err());
        if let PinExpect::Digest { digest, .. } = &case.expect {
            assert_eq!(got.as_deref(), Ok(digest.as_str()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tool_digest_checks_its_pointers() {
    let mut s = ptr::null_mut();
    let mut e = err();
    // SAFETY: NULL pointers are what is tested; the rest are valid.
    unsafe {
        assert_eq!(
            apol_tool_digest(ptr::null(), 0, &mut s, &mut e),
            APOL_ERR_NULL
        );
        assert_eq!(msg(&e), "`json` is NULL");
        let j = b"{}";
        assert_eq!(
            apol_tool_digest(j.as_ptr(), 2, ptr::null_mut(), &mut e),
            APOL_ERR_NULL
        );
        assert_eq!(msg(&e), "`out` is NULL");
        assert_eq!(
            apol_tool_digest(j.as_ptr(), usize::MAX, &mut s, &mut e),
            APOL_ERR_ARGUMENT
        );
        // An empty definition is malformed JSON, not a NULL argument.
        assert_eq!(
            apol_tool_digest(j.as_ptr(), 0, &mut s, &mut e),
            APOL_ERR_TOOL_DEFINITION
        );
        assert!(
            msg(&e).starts_with("tool definition is not well-formed JSON"),
            "{}",
            msg(&e)
        );
        assert_eq!(
            apol_tool_digest(j.as_ptr(), 2, &mut s, ptr::null_mut()),
            APOL_OK
        );
        assert_eq!(
            CStr::from_ptr(apol_string_ptr(s)).to_str().unwrap(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        apol_string_free(s);
    }
}

/// `apol_list_tools_json`: one owned string per call, answering exactly as
/// `Policy::list_tools_json` (the listing vectors' requests on the golden
/// MCP artifact; the vectors themselves run in the C suite and Go), with
/// malformed input answered by an error object, not an error result.
#[test]
fn tool_listings_equal_the_rust_ones() {
    use policy_eval::cases::listing::ListingFile;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let bytes = std::fs::read(format!("{root}/tests/golden/mcp.apol")).unwrap();
    let rust = policy_eval::Policy::from_bytes(&bytes).unwrap();
    let p = load_bytes(&bytes);
    let path = format!("{root}/tests/listing/mcp.listing.jsonl");
    let file = ListingFile::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let list = |req: &[u8]| -> String {
        let mut s = ptr::null_mut();
        let mut e = err();
        // SAFETY: valid pointers; the string is freed below.
        let r = unsafe { apol_list_tools_json(p, req.as_ptr().cast(), req.len(), &mut s, &mut e) };
        assert_eq!(r, APOL_OK, "{}", msg(&e));
        // SAFETY: a live string handle, owned by us, freed once.
        let t = unsafe { text(apol_string_ptr(s), apol_string_len(s)) };
        assert_eq!(unsafe { apol_string_free(s) }, APOL_OK);
        t
    };
    let mut listed = 0;
    for case in &file.cases {
        let got = list(case.request.as_bytes());
        assert_eq!(got, rust.list_tools_json(&case.request), "{}", case.place);
        listed += usize::from(got.contains("\"listed\":true"));
    }
    assert!(file.cases.len() >= 15 && listed >= 3, "{listed}");
    assert_eq!(
        list(br#"{"server":"github","tools":["a"]"#),
        r#"{"error":"invalid","message":"listing request is not well-formed JSON"}"#
    );
    assert_eq!(
        list(b"{\"server\":\"\xff\",\"tools\":[]}"),
        r#"{"error":"invalid","message":"listing request is not well-formed JSON"}"#
    );
    // SAFETY: the policy is live and freed once.
    unsafe { apol_policy_free(p) };
}

#[test]
fn tool_listing_checks_its_arguments() {
    let p = load();
    let req = br#"{"server":"github","tools":["get_issue"]}"#;
    let mut s = ptr::null_mut();
    let mut e = err();
    // SAFETY: NULL pointers are what is tested; the rest are valid. An
    // oversized length is answered without reading the bytes.
    unsafe {
        let r = apol_list_tools_json(ptr::null(), req.as_ptr().cast(), req.len(), &mut s, &mut e);
        assert_eq!(r, APOL_ERR_NULL);
        assert!(s.is_null());
        let r = apol_list_tools_json(p, ptr::null(), 0, &mut s, &mut e);
        assert_eq!((r, msg(&e).as_str()), (APOL_ERR_NULL, "`request` is NULL"));
        let r = apol_list_tools_json(p, req.as_ptr().cast(), req.len(), ptr::null_mut(), &mut e);
        assert_eq!((r, msg(&e).as_str()), (APOL_ERR_NULL, "`out` is NULL"));
        let r = apol_list_tools_json(p, req.as_ptr().cast(), usize::MAX, &mut s, ptr::null_mut());
        assert_eq!(r, APOL_OK);
        assert_eq!(
            text(apol_string_ptr(s), apol_string_len(s)),
            r#"{"error":"invalid","message":"listing request is larger than 2 MiB"}"#
        );
        apol_string_free(s);
        // No MCP block: every tool is hidden by the default deny.
        let r = apol_list_tools_json(p, req.as_ptr().cast(), req.len(), &mut s, &mut e);
        assert_eq!(r, APOL_OK);
        assert_eq!(
            text(apol_string_ptr(s), apol_string_len(s)),
            r#"{"tools":[{"name":"get_issue","listed":false,"decision":"deny","rule":null,"reason":"default"}]}"#
        );
        apol_string_free(s);
        apol_policy_free(p);
    }
}
