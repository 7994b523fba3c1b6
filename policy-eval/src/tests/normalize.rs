use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::decision::Invalid;
use crate::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN};
use crate::normalize::{self, Host};

fn host(s: &str) -> Result<String, Invalid> {
    let mut buf = [0u8; MAX_HOST_LEN];
    normalize::host(s, &mut buf).map(|h| match h {
        Host::Domain(d) => format!("domain:{d}"),
        Host::Ip(a) => format!("ip:{a}"),
    })
}

fn path(s: &str) -> Result<String, Invalid> {
    let mut buf = [0u8; MAX_PATH_LEN];
    normalize::path(s, &mut buf).map(str::to_owned)
}

fn name(s: &str) -> Result<String, Invalid> {
    let mut buf = [0u8; MAX_NAME_LEN];
    normalize::name(s, &mut buf).map(str::to_owned)
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Result<IpAddr, Invalid> {
    Ok(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
}

#[test]
fn host_is_lower_cased() {
    assert_eq!(host("API.GitHub.COM"), Ok("domain:api.github.com".into()));
}

#[test]
fn host_one_trailing_dot_is_stripped() {
    assert_eq!(host("evil.com."), Ok("domain:evil.com".into()));
}

#[test]
fn host_two_trailing_dots_are_an_empty_label() {
    assert_eq!(host("evil.com.."), Err(Invalid::HostEmptyLabel));
    assert_eq!(host("a..b"), Err(Invalid::HostEmptyLabel));
    assert_eq!(host(".a"), Err(Invalid::HostEmptyLabel));
    assert_eq!(host("."), Err(Invalid::HostEmptyLabel));
}

#[test]
fn host_empty_is_invalid() {
    assert_eq!(host(""), Err(Invalid::HostEmpty));
}

#[test]
fn host_allows_underscore_and_hyphen() {
    assert_eq!(
        host("_dmarc.my-host.example"),
        Ok("domain:_dmarc.my-host.example".into())
    );
}

#[test]
fn host_label_and_total_length_limits() {
    let label63 = "a".repeat(63);
    assert!(host(&format!("{label63}.com")).is_ok());
    assert_eq!(
        host(&format!("{}.com", "a".repeat(64))),
        Err(Invalid::HostLabelTooLong)
    );
    let long = [
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61),
    ]
    .join(".");
    assert_eq!(long.len(), 253);
    assert!(host(&long).is_ok());
    assert!(host(&format!("{long}.")).is_ok());
    assert_eq!(host(&format!("x{long}")), Err(Invalid::HostTooLong));
}

#[test]
fn host_of_10_kb_is_invalid() {
    assert_eq!(host(&"a".repeat(10_000)), Err(Invalid::HostTooLong));
    assert_eq!(host(&"é".repeat(5_000)), Err(Invalid::HostTooLong));
}

#[test]
fn host_with_userinfo_port_or_path_is_invalid() {
    assert_eq!(host("user@evil.com"), Err(Invalid::HostUserinfo));
    assert_eq!(host("evil.com:443"), Err(Invalid::HostPort));
    assert_eq!(host("1.2.3.4:80"), Err(Invalid::HostPort));
    assert_eq!(host("[::1]:443"), Err(Invalid::HostPort));
    assert_eq!(host("evil.com/path"), Err(Invalid::HostPath));
    assert_eq!(host("evil.com\\path"), Err(Invalid::HostPath));
    assert_eq!(host("https://evil.com"), Err(Invalid::HostPath));
    assert!(Invalid::HostPort.message().contains("port separately"));
}

#[test]
fn host_with_space_nul_control_or_percent_is_invalid() {
    assert_eq!(host("evil .com"), Err(Invalid::HostCharacter));
    assert_eq!(host("evil\0.com"), Err(Invalid::HostCharacter));
    assert_eq!(host("evil\t.com"), Err(Invalid::HostCharacter));
    assert_eq!(host("evil%2ecom"), Err(Invalid::HostPercent));
    assert_eq!(host("evil*.com"), Err(Invalid::HostCharacter));
}

#[test]
fn host_ipv4_in_every_inet_aton_spelling() {
    let lo = Ok("ip:127.0.0.1".to_string());
    for s in [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "0x7f.1",
        "0x7F.0.0.1",
        "0177.0.0.1",
        "0177.0.0.01",
        "2130706433",
        "0x7f000001",
        "017700000001",
        "127.0.0.1.",
    ] {
        assert_eq!(host(s), lo, "{s}");
    }
}

#[test]
fn host_ending_in_a_number_must_be_ipv4() {
    assert_eq!(host("256.1.1.1"), Err(Invalid::HostNumeric));
    assert_eq!(host("1.2.3.4.5"), Err(Invalid::HostNumeric));
    assert_eq!(host("08.1.1.1"), Err(Invalid::HostNumeric));
    assert_eq!(host("foo.123"), Err(Invalid::HostNumeric));
    assert_eq!(host("1.2.3.0x"), Err(Invalid::HostNumeric));
    assert_eq!(host("4294967296"), Err(Invalid::HostNumeric));
    assert_eq!(host("1.16777216"), Err(Invalid::HostNumeric));
    assert_eq!(host("1.16777215"), Ok("ip:1.255.255.255".into()));
    // A numeric label elsewhere is fine.
    assert_eq!(host("123.example"), Ok("domain:123.example".into()));
}

#[test]
fn host_ipv6_with_and_without_brackets() {
    assert_eq!(host("::1"), Ok("ip:::1".into()));
    assert_eq!(host("[::1]"), Ok("ip:::1".into()));
    assert_eq!(host("[2001:DB8::1]"), Ok("ip:2001:db8::1".into()));
    assert_eq!(host("[1.2.3.4]"), Err(Invalid::HostBrackets));
    assert_eq!(host("[::1"), Err(Invalid::HostBrackets));
}

#[test]
fn host_ipv6_zone_id_is_invalid() {
    assert_eq!(host("fe80::1%eth0"), Err(Invalid::HostPercent));
    assert_eq!(host("[fe80::1%25eth0]"), Err(Invalid::HostPercent));
    assert_eq!(
        host("::ffff:1.2.3.4%x.allowed.com"),
        Err(Invalid::HostPercent)
    );
}

#[test]
fn host_ipv4_mapped_and_compatible_ipv6_become_ipv4() {
    assert_eq!(host("::ffff:127.0.0.1"), Ok("ip:127.0.0.1".into()));
    assert_eq!(host("[::ffff:7f00:1]"), Ok("ip:127.0.0.1".into()));
    assert_eq!(host("::127.0.0.1"), Ok("ip:127.0.0.1".into()));
    assert_eq!(host("::"), Ok("ip:::".into()));
    assert_eq!(host("::1"), Ok("ip:::1".into()));
    assert_eq!(host("::2"), Ok("ip:0.0.0.2".into()));
}

#[test]
fn host_unicode_becomes_a_label() {
    assert_eq!(
        host("bücher.example"),
        Ok("domain:xn--bcher-kva.example".into())
    );
    assert_eq!(
        host("BÜCHER.example."),
        Ok("domain:xn--bcher-kva.example".into())
    );
    assert_eq!(
        host("xn--bcher-kva.example"),
        Ok("domain:xn--bcher-kva.example".into())
    );
    assert_eq!(
        host("XN--BCHER-KVA.example"),
        Ok("domain:xn--bcher-kva.example".into())
    );
    // Ideographic full stop and full-width letters are mapped by UTS 46.
    assert_eq!(host("ｅｘａｍｐｌｅ。com"), Ok("domain:example.com".into()));
}

#[test]
fn host_unicode_digits_still_form_an_ip() {
    assert_eq!(host("１２７.０.０.１"), Ok("ip:127.0.0.1".into()));
}

#[test]
fn host_bad_punycode_is_invalid() {
    assert_eq!(host("xn--a.example"), Err(Invalid::HostIdna));
}

#[test]
fn ip_field_accepts_every_spelling() {
    assert_eq!(normalize::ip("127.1"), v4(127, 0, 0, 1));
    assert_eq!(normalize::ip("0x7f.1"), v4(127, 0, 0, 1));
    assert_eq!(normalize::ip("2130706433"), v4(127, 0, 0, 1));
    assert_eq!(normalize::ip("[::ffff:10.0.0.1]"), v4(10, 0, 0, 1));
    assert_eq!(normalize::ip("::ffff:10.0.0.1"), v4(10, 0, 0, 1));
    assert_eq!(
        normalize::ip("2001:db8::1"),
        Ok(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
    );
}

#[test]
fn ip_field_rejects_names_and_zones() {
    assert_eq!(normalize::ip("example.com"), Err(Invalid::IpInvalid));
    assert_eq!(normalize::ip(""), Err(Invalid::IpInvalid));
    assert_eq!(normalize::ip("fe80::1%eth0"), Err(Invalid::IpZone));
    assert_eq!(normalize::ip("1.2.3.4:80"), Err(Invalid::IpInvalid));
    assert_eq!(normalize::ip("256.0.0.1"), Err(Invalid::IpInvalid));
}

#[test]
fn path_is_lexically_normalized() {
    assert_eq!(path("/a//b/./c/"), Ok("/a/b/c".into()));
    assert_eq!(path("/a/b/../c"), Ok("/a/c".into()));
    assert_eq!(path("/../../etc/passwd"), Ok("/etc/passwd".into()));
    assert_eq!(path("/a/.."), Ok("/".into()));
    assert_eq!(path("/"), Ok("/".into()));
    assert_eq!(path("//"), Ok("/".into()));
    assert_eq!(path("/a/..."), Ok("/a/...".into()));
}

#[test]
fn path_traversal_cannot_escape_a_root() {
    assert_eq!(
        path("/home/u/w/../../../etc/shadow"),
        Ok("/etc/shadow".into())
    );
}

#[test]
fn path_backslash_is_ordinary_and_case_is_kept() {
    assert_eq!(path("/A\\b/C"), Ok("/A\\b/C".into()));
}

#[test]
fn path_relative_home_and_empty_are_invalid() {
    assert_eq!(path("a/b"), Err(Invalid::PathRelative));
    assert_eq!(path("./a"), Err(Invalid::PathRelative));
    assert_eq!(path(""), Err(Invalid::PathRelative));
    assert_eq!(path("~/x"), Err(Invalid::PathHome));
    assert_eq!(path("~"), Err(Invalid::PathHome));
}

#[test]
fn path_nul_and_length_limits() {
    assert_eq!(path("/a\0b"), Err(Invalid::PathNul));
    assert_eq!(
        path(&format!("/{}", "a".repeat(255))),
        Ok(format!("/{}", "a".repeat(255)))
    );
    assert_eq!(
        path(&format!("/{}", "a".repeat(256))),
        Err(Invalid::PathSegmentTooLong)
    );
    let long = "/a".repeat(2048);
    assert_eq!(long.len(), 4096);
    assert!(path(&long).is_ok());
    assert_eq!(path(&format!("{long}/")), Err(Invalid::PathTooLong));
}

#[test]
fn names_are_lower_cased_printable_ascii() {
    assert_eq!(name("GITHUB_TOKEN"), Ok("github_token".into()));
    assert_eq!(name("DELETE_repo"), Ok("delete_repo".into()));
    assert_eq!(name("a/b:c"), Ok("a/b:c".into()));
    assert_eq!(name(""), Err(Invalid::NameEmpty));
    assert_eq!(name("a b"), Err(Invalid::NameCharacter));
    assert_eq!(name("tök"), Err(Invalid::NameCharacter));
    assert_eq!(name("a\n"), Err(Invalid::NameCharacter));
    assert!(name(&"a".repeat(256)).is_ok());
    assert_eq!(name(&"a".repeat(257)), Err(Invalid::NameTooLong));
}

#[test]
fn ports_are_1_to_65535() {
    assert_eq!(normalize::port(0), Err(Invalid::Port));
    assert_eq!(normalize::port(1), Ok(1));
    assert_eq!(normalize::port(65535), Ok(65535));
    assert_eq!(normalize::port(65536), Err(Invalid::Port));
}

#[test]
fn source_limits() {
    assert_eq!(normalize::source("ghcr.io/x"), Ok("ghcr.io/x"));
    assert_eq!(normalize::source(""), Err(Invalid::Source));
    assert_eq!(normalize::source("a\nb"), Err(Invalid::Source));
    assert_eq!(normalize::source(&"a".repeat(2049)), Err(Invalid::Source));
}

#[test]
fn every_invalid_has_a_message() {
    for i in Invalid::ALL {
        assert!(!i.message().is_empty());
        assert!(!i.message().ends_with('.'), "{i:?}");
    }
}

/// `spec/requests.md` lists every invalid request with its exact message, in
/// the order of [`Invalid::ALL`].
#[test]
fn the_spec_lists_every_invalid_message() {
    let spec = include_str!("../../../spec/requests.md");
    let rows: Vec<&str> = spec
        .lines()
        .skip_while(|l| !l.starts_with("| Invalid | message |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let want: Vec<String> = Invalid::ALL
        .iter()
        .map(|i| format!("| {i:?} | {} |", i.message()))
        .collect();
    assert_eq!(rows, want);
}
