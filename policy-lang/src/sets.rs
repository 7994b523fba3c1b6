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
            // Deprecated site-local (RFC 3879), still routed inside some
            // networks.
            "fec0::/10",
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

/// Hosts where anything sent can be stored and read by others (pastes,
/// gists, public buckets, webhooks, tunnels): a secret sendable to one of
/// them warns (W0110). One host per service, as a request would name it.
pub const USER_CONTENT_HOSTS: &[&str] = &[
    "gist.github.com",
    "gist.githubusercontent.com",
    "raw.githubusercontent.com",
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "transfer.sh",
    "webhook.site",
    "hooks.slack.com",
    "discord.com",
    "storage.googleapis.com",
    "example-bucket.s3.amazonaws.com",
    "drive.google.com",
    "docs.google.com",
    "dropbox.com",
    "example.ngrok.io",
    "example.ngrok-free.app",
];

#[cfg(test)]
mod tests {
    use ipnet::IpNet;

    use super::*;

    #[test]
    fn every_member_is_a_valid_target() {
        for name in SET_NAMES {
            for m in members(name).unwrap() {
                let policy = format!("policy t\nnetwork {{\n  deny {m}\n}}\n");
                let checked = crate::check::check_source(&policy);
                assert!(
                    !checked.has_errors(),
                    "@{name} member {m}: {:?}",
                    checked.diagnostics
                );
            }
        }
    }

    /// The runtime's local ranges (`policy_eval::addr`, which a send to a
    /// local address is checked against) are exactly the address members of
    /// `@loopback`, `@link-local` and `@metadata`.
    #[test]
    fn runtime_local_ranges_equal_the_sets() {
        use policy_eval::addr::{LOCAL_V4, LOCAL_V6};
        let nets: Vec<IpNet> = ["loopback", "link-local", "metadata"]
            .iter()
            .flat_map(|s| members(s).unwrap().iter())
            .filter_map(|m| m.parse().ok())
            .collect();
        let mut v4: Vec<(u32, u32)> = nets
            .iter()
            .filter_map(|n| match n {
                IpNet::V4(n) => Some((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(_) => None,
            })
            .collect();
        let mut v6: Vec<(u128, u128)> = nets
            .iter()
            .filter_map(|n| match n {
                IpNet::V6(n) => Some((u128::from(n.network()), u128::from(n.broadcast()))),
                IpNet::V4(_) => None,
            })
            .collect();
        assert_eq!(merge(&mut v4), LOCAL_V4);
        assert_eq!(merge(&mut v6), LOCAL_V6);
    }

    /// Sorts inclusive ranges and merges those that overlap or touch.
    fn merge<T: Ord + Copy + TryFrom<u8> + std::ops::Add<Output = T>>(
        r: &mut [(T, T)],
    ) -> Vec<(T, T)> {
        let one = T::try_from(1).ok().unwrap();
        r.sort();
        let mut out: Vec<(T, T)> = Vec::new();
        for &(lo, hi) in r.iter() {
            match out.last_mut() {
                Some(last) if lo <= last.1 + one => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        out
    }
}
