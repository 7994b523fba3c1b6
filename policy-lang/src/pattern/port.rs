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
