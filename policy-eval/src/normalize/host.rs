//! Host normalization: the ASCII fast path, IDNA (UTS 46) with its early
//! length refusals, IP literals spelled as hosts.

use std::net::IpAddr;

use crate::decision::Invalid;
use crate::limits::{MAX_HOST_INPUT_LEN, MAX_HOST_LEN, MAX_LABEL_LEN};

use super::ip::{ip_literal_v6, parse_ipv4};

/// A normalized host: a domain name or an IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// Lower-case A-labels joined by dots, no trailing dot, 1..=253 bytes,
    /// labels of `a-z 0-9 - _`, 1..=63 bytes each.
    Domain(&'a str),
    /// An IP literal in any spelling; IPv4-mapped and IPv4-compatible IPv6
    /// addresses are returned as IPv4.
    Ip(IpAddr),
}

/// Normalizes a host name as given in a request.
///
/// * ASCII fast path: lower-case, strip one trailing dot, labels non-empty and
///   at most 63 bytes of `a-z 0-9 - _`, total at most 253 bytes.
/// * Non-ASCII: IDNA (UTS 46, `idna::domain_to_ascii`), then the ASCII path.
///   ASCII labels starting with `xn--` are validated through IDNA too. A
///   host whose labels cannot fit is refused before Punycode (quadratic in a
///   label's length) works on it: see `idna_lengths` and `idna_to_ascii`.
/// * IP literals in any spelling are IPs, never domains: inet_aton IPv4 forms
///   (`127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433`), IPv6 with or without
///   brackets. A host whose last label is numeric must be a valid IPv4
///   address. IPv6 zone ids are invalid.
/// * `@`, `/`, `\`, `:` (outside IPv6), `%`, spaces and control characters are
///   invalid: pass the bare host and the port separately.
///
/// The domain form is written into `buf` (no allocation for ASCII input).
pub fn host<'b>(input: &str, buf: &'b mut [u8; MAX_HOST_LEN]) -> Result<Host<'b>, Invalid> {
    if input.is_empty() {
        return Err(Invalid::HostEmpty);
    }
    if input.len() > MAX_HOST_INPUT_LEN {
        return Err(Invalid::HostTooLong);
    }
    let bytes = input.as_bytes();
    if let Some(len) = plain_domain(bytes, buf) {
        let out = buf.get(..len).unwrap_or_default();
        return std::str::from_utf8(out)
            .map(Host::Domain)
            .map_err(|_| Invalid::HostCharacter);
    }
    // Characters with a structural meaning in URLs come first, so the message
    // names the actual mistake.
    check_host_punctuation(bytes)?;
    if bytes.contains(&b':') || bytes.first() == Some(&b'[') {
        return ip_literal_v6(input, true).map(Host::Ip);
    }
    if input.is_ascii() {
        // Too long either way (`ascii_host` says so first on both paths
        // below): refused before the scan for `xn--` labels.
        if input.strip_suffix('.').unwrap_or(input).len() > MAX_HOST_LEN {
            return Err(Invalid::HostTooLong);
        }
        // A label starting with `xn--` (any case) needs IDNA validation.
        let needs_idna = (0..bytes.len()).any(|i| {
            (i == 0 || bytes[i - 1] == b'.')
                && bytes
                    .get(i..i + 4)
                    .is_some_and(|l| l.eq_ignore_ascii_case(b"xn--"))
        });
        if !needs_idna {
            return ascii_host(input, buf);
        }
        let lowered = ascii_host(input, buf)?;
        let Host::Domain(d) = lowered else {
            return Ok(lowered);
        };
        // Validate punycode labels; a valid A-label maps to itself.
        match idna::domain_to_ascii(d) {
            Ok(mapped) if mapped == d => Ok(Host::Domain(d)),
            _ => Err(Invalid::HostIdna),
        }
    } else {
        idna_lengths(input)?;
        mapped_host(&idna_to_ascii(input)?, buf)
    }
}

