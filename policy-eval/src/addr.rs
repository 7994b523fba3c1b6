//! What an IP address stands for beyond itself: the IPv4 addresses that
//! transition mechanisms embed in IPv6 addresses, and the local addresses a
//! secret is never sent to by a rule that names only a host
//! (`spec/language.md` sections 7 and 9).
//!
//! Like [`crate::normalize`], these are pure functions shared by the runtime
//! and the reference interpreter, so both agree on what a request means.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most IPv4 addresses one IPv6 address can embed here (the four
/// RFC 6052 positions of the local-use NAT64 prefix, plus ISATAP).
pub const MAX_EMBEDDED: usize = 5;

/// IPv4 addresses embedded in one IPv6 address, in the order of
/// [`embedded_v4`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Embedded {
    addrs: [u32; MAX_EMBEDDED],
    len: usize,
}

impl Embedded {
    fn push(&mut self, a: u32) {
        if let Some(slot) = self.addrs.get_mut(self.len) {
            *slot = a;
            self.len += 1;
        }
    }

    /// The embedded addresses as numbers (network byte order as an integer).
    pub fn as_slice(&self) -> &[u32] {
        self.addrs.get(..self.len).unwrap_or_default()
    }

    /// The embedded addresses.
    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.as_slice().iter().map(|&a| Ipv4Addr::from(a))
    }
}

/// `len` bits of `x` starting `from` bits below the top.
fn bits(x: u128, from: u32, len: u32) -> u32 {
    ((x >> (128 - from - len)) & ((1u128 << len) - 1)) as u32
}

/// The IPv4 addresses embedded in `a` by a transition mechanism, which a
/// packet to `a` may reach:
///
/// * NAT64, the well-known prefix `64:ff9b::/96` (RFC 6052): the last 32 bits;
/// * NAT64, the local-use prefix `64:ff9b:1::/48` (RFC 8215): every position
///   RFC 6052 defines for a prefix of 48, 56, 64 or 96 bits, since the
///   operator's prefix length is not known;
/// * SIIT, IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765);
/// * 6to4, `2002:wwxx:yyzz::/48` (RFC 3056);
/// * Teredo, `2001::/32` (RFC 4380): the server, and the client (stored
///   inverted);
/// * ISATAP, any prefix with the interface identifier `0:5efe:a.b.c.d` or
///   `200:5efe:a.b.c.d` (RFC 5214).
///
/// IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses
/// are not listed: [`crate::normalize::canonical_ip`] already turns them into
/// the IPv4 address itself.
pub fn embedded_v4(a: Ipv6Addr) -> Embedded {
    let x = u128::from(a);
    let mut out = Embedded::default();
    if x >> 32 == 0x0064_ff9b_0000_0000_0000_0000 || x >> 32 == 0xffff_0000 {
        out.push(bits(x, 96, 32));
    } else if x >> 80 == 0x0064_ff9b_0001 {
        out.push(bits(x, 48, 16) << 16 | bits(x, 72, 16));
        out.push(bits(x, 56, 8) << 24 | bits(x, 72, 24));
        out.push(bits(x, 72, 32));
        out.push(bits(x, 96, 32));
    } else if x >> 112 == 0x2002 {
        out.push(bits(x, 16, 32));
    } else if x >> 96 == 0x2001_0000 {
        out.push(bits(x, 32, 32));
        out.push(!bits(x, 96, 32));
    }
    if bits(x, 64, 32) & 0xfdff_ffff == 0x0000_5efe {
        out.push(bits(x, 96, 32));
    }
    out
}

/// IPv4 ranges (inclusive) a secret is not sent to by a rule that names only
/// a host: `@loopback`, `@link-local` and `@metadata` (which
/// `policy-lang/src/sets.rs` defines; a test there keeps the two equal).
pub const LOCAL_V4: &[(u32, u32)] = &[
    (0x0000_0000, 0x00ff_ffff), // 0.0.0.0/8
    (0x6464_64c8, 0x6464_64c8), // 100.100.100.200
    (0x7f00_0000, 0x7fff_ffff), // 127.0.0.0/8
    (0xa9fe_0000, 0xa9fe_ffff), // 169.254.0.0/16 (holds 169.254.169.254, 169.254.170.2)
];

