//! Domain patterns (`spec/language.md`, "Domain patterns").

use policy_eval::limits;

use super::{err, PatternError};
use crate::diag::Code;
use crate::model::DomainPattern;

/// Parses and normalizes a domain pattern.
pub fn domain(text: &str) -> Result<(DomainPattern, Vec<PatternError>), PatternError> {
    let mut warnings = Vec::new();
    let invalid = |msg: String, help: &str| err(Code::InvalidDomain, msg, Some(help));
    let mut t = text;
    if let Some(stripped) = t.strip_suffix('.') {
        if stripped.ends_with('.') || stripped.is_empty() {
            return Err(invalid(
                format!("empty label in `{text}`"),
                "remove the extra dot",
            ));
        }
        warnings.push(err(
            Code::TrailingDot,
            format!("trailing dot in `{text}` is ignored"),
            Some(&format!(
                "write `{stripped}`; requests with a trailing dot match it anyway"
            )),
        ));
        t = stripped;
    }
    let mut labels: Vec<String> = Vec::new();
    for (i, label) in t.split('.').enumerate() {
        if label.is_empty() {
            return Err(invalid(
                format!("empty label in `{text}`"),
                "remove the extra dot",
            ));
        }
        if label == "**" {
            if i != 0 {
                return Err(invalid(
                    format!("`**` may only be the leftmost label, in `{text}`"),
                    "write `**.example.com` for the apex and every subdomain",
                ));
            }
            labels.push(label.to_string());
            continue;
        }
        if label.contains("**") {
            return Err(invalid(
                format!("`**` must be a whole label, in `{text}`"),
                "use `*` for part of a label, e.g. `api-*.example.com`",
            ));
        }
        let ascii = if label.is_ascii() {
            label.to_ascii_lowercase()
        } else {
            if label.contains('*') {
                return Err(invalid(
                    format!("wildcard in a non-ASCII label, in `{text}`"),
                    "write the label in punycode (`xn--...`) to combine it with `*`",
                ));
            }
            if let Some((a, b)) = mixed_scripts(label) {
                warnings.push(err(
                    Code::MixedScript,
                    format!("label `{label}` mixes {a} and {b} letters"),
                    Some(
                        "look-alike names are a phishing trick; check the name is the one you mean",
                    ),
                ));
            }
            idna::domain_to_ascii(label).map_err(|_| {
                invalid(
                    format!("`{label}` is not a valid internationalized label"),
                    "check the name; it must convert to punycode (IDNA)",
                )
            })?
        };
        if let Some(bad) = ascii
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*')))
        {
            return Err(invalid(
                format!("character `{bad}` is not allowed in domain pattern `{text}`"),
                "domain patterns hold letters, digits, `-`, `_` and the wildcards `*` and `**`",
            ));
        }
        if ascii.len() > limits::MAX_LABEL_LEN {
            return Err(invalid(
                format!(
                    "label `{label}` is longer than {} bytes",
                    limits::MAX_LABEL_LEN
                ),
                "DNS labels hold at most 63 bytes",
            ));
        }
        labels.push(ascii);
    }
    let total: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    if total > limits::MAX_HOST_LEN {
        return Err(invalid(
            format!(
                "domain pattern `{text}` is longer than {} bytes",
                limits::MAX_HOST_LEN
            ),
            "DNS names hold at most 253 bytes",
        ));
    }
    if let Some(last) = labels.last() {
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("`{text}` ends in a numeric label, so no host name can match it"),
                "hosts like this are IP addresses; write the address in dotted decimal or as a CIDR",
            ));
        }
    }
    let any_depth = labels.first().is_some_and(|l| l == "**");
    let body = if any_depth { &labels[1..] } else { &labels[..] };
    let literal_from = body
        .iter()
        .rposition(|l| l.contains('*'))
        .map_or(0, |i| i + 1);
    Ok((
        DomainPattern {
            prefix: body[..literal_from].to_vec(),
            any_depth,
            anchor: body[literal_from..].join("."),
        },
        warnings,
    ))
}

/// The script of a letter, by Unicode block, for the look-alike lint.
fn script(c: char) -> &'static str {
    match u32::from(c) {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => "Latin",
        0x370..=0x3ff | 0x1f00..=0x1fff => "Greek",
        0x400..=0x52f => "Cyrillic",
        0x530..=0x58f => "Armenian",
        0x590..=0x5ff => "Hebrew",
        0x600..=0x6ff => "Arabic",
        0x900..=0x97f => "Devanagari",
        0xe00..=0xe7f => "Thai",
        0x10a0..=0x10ff => "Georgian",
        0x3040..=0x30ff => "Kana",
        0x4e00..=0x9fff => "Han",
        0xac00..=0xd7af => "Hangul",
        _ => "other",
    }
}

