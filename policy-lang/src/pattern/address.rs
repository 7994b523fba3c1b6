//! IP addresses and CIDRs (`spec/language.md`, "Addresses and CIDRs").

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};

use super::{err, PatternError};
use crate::diag::Code;

/// Parses an IP address or CIDR; IPv4-mapped IPv6 ranges become IPv4.
pub fn address(text: &str) -> Result<(IpNet, Vec<PatternError>), PatternError> {
    let mut warnings = Vec::new();
    let unbracketed = match text.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']').ok_or_else(|| {
                err(
                    Code::InvalidAddress,
                    format!("unclosed `[` in `{text}`"),
                    None,
                )
            })?;
            format!("{inner}{after}")
        }
        None => text.to_string(),
    };
    let net = match unbracketed.split_once('/') {
        Some((addr, len)) => {
            let ip = IpAddr::from_str(addr).map_err(|_| bad_address(addr))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
                err(
                    Code::InvalidAddress,
                    format!(
                        "prefix length `{len}` is out of range for {} (0-{max})",
                        if ip.is_ipv4() { "IPv4" } else { "IPv6" }
                    ),
                    Some("write the prefix length as a number of bits, e.g. `10.0.0.0/8`"),
                )
            })?;
            let net = IpNet::new(ip, len).map_err(|_| bad_address(text))?;
            if net.trunc() != net {
                warnings.push(err(
                    Code::HostBits,
                    format!("`{text}` has host bits set"),
                    Some(&format!("it covers `{}`; write that instead", net.trunc())),
                ));
            }
            net.trunc()
        }
        None => {
            let ip = IpAddr::from_str(&unbracketed).map_err(|_| bad_address(&unbracketed))?;
            IpNet::from(ip)
        }
    };
    let net = unmap(net);
    if let IpNet::V6(v6) = net {
        let bits = u128::from(v6.network());
        if v6.prefix_len() >= 96 && bits >> 32 == 0 && bits > 1 {
            let v4 = std::net::Ipv4Addr::from((bits & 0xffff_ffff) as u32);
            return Err(err(
                Code::InvalidAddress,
                format!(
                    "`{text}` is an IPv4-compatible IPv6 address, which requests present as IPv4"
                ),
                Some(&format!("write the IPv4 form, e.g. `{v4}`")),
            ));
        }
    }
    Ok((net, warnings))
}

fn bad_address(text: &str) -> PatternError {
    err(
        Code::InvalidAddress,
        format!("`{text}` is not a valid IP address"),
        Some("write IPv4 in dotted decimal (`10.0.0.1`) and IPv6 in RFC 4291 form (`fd00::1`)"),
    )
}

/// `::ffff:a.b.c.d/n` (n >= 96) is the IPv4 range `a.b.c.d/(n-96)`.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if v6.prefix_len() >= 96 {
            if let Some(v4) = v6.addr().to_ipv4_mapped() {
                if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                    return IpNet::V4(n);
                }
            }
        }
    }
    net
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    fn ok(text: &str) -> (String, Vec<&'static str>) {
        let (net, warnings) = address(text).expect("valid address");
        (
            net.to_string(),
            warnings.iter().map(|w| w.0.as_str()).collect(),
        )
    }

    #[test]
    fn a_cidr_is_that_range() {
        assert_eq!(ok("10.0.0.0/8"), ("10.0.0.0/8".into(), vec![]));
        assert_eq!(ok("2001:db8::/32"), ("2001:db8::/32".into(), vec![]));
    }

    #[test]
    fn an_address_is_a_single_host_range() {
        assert_eq!(ok("192.0.2.7").0, "192.0.2.7/32");
        assert_eq!(ok("2001:db8::10").0, "2001:db8::10/128");
    }

    #[test]
    fn ipv6_may_be_written_in_brackets() {
        assert_eq!(ok("[2001:db8::]/32").0, "2001:db8::/32");
        assert_eq!(ok("[2001:db8::10]").0, "2001:db8::10/128");
        assert_eq!(code_of(address("[2001:db8::10")), "E0102");
    }

    #[test]
    fn ipv4_mapped_ranges_are_ipv4() {
        assert_eq!(ok("::ffff:10.0.0.0/104").0, "10.0.0.0/8");
        assert_eq!(ok("::ffff:192.0.2.1").0, "192.0.2.1/32");
    }

    #[test]
    fn ipv4_compatible_addresses_are_e0102_except_the_unspecified_and_loopback() {
        assert_eq!(code_of(address("::10.0.0.1")), "E0102");
        assert_eq!(code_of(address("::a00:0/104")), "E0102");
        assert_eq!(ok("::1").0, "::1/128");
        assert_eq!(ok("::").0, "::/128");
    }

    #[test]
    fn host_bits_are_cleared_with_w0101() {
        assert_eq!(ok("10.1.2.3/8"), ("10.0.0.0/8".into(), vec!["W0101"]));
    }

    #[test]
    fn ipv4_is_dotted_decimal_with_four_parts_and_no_leading_zeros() {
        assert_eq!(code_of(address("127.1")), "E0102");
        assert_eq!(code_of(address("010.0.0.1")), "E0102");
        assert_eq!(code_of(address("0x7f.0.0.1")), "E0102");
    }

    #[test]
    fn prefix_lengths_are_0_to_32_and_0_to_128() {
        assert_eq!(ok("0.0.0.0/0").0, "0.0.0.0/0");
        assert_eq!(ok("::/0").0, "::/0");
        assert_eq!(code_of(address("10.0.0.0/33")), "E0102");
        assert_eq!(code_of(address("fd00::/129")), "E0102");
        assert_eq!(code_of(address("10.0.0.0/x")), "E0102");
    }
}