/// The checks after IDNA, on its ASCII result: as for an ASCII host.
fn mapped_host<'b>(mapped: &str, buf: &'b mut [u8; MAX_HOST_LEN]) -> Result<Host<'b>, Invalid> {
    if mapped.is_empty() {
        return Err(Invalid::HostEmpty);
    }
    let mb = mapped.as_bytes();
    check_host_punctuation(mb)?;
    if mb.contains(&b':') || mb.first() == Some(&b'[') {
        return ip_literal_v6(mapped, true).map(Host::Ip);
    }
    ascii_host(mapped, buf)
}

/// The cheap refusal before IDNA, whose work grows with the input (Punycode
/// quadratically in a label's length): splits `input` at every dot UTS 46
/// knows (`.`, U+3002, U+FF0E, U+FF61) and counts characters. More than
/// [`MAX_HOST_LEN`] + 1 characters and dots in all (one trailing dot is
/// dropped) → [`Invalid::HostTooLong`]; else a label of more than
/// [`MAX_LABEL_LEN`] characters → [`Invalid::HostLabelTooLong`]. Every character counts, also
/// those IDNA would drop (U+00AD) or merge (combining marks): a host that
/// needs them to fit is refused, which costs no honest host anything and
/// bounds the work for every other.
fn idna_lengths(input: &str) -> Result<(), Invalid> {
    if utf8_chars(input.as_bytes()) > MAX_HOST_LEN + 1 {
        return Err(Invalid::HostTooLong);
    }
    let mut label = 0usize;
    for c in input.chars() {
        if matches!(c, '.' | '\u{3002}' | '\u{ff0e}' | '\u{ff61}') {
            label = 0;
        } else {
            label += 1;
            if label > MAX_LABEL_LEN {
                return Err(Invalid::HostLabelTooLong);
            }
        }
    }
    Ok(())
}

/// The number of characters of UTF-8 `bytes`: the bytes that do not
/// continue a sequence (`10xxxxxx`), counted eight at a time.
fn utf8_chars(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let chunks = bytes.chunks_exact(8);
    let tail = chunks
        .remainder()
        .iter()
        .filter(|&&b| b & 0xc0 == 0x80)
        .count();
    let continuing: usize = chunks
        .map(|c| {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            (w & !(w << 1) & HIGH).count_ones() as usize
        })
        .sum();
    bytes.len() - continuing - tail
}

/// UTS 46 ToASCII as `idna::domain_to_ascii` does it (no ASCII deny list,
/// hyphens allowed, no length check), except that no label is encoded once
/// the host cannot fit: the A-label of a label with a character that is not
/// ASCII is `xn--` and at least one byte per character, so a label of more
/// than 59 characters after mapping → [`Invalid::HostLabelTooLong`], and
/// such labels adding up, with their dots, to more than [`MAX_HOST_LEN`]
/// bytes → [`Invalid::HostTooLong`]. This bounds the Punycode work for
/// labels that mapping made longer (a ligature such as U+FB03 is three
/// letters).
fn idna_to_ascii(input: &str) -> Result<String, Invalid> {
    use idna::uts46::{AsciiDenyList, ErrorPolicy, Hyphens, ProcessingSuccess, Uts46};
    let (mut label_long, mut host_long, mut total) = (false, false, 0usize);
    let mut out = String::new();
    let done = Uts46::new().process(
        input.as_bytes(),
        AsciiDenyList::EMPTY,
        Hyphens::Allow,
        ErrorPolicy::FailFast,
        // Called for each label with a character that is not ASCII, before
        // encoding it; `true` writes it as Unicode instead.
        |label, _, _| {
            total += label.len() + "xn--.".len();
            label_long |= label.len() + "xn--".len() > MAX_LABEL_LEN;
            host_long |= total > MAX_HOST_LEN + 1;
            label_long || host_long
        },
        &mut out,
        None,
    );
    match done {
        Ok(_) if host_long => Err(Invalid::HostTooLong),
        Ok(_) if label_long => Err(Invalid::HostLabelTooLong),
        Ok(ProcessingSuccess::Passthrough) => Ok(input.to_owned()),
        Ok(ProcessingSuccess::WroteToSink) => Ok(out),
        Err(_) => Err(Invalid::HostIdna),
    }
}