/// Two different scripts among the letters of a label, if any. Japanese
/// mixes Han and Kana by design, so that pair does not count.
fn mixed_scripts(label: &str) -> Option<(&'static str, &'static str)> {
    let mut first: Option<&'static str> = None;
    for c in label.chars().filter(|c| c.is_alphabetic()) {
        let s = script(c);
        match first {
            None => first = Some(s),
            Some(f) if f != s && !matches!((f, s), ("Han", "Kana") | ("Kana", "Han")) => {
                return Some((f, s))
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    /// The prefix labels joined by dots, `any_depth`, the anchor and the
    /// warning codes.
    fn ok(text: &str) -> (String, bool, String, Vec<&'static str>) {
        let (d, warnings) = domain(text).expect("valid domain pattern");
        let codes = warnings.iter().map(|w| w.0.as_str()).collect();
        (d.prefix.join("."), d.any_depth, d.anchor, codes)
    }

    #[test]
    fn patterns_are_lower_cased() {
        assert_eq!(ok("Docs.RS"), ("".into(), false, "docs.rs".into(), vec![]));
    }

    #[test]
    fn a_star_label_is_exactly_one_label() {
        assert_eq!(
            ok("*.example.com"),
            ("*".into(), false, "example.com".into(), vec![])
        );
        assert_eq!(
            ok("*.*.example.com"),
            ("*.*".into(), false, "example.com".into(), vec![])
        );
    }

    #[test]
    fn a_star_inside_a_label_stays_in_the_prefix() {
        assert_eq!(
            ok("api-*.example.com"),
            ("api-*".into(), false, "example.com".into(), vec![])
        );
        assert_eq!(ok("*cdn.example.net").0, "*cdn");
    }

    #[test]
    fn double_star_is_allowed_only_as_the_whole_leftmost_label() {
        assert_eq!(
            ok("**.example.com"),
            ("".into(), true, "example.com".into(), vec![])
        );
        assert_eq!(
            ok("**.api-*.example.com"),
            ("api-*".into(), true, "example.com".into(), vec![])
        );
        assert_eq!(ok("**"), ("".into(), true, String::new(), vec![]));
        assert_eq!(ok("*"), ("*".into(), false, String::new(), vec![]));
        assert_eq!(code_of(domain("a.**.com")), "E0101");
        assert_eq!(code_of(domain("a**.com")), "E0101");
    }

    #[test]
    fn one_trailing_dot_is_removed_with_w0104() {
        assert_eq!(
            ok("example.com."),
            ("".into(), false, "example.com".into(), vec!["W0104"])
        );
        assert_eq!(code_of(domain("example.com..")), "E0101");
        assert_eq!(code_of(domain(".")), "E0101");
    }

    #[test]
    fn an_empty_label_is_e0101() {
        assert_eq!(code_of(domain("api..example.com")), "E0101");
        assert_eq!(code_of(domain(".example.com")), "E0101");
    }

    #[test]
    fn unicode_labels_become_punycode_a_labels() {
        assert_eq!(
            ok("bücher.de"),
            ("".into(), false, "xn--bcher-kva.de".into(), vec![])
        );
    }

    #[test]
    fn a_label_mixing_scripts_warns_w0105() {
        // A Cyrillic `а` among Latin letters.
        let (_, _, anchor, codes) = ok("p\u{430}ypal.com");
        assert_eq!(codes, vec!["W0105"]);
        assert!(anchor.starts_with("xn--"), "{anchor}");
        // Japanese mixes Han and Kana by design.
        assert_eq!(ok("日本ご.jp").3, Vec::<&str>::new());
    }

    #[test]
    fn a_star_cannot_stand_in_a_non_ascii_label() {
        assert_eq!(code_of(domain("bü*.de")), "E0101");
    }

    #[test]
    fn labels_hold_letters_digits_hyphen_underscore_and_star() {
        assert_eq!(ok("my_host-1.example.com").2, "my_host-1.example.com");
        assert_eq!(code_of(domain("ex!ample.com")), "E0101");
        assert_eq!(code_of(domain("a b.com")), "E0101");
    }

    #[test]
    fn a_label_holds_at_most_63_bytes() {
        let max = format!("{}.com", "a".repeat(limits::MAX_LABEL_LEN));
        assert_eq!(ok(&max).2, max);
        let over = format!("{}.com", "a".repeat(limits::MAX_LABEL_LEN + 1));
        assert_eq!(code_of(domain(&over)), "E0101");
    }

    #[test]
    fn a_name_holds_at_most_253_bytes() {
        let label = "a".repeat(62);
        let max = format!("{label}.{label}.{label}.{label}.a"); // 4 * 63 + 1
        assert_eq!(max.len(), limits::MAX_HOST_LEN);
        assert_eq!(ok(&max).2, max);
        assert_eq!(code_of(domain(&format!("a{max}"))), "E0101");
    }

    #[test]
    fn a_numeric_last_label_is_e0101() {
        assert_eq!(code_of(domain("foo.123")), "E0101");
        assert_eq!(ok("foo.123a").2, "foo.123a");
    }
}
