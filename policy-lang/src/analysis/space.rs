//! The dimensions of the request space and their cells: regexes of the
//! string patterns over canonical requests, the validity pattern of each
//! string dimension, and the elementary intervals of ports and addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::automaton::{glob_regex, labels_regex, Mode};
use crate::model::{DomainPattern, PathPattern};

/// Canonical host names: labels of letters, digits, `-` and `_`, the last
/// one not all digits (that would be an IPv4 address or invalid).
pub const HOST_VALIDITY: &str = "(?:[a-z0-9_\\-]+\\x2e)*[a-z0-9_\\-]*[a-z_\\-][a-z0-9_\\-]*";

/// Canonical absolute paths: `/`, or segments without NUL that are not `.`
/// or `..`.
pub const PATH_VALIDITY: &str =
    "\\x2f|(?:\\x2f(?:[^\\x2f\\x00\\x2e][^\\x2f\\x00]*|\\x2e[^\\x2f\\x00\\x2e][^\\x2f\\x00]*|\\x2e\\x2e[^\\x2f\\x00]+))+";

/// Normalized secret, server, tool and prompt names: printable ASCII
/// without space, lower case.
pub const NAME_VALIDITY: &str = "[\\x21-\\x40\\x5b-\\x7e]+";

/// Resource URIs: a lower-case scheme, `:`, printable ASCII (the runtime's
/// finer rules are checked on each witness).
pub const URI_VALIDITY: &str = "[a-z][a-z0-9+.\\-]*:[\\x21-\\x7e]*";

/// One or more bytes of any value (`.` would leave out `\n`).
const ANY_RUN: &str = "[\\x00-\\xff]+";

/// `s` as a regex of literal bytes.
pub fn literal(s: &str) -> String {
    s.bytes().map(|b| format!("\\x{b:02x}")).collect()
}

/// The regex of a domain pattern over canonical host names.
pub fn domain_regex(p: &DomainPattern) -> Option<String> {
    let anchor = literal(&p.anchor);
    if p.prefix.is_empty() && !p.any_depth {
        return Some(anchor);
    }
    if p.prefix.is_empty() {
        // `**.a.b` (zero or more labels) or `**` (every host).
        return Some(if p.anchor.is_empty() {
            ANY_RUN.to_string()
        } else {
            format!("(?:[^\\x2e]+\\x2e)*{anchor}")
        });
    }
    let labels = labels_regex(&p.prefix, p.any_depth)?;
    Some(if p.anchor.is_empty() {
        labels
    } else {
        format!("{labels}\\x2e{anchor}")
    })
}

/// Whether two domain patterns may match a common host: their literal
/// anchors must end alike (a necessary condition, cheap to test).
pub fn domains_may_meet(a: &DomainPattern, b: &DomainPattern) -> bool {
    a.anchor.ends_with(&b.anchor) || b.anchor.ends_with(&a.anchor)
}

/// The regex of a relative glob over non-empty relative paths, and whether
/// it matches the empty one (the root itself), as the reference's
/// `relative_matches` reads it.
fn relative_regex(glob: &str) -> Option<(Option<String>, bool)> {
    if glob == "**" {
        return Some((Some(ANY_RUN.to_string()), true));
    }
    if glob.is_empty() {
        return Some((None, true));
    }
    let mut alts = vec![glob_regex(glob, Mode::Path)?];
    let mut g = glob;
    while let Some(shorter) = g.strip_suffix("/**") {
        if shorter == "**" {
            alts.push(ANY_RUN.to_string());
            break;
        }
        alts.push(glob_regex(shorter, Mode::Path)?);
        g = shorter;
    }
    Some((Some(alts.join("|")), false))
}

/// The regex of a path pattern over canonical absolute paths, with its root
/// bound to `root` (an absolute, normalized path).
pub fn path_regex(p: &PathPattern, root: &str) -> Option<String> {
    let (rel, empty) = relative_regex(&p.glob)?;
    let base = if root == "/" {
        String::new()
    } else {
        literal(root)
    };
    let mut alts: Vec<String> = Vec::new();
    if let Some(rel) = rel {
        alts.push(format!("{base}\\x2f(?:{rel})"));
    }
    if empty {
        alts.push(if root == "/" {
            "\\x2f".to_string()
        } else {
            base
        });
    }
    Some(alts.join("|"))
}

/// The literal text a path pattern's matches start with (up to its first
/// glob character), under `root`.
pub fn path_literal_prefix(p: &PathPattern, root: &str) -> String {
    let mut s = if root == "/" {
        String::new()
    } else {
        root.to_string()
    };
    if !p.glob.is_empty() {
        s.push('/');
        s.extend(p.glob.chars().take_while(|c| !"*?[{\\".contains(*c)));
    }
    s
}