/// The fast path for the common host: ASCII letters, digits, `-`, `_` and
/// dots, labels of 1 to 63 bytes, at most one trailing dot, no `xn--` label,
/// last label not numeric. Writes the lower-cased form into `buf` and returns
/// its length; `None` sends every other input down the full path (which also
/// words the error). One table lookup per byte; labels are checked at their
/// end (the profile in `benches/README.md` found this function at almost
/// half of a domain decision when it tested every byte in turn).
fn plain_domain(bytes: &[u8], buf: &mut [u8; MAX_HOST_LEN]) -> Option<usize> {
    let s = bytes.strip_suffix(b".").unwrap_or(bytes);
    let out = buf.get_mut(..s.len())?;
    let mut start = 0usize;
    for (i, (&b, o)) in s.iter().zip(out.iter_mut()).enumerate() {
        let c = PLAIN_HOST_BYTE[usize::from(b)];
        if c == 0 {
            return None;
        }
        *o = c;
        if c == b'.' {
            if !plain_label(s.get(start..i)?) {
                return None;
            }
            start = i + 1;
        }
    }
    let last = s.get(start..)?;
    (plain_label(last) && !ends_in_number(last)).then_some(s.len())
}

/// For each byte: its lower-case form if it may appear in a plain host
/// (`a-z`, `A-Z`, `0-9`, `-`, `_`, `.`), else 0.
static PLAIN_HOST_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => b,
            b'A'..=b'Z' => b.to_ascii_lowercase(),
            _ => 0,
        };
        i += 1;
    }
    t
};

/// A label the fast path accepts: 1 to 63 bytes, not an `xn--` A-label.
fn plain_label(label: &[u8]) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && !label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"xn--"))
}

fn check_host_punctuation(bytes: &[u8]) -> Result<(), Invalid> {
    // A first pass without branches, which the compiler vectorizes: a host
    // of up to 1,024 bytes is scanned in tens of nanoseconds, and the loop
    // below runs only to name the problem.
    let bad =
        |b: u8| (b <= 0x20) | (b == 0x7f) | (b == b'@') | (b == b'/') | (b == b'\\') | (b == b'%');
    if !bytes.iter().fold(false, |any, &b| any | bad(b)) {
        return Ok(());
    }
    for &b in bytes {
        match b {
            b'@' => return Err(Invalid::HostUserinfo),
            b'/' | b'\\' => return Err(Invalid::HostPath),
            b'%' => return Err(Invalid::HostPercent),
            0..=0x20 | 0x7f => return Err(Invalid::HostCharacter),
            _ => {}
        }
    }
    Ok(())
}

/// The ASCII pipeline: trailing dot, numeric hosts, labels, lower-casing.
fn ascii_host<'b>(input: &str, buf: &'b mut [u8; MAX_HOST_LEN]) -> Result<Host<'b>, Invalid> {
    let s = input.strip_suffix('.').unwrap_or(input);
    if s.is_empty() {
        return Err(if input.is_empty() {
            Invalid::HostEmpty
        } else {
            Invalid::HostEmptyLabel
        });
    }
    if s.len() > MAX_HOST_LEN {
        return Err(Invalid::HostTooLong);
    }
    let last = s.rsplit('.').next().unwrap_or(s);
    if ends_in_number(last.as_bytes()) {
        return parse_ipv4(s)
            .map(|a| Host::Ip(IpAddr::V4(a)))
            .ok_or(Invalid::HostNumeric);
    }
    let mut label_len = 0usize;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let lower = b.to_ascii_lowercase();
        match lower {
            b'.' => {
                if label_len == 0 {
                    return Err(Invalid::HostEmptyLabel);
                }
                label_len = 0;
            }
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {
                label_len += 1;
                if label_len > MAX_LABEL_LEN {
                    return Err(Invalid::HostLabelTooLong);
                }
            }
            _ => return Err(Invalid::HostCharacter),
        }
        match buf.get_mut(i) {
            Some(slot) => *slot = lower,
            None => return Err(Invalid::HostTooLong),
        }
    }
    if label_len == 0 {
        return Err(Invalid::HostEmptyLabel);
    }
    let out = buf.get(..s.len()).ok_or(Invalid::HostTooLong)?;
    std::str::from_utf8(out)
        .map(Host::Domain)
        .map_err(|_| Invalid::HostCharacter)
}

