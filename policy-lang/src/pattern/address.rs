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
