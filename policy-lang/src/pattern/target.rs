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

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;
    use crate::model::DomainText;

    fn texts(text: &str) -> Vec<String> {
        let (targets, _) = net_target(text).expect("valid target");
        targets
            .iter()
            .map(|t| match t {
                NetTarget::Domain(d) => d.text(),
                NetTarget::Net(n) => n.to_string(),
            })
            .collect()
    }

    #[test]
    fn a_target_with_colon_slash_bracket_or_only_digits_and_dots_is_an_address() {
        assert_eq!(texts("::1"), ["::1/128"]);
        assert_eq!(texts("10.0.0.0/8"), ["10.0.0.0/8"]);
        assert_eq!(texts("[fd00::1]"), ["fd00::1/128"]);
        assert_eq!(texts("192.0.2.1"), ["192.0.2.1/32"]);
        // Digits and dots only: an address, so `127.1` is E0102, not a domain.
        assert_eq!(code_of(net_target("127.1")), "E0102");
    }

    #[test]
    fn any_other_target_is_a_domain_pattern() {
        assert_eq!(texts("Docs.rs"), ["docs.rs"]);
        assert_eq!(texts("**.python.org"), ["**.python.org"]);
        assert_eq!(code_of(net_target("foo.123")), "E0101");
    }

    #[test]
    fn a_set_stands_for_its_members() {
        assert_eq!(texts("@link-local"), ["169.254.0.0/16", "fe80::/10"]);
        assert_eq!(
            texts("@loopback"),
            [
                "127.0.0.0/8",
                "::1/128",
                "0.0.0.0/8",
                "::/128",
                "localhost",
                "**.localhost"
            ]
        );
    }

    #[test]
    fn an_unknown_set_is_e0103_with_a_suggestion() {
        let Err((code, message, help)) = net_target("@metdata") else {
            panic!("unknown set accepted");
        };
        assert_eq!(code.as_str(), "E0103");
        assert_eq!(message, "unknown built-in set `@metdata`");
        assert_eq!(help.as_deref(), Some("did you mean `@metadata`?"));
    }

    #[test]
    fn a_target_over_the_pattern_limit_is_e0003() {
        let long = format!("{}.com", "a.".repeat(limits::MAX_PATTERN_LEN));
        assert_eq!(code_of(net_target(&long)), "E0003");
    }
}