/// WHATWG "ends in a number": the last label is all digits, or `0x` + hex.
fn ends_in_number(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    b.len() >= 2
        && b[0] == b'0'
        && (b[1] | 0x20) == b'x'
        && b[2..].iter().all(u8::is_ascii_hexdigit)
}

/// Whether `s` is a normalized domain (what [`host`] returns as
/// [`Host::Domain`]), or empty when `allow_empty`.
pub fn is_normalized_domain(s: &str, allow_empty: bool) -> bool {
    if s.is_empty() {
        return allow_empty;
    }
    s.len() <= MAX_HOST_LEN
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= MAX_LABEL_LEN
                && l.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
        })
}

#[cfg(test)]
mod idna_bound_tests {
    use super::*;
    use idna::uts46::{AsciiDenyList, Hyphens, Uts46};
    use proptest::prelude::*;

    fn to_unicode(s: &str) -> (String, bool) {
        let (out, r) = Uts46::new().to_unicode(s.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
        (out.into_owned(), r.is_ok())
    }

    /// The host as the code before the early refusals gave it: IDNA on the
    /// whole input, then the ASCII checks.
    fn full_path(input: &str) -> Result<String, Invalid> {
        let mut buf = [0u8; MAX_HOST_LEN];
        let mapped = idna::domain_to_ascii(input).map_err(|_| Invalid::HostIdna)?;
        mapped_host(&mapped, &mut buf).map(show)
    }

    fn new_path(input: &str) -> Result<String, Invalid> {
        let mut buf = [0u8; MAX_HOST_LEN];
        host(input, &mut buf).map(show)
    }

    fn show(h: Host<'_>) -> String {
        match h {
            Host::Domain(d) => format!("domain:{d}"),
            Host::Ip(a) => format!("ip:{a}"),
        }
    }

    const LENGTH: [Invalid; 2] = [Invalid::HostLabelTooLong, Invalid::HostTooLong];

    /// `idna_lengths` splits labels at the four dots only: no other
    /// character maps to a string with a dot (which would split a label it
    /// counts as one). Checked over every character, 256 per IDNA call (an
    /// invalid character shows as U+FFFD, the others as their mapping).
    #[test]
    fn only_the_four_dots_map_to_a_dot() {
        let dots = ['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'];
        let all: Vec<char> = ('\u{80}'..=char::MAX)
            .filter(|c| !dots.contains(c))
            .collect();
        for chunk in all.chunks(256) {
            let label: String = std::iter::once('a').chain(chunk.iter().copied()).collect();
            let (out, _) = to_unicode(&label);
            assert!(
                !out.contains('.'),
                "a character of {:?}..={:?} maps to a dot",
                chunk[0],
                chunk[chunk.len() - 1]
            );
        }
        for d in dots {
            assert_eq!(to_unicode(&format!("a{d}b")), ("a.b".to_string(), true));
        }
    }

    /// Characters for generated labels: letters of many scripts, and
    /// characters IDNA drops, merges or expands (combining marks, ignored
    /// code points, jamo, a ligature).
    const ALPHABET: &[char] = &[
        'a', 'z', '0', '-', 'é', 'ß', 'Ω', 'ж', 'ア', '中', '丁', '七', '한', 'ｘ', 'Ａ', '𝐚', 'Ⅻ',
        '①', '\u{301}', '\u{308}', '\u{ad}', '\u{200b}', '\u{fe0f}', '\u{1161}', '\u{11a8}',
        '\u{1100}', '\u{93e}', 'ሀ', 'ሁ', '\u{fb03}',
    ];
    const DOTS: &[char] = &['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'];

    fn label() -> impl Strategy<Value = String> {
        let len = prop_oneof![0usize..4, 55usize..70];
        (len, any::<u64>()).prop_flat_map(|(n, _)| {
            prop::collection::vec(prop::sample::select(ALPHABET), n)
                .prop_map(|cs| cs.into_iter().collect::<String>())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The early refusals change the answer only for a host with a
        /// label of more than 63 characters or more than 254 characters in
        /// all (which they refuse as too long); otherwise a host IDNA
        /// accepts gets the same answer, and one it refuses is refused,
        /// possibly naming a length where the full path names another
        /// problem.
        #[test]
        fn early_refusal_agrees_with_the_full_path(
            labels in prop::collection::vec(label(), 1..6),
            dots in prop::collection::vec(prop::sample::select(DOTS), 6),
            trailing in any::<bool>(),
        ) {
            let mut s = String::new();
            for (i, l) in labels.iter().enumerate() {
                if i > 0 {
                    s.push(dots[i]);
                }
                s.push_str(l);
            }
            if trailing {
                s.push(dots[0]);
            }
            prop_assume!(!s.is_ascii() && !s.is_empty() && s.len() <= MAX_HOST_INPUT_LEN);
            let over = labels.iter().any(|l| l.chars().count() > MAX_LABEL_LEN)
                || s.chars().count() > MAX_HOST_LEN + 1;
            let (new, old) = (new_path(&s), full_path(&s));
            match (&new, &old) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(e), Ok(_)) => {
                    prop_assert!(over && LENGTH.contains(e), "{:?}: {:?} for {:?}", s, new, old)
                }
                (Err(e), Err(f)) => {
                    prop_assert!(e == f || LENGTH.contains(e), "{:?}: {:?} for {:?}", s, e, f);
                    if LENGTH.contains(f) {
                        prop_assert!(LENGTH.contains(e), "{:?}: {:?} for {:?}", s, e, f);
                    }
                }
                (Ok(_), Err(_)) => prop_assert!(false, "{:?}: {:?} for {:?}", s, new, old),
            }
            prop_assert_eq!(over, idna_lengths(&s).is_err(), "{:?}", s);
        }
    }

    #[test]
    fn a_label_of_64_counted_characters_is_refused_before_idna() {
        let wide = |n: usize| "ａ".repeat(n);
        for (host, want) in [
            (
                format!("{}。com", wide(63)),
                Ok(format!("domain:{}.com", "a".repeat(63))),
            ),
            (format!("{}。com", wide(64)), Err(Invalid::HostLabelTooLong)),
            (
                format!("{}.é", "a".repeat(63)),
                Ok(format!("domain:{}.xn--9ca", "a".repeat(63))),
            ),
            (
                format!("{}.é", "a".repeat(64)),
                Err(Invalid::HostLabelTooLong),
            ),
        ] {
            assert_eq!(new_path(&host), want, "{host}");
            assert_eq!(full_path(&host), want, "{host}");
        }
        assert_eq!(idna_lengths(&format!("{}。com", wide(63))), Ok(()));
        assert_eq!(
            idna_lengths(&format!("{}。com", wide(64))),
            Err(Invalid::HostLabelTooLong)
        );
    }

    #[test]
    fn a_host_counting_over_253_is_refused_before_idna() {
        let wide = |n: usize| "ａ".repeat(n);
        let name = [wide(63), wide(63), wide(63), wide(61)].join("。");
        let ascii = [
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(61),
        ]
        .join(".");
        let longer = [wide(63), wide(63), wide(63), wide(62)].join("。");
        for (host, want) in [
            (name.clone(), Ok(format!("domain:{ascii}"))),
            (format!("{name}。"), Ok(format!("domain:{ascii}"))),
            // 254 counted: left to IDNA, then too long; one more, refused.
            (longer.clone(), Err(Invalid::HostTooLong)),
            (format!("{longer}。"), Err(Invalid::HostTooLong)),
        ] {
            assert_eq!(new_path(&host), want, "{host}");
            assert_eq!(full_path(&host), want, "{host}");
        }
        assert_eq!(idna_lengths(&format!("{name}。")), Ok(()));
        assert_eq!(idna_lengths(&longer), Ok(()));
        assert_eq!(
            idna_lengths(&format!("{longer}。")),
            Err(Invalid::HostTooLong)
        );
    }

    proptest! {
        #[test]
        fn utf8_chars_counts_characters(s in ".{0,40}") {
            prop_assert_eq!(utf8_chars(s.as_bytes()), s.chars().count());
        }
    }

    #[test]
    fn characters_idna_drops_or_merges_count_before_it() {
        // 400 soft hyphens would vanish (`ab.com`, 806 bytes in): refused.
        let padded = format!("a{}b.com", "\u{ad}".repeat(400));
        assert_eq!(new_path(&padded), Err(Invalid::HostTooLong));
        let padded = format!("a{}b.com", "\u{ad}".repeat(100));
        assert_eq!(new_path(&padded), Err(Invalid::HostLabelTooLong));
        assert_eq!(full_path(&padded), Ok("domain:ab.com".into()));
        // 63 letters, each followed by a combining mark that composes: 126
        // characters in, refused; 31 of them fit and are decided as IDNA says.
        let composed = format!("{}.com", "e\u{301}".repeat(63));
        assert_eq!(new_path(&composed), Err(Invalid::HostLabelTooLong));
        let short = format!("{}.com", "e\u{301}".repeat(31));
        assert_eq!(new_path(&short), full_path(&short));
        assert!(new_path(&short).is_ok());
    }

    #[test]
    fn a_label_too_long_for_an_a_label_is_refused_before_encoding() {
        // Up to 63 characters pass the count; after mapping, 60 characters
        // cannot fit in an A-label (`xn--` and at least one byte each).
        for n in [58, 59, 60, 61, 63, 200] {
            let host = format!("{}.com", "ሀ".repeat(n));
            assert_eq!(idna_lengths(&host).is_ok(), n <= MAX_LABEL_LEN, "{n}");
            assert_eq!(new_path(&host), Err(Invalid::HostLabelTooLong), "{n}");
            assert_eq!(full_path(&host), Err(Invalid::HostLabelTooLong), "{n}");
            let encoded = idna::domain_to_ascii(&host).map_err(|_| Invalid::HostIdna);
            if n <= 59 {
                assert_eq!(idna_to_ascii(&host), encoded, "{n}");
            } else {
                assert!(encoded.is_ok(), "{n}");
                assert_eq!(idna_to_ascii(&host), Err(Invalid::HostLabelTooLong), "{n}");
            }
        }
        assert!(new_path(&format!("{}.com", "ሀ".repeat(20))).is_ok());
    }

    #[test]
    fn labels_adding_up_past_253_are_refused_before_encoding() {
        // Labels of 55 characters fit (61-byte A-labels); five of them, at
        // least 5 * (4 + 55) + 4 = 299 bytes, cannot.
        let label = "ሀ".repeat(55);
        let four = [&label[..]; 4].join(".");
        let five = [&label[..]; 5].join(".");
        assert_eq!(new_path(&four), full_path(&four));
        assert!(new_path(&four).is_ok());
        assert_eq!(new_path(&five), Err(Invalid::HostTooLong));
        assert_eq!(full_path(&five), Err(Invalid::HostTooLong));
        assert!(idna::domain_to_ascii(&five).is_ok());
        assert_eq!(idna_to_ascii(&five), Err(Invalid::HostTooLong));
    }

    #[test]
    fn a_1_kib_host_of_ideographs_is_refused_before_idna() {
        let ideographs: String = (0x4e00..0x4e00 + 340).filter_map(char::from_u32).collect();
        let host = format!("{ideographs}.com");
        assert_eq!(host.len(), MAX_HOST_INPUT_LEN);
        assert_eq!(idna_lengths(&host), Err(Invalid::HostTooLong));
        assert_eq!(new_path(&host), Err(Invalid::HostTooLong));
        assert_eq!(full_path(&host), Err(Invalid::HostTooLong));
        // 100 of them in one label: short enough in all, too long a label.
        let label: String = ideographs.chars().take(100).collect();
        assert_eq!(
            new_path(&format!("{label}.com")),
            Err(Invalid::HostLabelTooLong)
        );
        // A long ASCII `xn--` label next to a non-ASCII one, which IDNA
        // would decode (also quadratic), is refused the same way.
        let punycode = format!("é.xn--{}", "a".repeat(1000));
        assert_eq!(idna_lengths(&punycode), Err(Invalid::HostTooLong));
        let punycode = format!("é.xn--{}", "a".repeat(100));
        assert_eq!(idna_lengths(&punycode), Err(Invalid::HostLabelTooLong));
    }
}
