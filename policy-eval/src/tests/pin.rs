//! Canonical JSON and tool digests (`spec/pins.md`); the shared vectors
//! are in `tests/pins/tool-digest.jsonl` (run by `cases::pins`).

use proptest::prelude::*;

use crate::limits::{MAX_TOOL_DEFINITION_BYTES, MAX_TOOL_DEFINITION_DEPTH};
use crate::pin::{canonical_json, digest_text, parse_digest, tool_digest, PinError, DIGEST_PREFIX};

fn canon(s: &str) -> Result<String, PinError> {
    canonical_json(s.as_bytes())
}

#[test]
fn members_are_sorted_by_utf16_code_units_not_code_points() {
    // U+1F600 is D83D DE00 in UTF-16, below U+FB33; by code point it is above.
    let got = canon("{\"\u{fb33}\":1,\"\u{1f600}\":2,\"b\":3,\"a\":4,\"\":5}").unwrap();
    assert_eq!(
        got,
        "{\"\":5,\"a\":4,\"b\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}"
    );
}

#[test]
fn numbers_are_written_as_ecmascript_does() {
    let cases = [
        ("1e30", "1e+30"),
        ("4.50", "4.5"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0.000001", "0.000001"),
        ("1e-7", "1e-7"),
        ("9007199254740993", "9007199254740992"),
        ("18446744073709551616", "18446744073709552000"),
        ("-9223372036854775808", "-9223372036854776000"),
        ("1E21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("333333333.33333329", "333333333.3333333"),
        ("5e-324", "5e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("0.1", "0.1"),
        ("100", "100"),
    ];
    for (input, want) in cases {
        let got = canon(&format!("{{\"n\":{input}}}")).unwrap();
        assert_eq!(got, format!("{{\"n\":{want}}}"), "{input}");
    }
}

#[test]
fn strings_escape_only_quote_backslash_and_controls() {
    let got =
        canon(r#"{"s":"\u0022\u005c\/\b\f\n\r\t\u0000\u001f\u007f\u00e9\u2028\ud83d\ude00"}"#)
            .unwrap();
    assert_eq!(
        got,
        "{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}\u{e9}\u{2028}\u{1f600}\"}"
    );
}

#[test]
fn whitespace_and_member_order_do_not_change_the_digest() {
    let a = tool_digest(
        br#"{"name":"read_file","description":"Read a file","inputSchema":{"type":"object"}}"#,
    )
    .unwrap();
    let b = tool_digest(b"\t{ \"inputSchema\" : { \"type\" :\"object\" } ,\r\n \"description\":\"Read a file\",\"name\":\"read_file\"}\n ").unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with(DIGEST_PREFIX));
    let hex = &a[DIGEST_PREFIX.len()..];
    assert_eq!(hex.len(), 64);
    assert!(hex
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    let c = tool_digest(
        br#"{"name":"read_file","description":"Read a file!","inputSchema":{"type":"object"}}"#,
    )
    .unwrap();
    assert_ne!(a, c);
}

#[test]
fn the_digest_is_sha256_of_the_canonical_text() {
    // sha256("{}")
    assert_eq!(
        tool_digest(b" { } ").unwrap(),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
}

#[test]
fn a_duplicate_key_is_refused_and_named_even_when_escaped() {
    let e = canon(r#"{"a":1,"b":{"x":1,"\u0078":2}}"#).unwrap_err();
    assert_eq!(e, PinError::DuplicateKey { key: "x".into() });
    assert_eq!(e.kind(), "duplicate_key");
    assert!(e.to_string().contains("\"x\" twice"), "{e}");
}

#[test]
fn hostile_inputs_get_their_error_kind() {
    let kind = |b: &[u8]| canonical_json(b).unwrap_err().kind();
    assert_eq!(kind(b"[1]"), "not_object");
    assert_eq!(kind(b"\"x\""), "not_object");
    assert_eq!(kind(b"{} x"), "syntax");
    assert_eq!(kind(b"{}{}"), "syntax");
    assert_eq!(kind(b""), "syntax");
    assert_eq!(kind(br#"{"n":NaN}"#), "syntax");
    assert_eq!(kind(br#"{"n":Infinity}"#), "syntax");
    assert_eq!(kind(br#"{"n":1e400}"#), "number");
    assert_eq!(kind(br#"{"s":"\ud800"}"#), "syntax");
    assert_eq!(kind(br#"{"s":"\udc00x"}"#), "syntax");
    assert_eq!(kind(b"{\"s\":\"\xff\"}"), "utf8");
    assert_eq!(kind(b"\xef\xbb\xbf{}"), "syntax");
    assert_eq!(
        canonical_json(b"{\"s\":\"a\xc3\"}").unwrap_err(),
        PinError::NotUtf8 { offset: 7 }
    );
    let e = canonical_json(b"{\n  \"a\": tru }").unwrap_err();
    assert!(matches!(e, PinError::Syntax { line: 2, .. }), "{e:?}");
}

#[test]
fn nesting_is_limited_before_parsing() {
    let nest = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    assert!(canon(&nest(MAX_TOOL_DEFINITION_DEPTH)).is_ok());
    assert_eq!(
        canon(&nest(MAX_TOOL_DEFINITION_DEPTH + 1)),
        Err(PinError::TooDeep)
    );
    // Far past serde_json's own limit of 128: still our error, no overflow.
    assert_eq!(canon(&nest(10_000)), Err(PinError::TooDeep));
    // Brackets inside strings do not count.
    let s = format!("{{\"a\":\"{}\"}}", "[{".repeat(1000));
    assert!(canon(&s).is_ok());
}

#[test]
fn size_is_limited_before_parsing() {
    let pad = |n: usize| format!("{{\"d\":\"{}\"}}", "x".repeat(n - 8));
    assert_eq!(
        pad(MAX_TOOL_DEFINITION_BYTES).len(),
        MAX_TOOL_DEFINITION_BYTES
    );
    assert!(canon(&pad(MAX_TOOL_DEFINITION_BYTES)).is_ok());
    assert_eq!(
        canon(&pad(MAX_TOOL_DEFINITION_BYTES + 1)),
        Err(PinError::TooLarge {
            len: MAX_TOOL_DEFINITION_BYTES + 1
        })
    );
}

/// Arbitrary JSON values, as serde_json values (finite numbers only).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,8}|[\\u{0}-\\u{1f}\"\\\\\u{7f}\u{1f600}\u{fb33}]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("\\PC{0,4}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `v` as JSON text with its members in reverse order and whitespace
/// between every token.
fn scrambled(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n");
                }
                scrambled(item, out);
            }
            out.push_str("\t]");
        }
        Value::Object(m) => {
            out.push_str("{\r\n");
            for (i, (k, item)) in m.iter().rev().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(" : ");
                scrambled(item, out);
            }
            out.push_str(" }");
        }
        other => out.push_str(&other.to_string()),
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = canonical_json(&bytes);
        let _ = tool_digest(&bytes);
    }

    #[test]
    fn arbitrary_json_text_never_panics(s in "[{}\\[\\]\",:0-9eE.+\\-\\\\u tnrfalsedb]{0,64}") {
        if let Ok(c) = canon(&s) {
            prop_assert_eq!(canon(&c), Ok(c.clone()));
        }
    }

    #[test]
    fn canonical_form_is_idempotent_and_ignores_order_and_whitespace(
        members in proptest::collection::btree_map("\\PC{0,6}", json_value(), 0..6)
    ) {
        let v = serde_json::Value::Object(members.into_iter().collect());
        let compact = v.to_string();
        let c = canon(&compact).unwrap();
        prop_assert_eq!(canon(&c), Ok(c.clone()));
        let mut s = String::new();
        scrambled(&v, &mut s);
        prop_assert_eq!(canon(&s), Ok(c.clone()));
        prop_assert_eq!(tool_digest(s.as_bytes()), tool_digest(compact.as_bytes()));
        // The canonical text is JSON with the same members, no whitespace
        // outside strings.
        let back: serde_json::Value = serde_json::from_str(&c).unwrap();
        prop_assert_eq!(back.as_object().map(|m| m.len()), v.as_object().map(|m| m.len()));
    }
}

#[test]
fn digests_parse_with_hex_in_either_case_and_print_in_lower_case() {
    let hex = "0123456789abcdef".repeat(4);
    let d = parse_digest(&format!("sha256:{hex}")).expect("a digest");
    assert_eq!(d[0], 0x01);
    assert_eq!(d[31], 0xef);
    assert_eq!(
        parse_digest(&format!("sha256:{}", hex.to_uppercase())),
        Some(d)
    );
    assert_eq!(digest_text(&d), format!("sha256:{hex}"));
    // What tool_digest writes parses back to the same text.
    let t = tool_digest(br#"{"name":"x"}"#).unwrap();
    assert_eq!(parse_digest(&t).map(|d| digest_text(&d)), Some(t));
}

#[test]
fn anything_but_the_prefix_and_64_hex_digits_is_no_digest() {
    let hex = "ab".repeat(32);
    for bad in [
        String::new(),
        hex.clone(),
        format!("SHA256:{hex}"),
        format!("sha-256:{hex}"),
        format!("sha256:{}", &hex[1..]),
        format!("sha256:{hex}0"),
        format!(" sha256:{hex}"),
        format!("sha256:{hex} "),
        format!("sha256:{}g", &hex[1..]),
        format!("sha256:+{}", &hex[1..]),
        format!("sha256:{}é", &hex[2..]),
    ] {
        assert_eq!(parse_digest(&bad), None, "{bad:?}");
    }
}
