//! IP addresses and ports: every inet_aton IPv4 spelling, IPv6 literals,
//! mapped and compatible IPv6 as IPv4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::decision::Invalid;
use crate::limits::MAX_HOST_INPUT_LEN;

/// Parses one inet_aton number: decimal, octal (leading `0`) or hex (`0x`).
fn parse_ipv4_part(part: &[u8]) -> Option<u64> {
    let (digits, radix) = match part {
        [] => return None,
        [b'0', x, rest @ ..] if (x | 0x20) == b'x' => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (part, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        let v = (d as char).to_digit(radix)?;
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(v))?;
        if value > u64::from(u32::MAX) {
            return None;
        }
    }
    Some(value)
}

/// The common spelling, parsed in one pass: four decimal parts of 0 to 255
/// without leading zeros (`192.0.2.1`). Every such string means the same
/// address to [`parse_ipv4`]; `None` sends the rest there. (The profile in
/// `benches/README.md` found `str::split` and the general parser at three
/// quarters of an IP decision.)
fn dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut k = 0usize;
    let mut value = 0u32;
    let mut digits = 0u32;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits > 0 && value == 0 {
                    return None; // a leading zero: octal in inet_aton
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 => {
                *octets.get_mut(k)? = value as u8;
                k += 1;
                (value, digits) = (0, 0);
            }
            _ => return None,
        }
    }
    if k != 3 || digits == 0 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

/// Parses the classic inet_aton IPv4 forms: `a.b.c.d`, `a.b.c`, `a.b`, `a`,
/// each part decimal, octal or hex. No trailing dot (the caller strips one).
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    dotted_quad(s.as_bytes()).or_else(|| inet_aton(s))
}

/// [`parse_ipv4`] without the fast path.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let mut parts = [0u64; 4];
    let mut n = 0usize;
    for p in s.split('.') {
        let slot = parts.get_mut(n)?;
        *slot = parse_ipv4_part(p.as_bytes())?;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let (head, last) = (&parts[..n - 1], parts[n - 1]);
    if head.iter().any(|&p| p > 255) {
        return None;
    }
    let last_bits = 8 * (5 - n as u32);
    if last_bits < 32 && last >> last_bits != 0 {
        return None;
    }
    let mut v: u64 = 0;
    for (i, &p) in head.iter().enumerate() {
        v |= p << (24 - 8 * i as u32);
    }
    v |= last;
    u32::try_from(v).ok().map(Ipv4Addr::from)
}

/// Parses an IPv6 literal, with or without brackets. `as_host` selects the
/// error variants reported for host fields.
pub(super) fn ip_literal_v6(input: &str, as_host: bool) -> Result<IpAddr, Invalid> {
    let (inner, bracketed) = match input.strip_prefix('[') {
        Some(rest) => match rest.strip_suffix(']') {
            Some(inner) => (inner, true),
            None => {
                return Err(if !as_host {
                    Invalid::IpInvalid
                } else if rest.contains("]:") {
                    Invalid::HostPort
                } else {
                    Invalid::HostBrackets
                })
            }
        },
        None => (input, false),
    };
    if inner.contains('%') {
        return Err(if as_host {
            Invalid::HostPercent
        } else {
            Invalid::IpZone
        });
    }
    match inner.parse::<Ipv6Addr>() {
        Ok(a) => Ok(canonical_ip(IpAddr::V6(a))),
        Err(_) if !as_host => Err(Invalid::IpInvalid),
        Err(_) if bracketed => Err(Invalid::HostBrackets),
        Err(_) => Err(Invalid::HostPort),
    }
}

/// Maps IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`,
/// except `::` and `::1`) IPv6 addresses to IPv4; other addresses unchanged.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let high = bits >> 32;
            let low = (bits & 0xffff_ffff) as u32;
            if high == 0xffff || (high == 0 && bits > 1) {
                IpAddr::V4(Ipv4Addr::from(low))
            } else {
                IpAddr::V6(v6)
            }
        }
        v4 => v4,
    }
}

/// Normalizes the `ip` field: every IPv4 spelling of
/// [`host`](fn@super::host), IPv6 with or without brackets, zone ids
/// invalid, mapped and compatible IPv6 as IPv4. Anything that is not an IP
/// literal is invalid.
pub fn ip(input: &str) -> Result<IpAddr, Invalid> {
    if input.is_empty() || input.len() > MAX_HOST_INPUT_LEN {
        return Err(Invalid::IpInvalid);
    }
    if let Some(a) = dotted_quad(input.as_bytes()) {
        return Ok(IpAddr::V4(a));
    }
    if input.contains(':') || input.starts_with('[') {
        return ip_literal_v6(input, false);
    }
    if input.contains('%') {
        return Err(Invalid::IpZone);
    }
    let s = input.strip_suffix('.').unwrap_or(input);
    parse_ipv4(s).map(IpAddr::V4).ok_or(Invalid::IpInvalid)
}

/// Validates a port: `1..=65535`.
pub fn port(p: u32) -> Result<u16, Invalid> {
    match u16::try_from(p) {
        Ok(v) if v != 0 => Ok(v),
        _ => Err(Invalid::Port),
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The dotted-quad fast path never disagrees with the general
        /// inet_aton parser, and takes every canonical address.
        #[test]
        fn dotted_quad_agrees_with_inet_aton(s in "[0-9.x]{0,18}", a in any::<u32>()) {
            if let Some(fast) = dotted_quad(s.as_bytes()) {
                prop_assert_eq!(Some(fast), inet_aton(&s));
            }
            let canonical = Ipv4Addr::from(a).to_string();
            prop_assert_eq!(dotted_quad(canonical.as_bytes()), Some(Ipv4Addr::from(a)));
        }
    }

    #[test]
    fn dotted_quad_leaves_other_spellings_to_inet_aton() {
        for s in [
            "127.1",
            "0177.0.0.1",
            "0x7f.0.0.1",
            "127.0.0.01",
            "256.0.0.1",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "1.2.3.4.5",
            "",
        ] {
            assert_eq!(dotted_quad(s.as_bytes()), None, "{s}");
        }
        assert_eq!(dotted_quad(b"0.0.0.0"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(dotted_quad(b"255.255.255.255"), Some(Ipv4Addr::BROADCAST));
    }
}
