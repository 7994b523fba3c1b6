//! Network targets (section 7 of `spec/language.md`): a built-in set, an
//! address or CIDR, or a domain pattern, told apart by their spelling.

use policy_eval::limits;

use super::{address, domain, too_long, PatternError};
use crate::diag::{did_you_mean, Code};
use crate::model::NetTarget;
use crate::sets;

/// Parses a network target: a built-in set, an address or CIDR, or a domain
/// pattern. Returns the targets (a set expands to several) and warnings.
pub fn net_target(text: &str) -> Result<(Vec<NetTarget>, Vec<PatternError>), PatternError> {
    if text.len() > limits::MAX_PATTERN_LEN {
        return Err(too_long(text));
    }
    if let Some(name) = text.strip_prefix('@') {
        let Some(members) = sets::members(name) else {
            let help = did_you_mean(name, sets::SET_NAMES)
                .map(|s| format!("did you mean `@{s}`?"))
                .unwrap_or_else(|| format!("built-in sets are @{}", sets::SET_NAMES.join(", @")));
            return Err((
                Code::UnknownSet,
                format!("unknown built-in set `{text}`"),
                Some(help),
            ));
        };
        let mut out = Vec::new();
        for m in members {
            out.extend(net_target(m)?.0);
        }
        return Ok((out, Vec::new()));
    }
    let looks_like_address = text.contains(':')
        || text.contains('/')
        || text.starts_with('[')
        || text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if looks_like_address {
        let (net, warnings) = address(text)?;
        Ok((vec![NetTarget::Net(net)], warnings))
    } else {
        let (d, warnings) = domain(text)?;
        Ok((vec![NetTarget::Domain(d)], warnings))
    }
}
