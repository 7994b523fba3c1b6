//! Built-in target sets (`@loopback`, `@private`, `@link-local`, `@metadata`).
//!
//! Each set is written out here once; `spec/language.md` lists the same
//! members. A test checks that every member parses.

/// Names of the built-in sets, for hints.
pub const SET_NAMES: &[&str] = &["loopback", "private", "link-local", "metadata"];

/// Members of a built-in set as pattern text (addresses, CIDRs or domain
/// patterns), or `None` for an unknown name.
pub fn members(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        // 0.0.0.0/8 and :: reach local services on Linux, so they count as
        // loopback; `localhost` names per RFC 6761.
        "loopback" => &[
            "127.0.0.0/8",
            "::1/128",
            "0.0.0.0/8",
            "::/128",
            "localhost",
            "**.localhost",
        ],
        "private" => &[
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "fc00::/7",
        ],
        "link-local" => &["169.254.0.0/16", "fe80::/10"],
        "metadata" => &[
            "169.254.169.254/32",
            "169.254.170.2/32",
            "fd00:ec2::254/128",
            "100.100.100.200/32",
            "metadata.google.internal",
        ],
        _ => return None,
    })
}