/// IPv6 ranges (inclusive) of the same sets.
pub const LOCAL_V6: &[(u128, u128)] = &[
    (0, 1), // :: and ::1
    (
        0xfd00_0ec2_0000_0000_0000_0000_0000_0254,
        0xfd00_0ec2_0000_0000_0000_0000_0000_0254,
    ), // fd00:ec2::254
    (
        0xfe80_0000_0000_0000_0000_0000_0000_0000,
        0xfebf_ffff_ffff_ffff_ffff_ffff_ffff_ffff,
    ), // fe80::/10
];

/// Whether `ip` itself lies in [`LOCAL_V4`] or [`LOCAL_V6`] (the IPv4
/// addresses it embeds, [`embedded_v4`], are the caller's to check).
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let x = u32::from(a);
            LOCAL_V4.iter().any(|&(lo, hi)| lo <= x && x <= hi)
        }
        IpAddr::V6(a) => {
            let x = u128::from(a);
            LOCAL_V6.iter().any(|&(lo, hi)| lo <= x && x <= hi)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emb(s: &str) -> Vec<String> {
        embedded_v4(s.parse().unwrap())
            .iter()
            .map(|a| a.to_string())
            .collect()
    }

    #[test]
    fn every_embedding_form_is_found() {
        assert_eq!(emb("64:ff9b::a9fe:a9fe"), ["169.254.169.254"]);
        assert_eq!(emb("64:ff9b::169.254.169.254"), ["169.254.169.254"]);
        assert_eq!(emb("::ffff:0:10.0.0.1"), ["10.0.0.1"]);
        assert_eq!(emb("2002:7f00:1::1"), ["127.0.0.1"]);
        assert_eq!(emb("2002:a9fe:a9fe:1:2:3:4:5"), ["169.254.169.254"]);
        // Teredo: server 65.54.227.120, client 192.168.1.2 stored inverted.
        assert_eq!(
            emb("2001:0:4136:e378:8000:63bf:3f57:fefd"),
            ["65.54.227.120", "192.168.1.2"]
        );
        assert_eq!(emb("2001:db8::5efe:10.1.2.3"), ["10.1.2.3"]);
        assert_eq!(emb("2001:db8::200:5efe:10.1.2.3"), ["10.1.2.3"]);
        // Local-use NAT64: the /48, /56, /64 and /96 positions of RFC 6052.
        assert_eq!(
            emb("64:ff9b:1:c000:2:2100::"),
            ["192.0.2.33", "0.2.33.0", "2.33.0.0", "0.0.0.0"]
        );
        assert_eq!(emb("64:ff9b:1::a9fe:a9fe")[3], "169.254.169.254");
    }

    #[test]
    fn ordinary_addresses_embed_nothing() {
        for s in [
            "2001:db8::1",
            "2606:4700::1111",
            "::1",
            "fe80::1",
            "64:ff9a::a9fe:a9fe",
            "64:ff9b:0:1::a9fe:a9fe",
            "2003::1",
            "2001:1::1",
        ] {
            assert!(emb(s).is_empty(), "{s}: {:?}", emb(s));
        }
    }

    #[test]
    fn local_ranges() {
        for s in [
            "127.0.0.1",
            "0.0.0.0",
            "169.254.169.254",
            "169.254.170.2",
            "100.100.100.200",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
        ] {
            assert!(is_local(s.parse().unwrap()), "{s}");
        }
        for s in [
            "10.0.0.1",
            "100.100.100.201",
            "128.0.0.1",
            "fd00:ec2::255",
            "fec0::1",
        ] {
            assert!(!is_local(s.parse().unwrap()), "{s}");
        }
        let embeds_local = |s: &str| {
            embedded_v4(s.parse().unwrap())
                .iter()
                .any(|a| is_local(IpAddr::V4(a)))
        };
        assert!(embeds_local("64:ff9b::a9fe:a9fe"));
        assert!(embeds_local("2002:7f00:1::"));
        assert!(!embeds_local("2002:0a00:1::"));
    }
}