/// The regex of a name glob (secrets, tools, prompts, resource URIs).
pub fn name_regex(glob: &str) -> Option<String> {
    glob_regex(glob, Mode::Name)
}

/// The literal start of a name glob.
pub fn name_literal_prefix(glob: &str) -> &str {
    let end = glob.find(['*', '?', '[', '{', '\\']).unwrap_or(glob.len());
    &glob[..end]
}

/// The literal text a glob's matches end with (after its last glob
/// character; the whole glob when it has none).
pub fn literal_suffix(glob: &str) -> &str {
    match glob.rfind(['*', '?', '[', ']', '{', '}', '\\']) {
        Some(i) => &glob[i + 1..],
        None => glob,
    }
}

/// Whether two literal suffixes allow a common string.
pub fn suffixes_meet(a: &str, b: &str) -> bool {
    a.ends_with(b) || b.ends_with(a)
}

/// Whether two literal prefixes allow a common string.
pub fn prefixes_meet(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The elementary intervals of `lo..=hi` cut at the bounds of `ranges`
/// (inclusive): on each, every range holds all or none of it.
pub fn intervals(lo: u128, hi: u128, ranges: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut cuts: Vec<u128> = vec![lo];
    for &(s, e) in ranges {
        if s > lo && s <= hi {
            cuts.push(s);
        }
        if e < hi && e >= lo {
            cuts.push(e + 1);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &s) in cuts.iter().enumerate() {
        let e = cuts.get(i + 1).map_or(hi, |n| n - 1);
        out.push((s, e));
    }
    out
}

/// Whether an IPv6 address (as a number) embeds an IPv4 address or is read
/// as one (`spec/language.md` section 7: IPv4-compatible and -mapped,
/// SIIT, NAT64, 6to4, Teredo, ISATAP): one such address does not stand for
/// the other addresses of its cell.
pub fn embeds_ipv4(a: u128) -> bool {
    let top = |bits: u32, prefix: u128| a >> (128 - bits) == prefix >> (128 - bits);
    let isatap = (a >> 32) as u32 & 0xfdff_ffff == 0x0000_5efe;
    a >> 32 == 0
        || top(96, 0xffff << 32)
        || top(96, 0xffff_0000 << 32)
        || top(96, 0x0064_ff9b << 96)
        || top(48, 0x0064_ff9b_0001 << 80)
        || top(16, 0x2002 << 112)
        || top(32, 0x2001_0000 << 96)
        || isatap
}

/// An address family's space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The largest address.
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    /// The address `n` of this family.
    pub fn addr(self, n: u128) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX))),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(n)),
        }
    }

    /// The range of `net` when it is of this family.
    pub fn range(self, net: &IpNet) -> Option<(u128, u128)> {
        match (self, net) {
            (Family::V4, IpNet::V4(n)) => Some((
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            )),
            (Family::V6, IpNet::V6(n)) => {
                Some((u128::from(n.network()), u128::from(n.broadcast())))
            }
            _ => None,
        }
    }
}

/// An address interval as text: one CIDR when it is one, else `a-b`.
pub fn interval_text(f: Family, (s, e): (u128, u128)) -> String {
    let bits = match f {
        Family::V4 => 32u32,
        Family::V6 => 128,
    };
    let size = e.wrapping_sub(s).wrapping_add(1);
    if size == 0 {
        return format!("{}/0", f.addr(0));
    }
    if size.is_power_of_two() && s % size == 0 {
        let len = bits - size.trailing_zeros();
        return if len == bits {
            f.addr(s).to_string()
        } else {
            format!("{}/{len}", f.addr(s))
        };
    }
    format!("{}-{}", f.addr(s), f.addr(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_cut_at_every_bound() {
        assert_eq!(
            intervals(1, 100, &[(10, 20), (15, 30)]),
            vec![(1, 9), (10, 14), (15, 20), (21, 30), (31, 100)]
        );
        assert_eq!(intervals(1, 10, &[(1, 10)]), vec![(1, 10)]);
    }

    #[test]
    fn interval_text_names_cidrs() {
        assert_eq!(
            interval_text(Family::V4, (0x0a00_0000, 0x0aff_ffff)),
            "10.0.0.0/8"
        );
        assert_eq!(interval_text(Family::V4, (1, 1)), "0.0.0.1");
        assert_eq!(interval_text(Family::V4, (1, 2)), "0.0.0.1-0.0.0.2");
        assert_eq!(interval_text(Family::V6, (0, u128::MAX)), "::/0");
    }
}
