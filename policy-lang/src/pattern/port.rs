//! Ports and port ranges (`spec/language.md`, "Ports").

use super::{err, PatternError};
use crate::diag::Code;

/// Parses a port or an inclusive port range.
pub fn port_range(text: &str) -> Result<(u16, u16), PatternError> {
    let one = |s: &str| -> Result<u16, PatternError> {
        s.parse::<u32>()
            .ok()
            .filter(|p| (1..=65535).contains(p))
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| {
                err(
                    Code::InvalidPort,
                    format!("port `{s}` is out of range"),
                    Some("ports are 1 to 65535"),
                )
            })
    };
    let (lo, hi) = match text.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let p = one(text)?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(err(
            Code::InvalidPort,
            format!("port range `{text}` is reversed"),
            Some(&format!("write `{hi}-{lo}`")),
        ));
    }
    Ok((lo, hi))
}

/// Sorts and merges inclusive ranges.
pub fn merge_ranges(mut ranges: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    ranges.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn a_port_is_a_one_port_range() {
        assert_eq!(port_range("443"), Ok((443, 443)));
    }

    #[test]
    fn a_range_is_inclusive() {
        assert_eq!(port_range("8000-9000"), Ok((8000, 9000)));
        assert_eq!(port_range("1-65535"), Ok((1, 65535)));
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(code_of(port_range("0")), "E0104");
        assert_eq!(code_of(port_range("70000")), "E0104");
        assert_eq!(code_of(port_range("99999999999")), "E0104");
        assert_eq!(code_of(port_range("http")), "E0104");
    }

    #[test]
    fn a_range_start_is_not_above_its_end() {
        let Err((code, _, help)) = port_range("9000-8000") else {
            panic!("reversed range accepted");
        };
        assert_eq!(code.as_str(), "E0104");
        assert_eq!(help.as_deref(), Some("write `8000-9000`"));
    }

    #[test]
    fn a_port_list_is_sorted_and_merged() {
        assert_eq!(
            merge_ranges(vec![(8443, 8443), (443, 443), (444, 500), (490, 600)]),
            vec![(443, 600), (8443, 8443)]
        );
    }
}
