//! The JSON text of a request handed over from JavaScript (`spec/wasm.md`,
//! "Requests from JavaScript").
//!
//! Two conversions would decide a request other than the one the host holds:
//! wasm-bindgen turns each lone surrogate of a JS string into U+FFFD, and
//! `JSON.stringify` writes `NaN` and `±Infinity` as `null` (an absent field),
//! calls `toJSON` methods and leaves out functions and symbols. So a string
//! must be well-formed UTF-16, and an object is written out here, property by
//! property, refusing every value that JSON cannot carry as it is: the request
//! is then invalid like any malformed JSON text.
//!
//! The walk reads values through [`JsInput`], which `js.rs` implements for
//! wasm-bindgen's `JsValue`, so that its rules are tested natively.

use std::fmt::Write;

use policy_eval::limits::{MAX_JSON_DEPTH, MAX_JSON_LIST_BYTES, MAX_JSON_REQUEST_BYTES};
use policy_eval::Invalid;

/// What a JavaScript value is, as far as JSON goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `undefined`: a property left out, `null` in an array (as
    /// `JSON.stringify` does).
    Undefined,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (`typeof` `"number"`), NaN and infinities included.
    Number(f64),
    /// A string.
    String,
    /// An array (`Array.isArray`).
    Array,
    /// Any other object.
    Object,
    /// A function, symbol or bigint: no JSON form.
    Other,
}

/// The reads the walk makes on a JavaScript value. `None` means the
/// JavaScript code run by the read (a getter, a proxy trap) threw.
pub trait JsInput: Sized {
    /// The value's kind.
    fn kind(&self) -> Kind;
    /// A string's text as wasm-bindgen converts it (each lone surrogate
    /// becomes U+FFFD); `None` for anything but a string. One boundary call
    /// on the fast path (`decideJson`).
    fn text(&self) -> Option<String>;
    /// Whether a string has no lone surrogate (asked only when its
    /// [`text`](JsInput::text) holds a U+FFFD).
    fn is_well_formed(&self) -> bool;
    /// Whether an object has a callable `toJSON` (own or inherited).
    fn has_to_json(&self) -> Option<bool>;
    /// An object's own enumerable string keys, in order (`Object.keys`).
    fn keys(&self) -> Option<Vec<Self>>;
    /// An array's `length`.
    fn length(&self) -> Option<u32>;
    /// `value[key]`.
    fn get(&self, key: &Self) -> Option<Self>;
    /// `value[index]`.
    fn at(&self, index: u32) -> Option<Self>;
}

/// The JSON text of a request given as a string: the string itself, unless
/// it holds a lone surrogate (`JsonSyntax`, as invalid UTF-8 is in the other
/// runtimes). Anything but a string has no text (`JsonSyntax`). A string over
/// the size limit is returned as is, for the decision to say so first.
pub fn string_text<V: JsInput>(value: &V) -> Result<String, Invalid> {
    match value.text() {
        Some(text) => whole_string(value, text, MAX_JSON_REQUEST_BYTES),
        None => Err(Invalid::JsonSyntax),
    }
}

/// The JSON text of a request: a string as [`string_text`] gives it, any
/// other value written out as `JSON.stringify` would, except that a value
/// without a faithful JSON form (a string with a lone surrogate, NaN,
/// `±Infinity`, an object with `toJSON`, a function, symbol or bigint, or
/// `undefined` itself) is `JsonSyntax`, and writing stops past the size
/// limit (`JsonTooLarge`) or the depth limit (`JsonTooDeep`): the first
/// problem found is the answer.
pub fn request_text<V: JsInput>(value: &V) -> Result<String, Invalid> {
    text_within(value, MAX_JSON_REQUEST_BYTES)
}

/// The JSON text of a listing request (`spec/requests.md`, "Listing
/// tools"), as [`request_text`] writes a request, within the listing size
/// limit ([`MAX_JSON_LIST_BYTES`]) instead.
pub fn listing_text<V: JsInput>(value: &V) -> Result<String, Invalid> {
    text_within(value, MAX_JSON_LIST_BYTES)
}

fn text_within<V: JsInput>(value: &V, limit: usize) -> Result<String, Invalid> {
    if let Some(text) = value.text() {
        return whole_string(value, text, limit);
    }
    if value.kind() == Kind::Undefined {
        return Err(Invalid::JsonSyntax);
    }
    let mut w = Writer {
        text: String::new(),
        limit,
    };
    w.value(value, 0)?;
    Ok(w.text)
}

/// `text`, the whole request given as the string `value`, checked.
fn whole_string<V: JsInput>(value: &V, text: String, limit: usize) -> Result<String, Invalid> {
    if text.len() <= limit && !well_formed(value, &text) {
        return Err(Invalid::JsonSyntax);
    }
    Ok(text)
}

fn well_formed<V: JsInput>(value: &V, lossy: &str) -> bool {
    // Without a U+FFFD the conversion replaced nothing; with one, it may be
    // a real U+FFFD, which is allowed.
    !lossy.contains('\u{FFFD}') || value.is_well_formed()
}

struct Writer {
    text: String,
    /// Largest text written before `JsonTooLarge`.
    limit: usize,
}

impl Writer {
    /// Writes `value`, inside `depth` arrays and objects.
    fn value<V: JsInput>(&mut self, value: &V, depth: usize) -> Result<(), Invalid> {
        self.write(value, value.kind(), depth)
    }

    fn write<V: JsInput>(&mut self, value: &V, kind: Kind, depth: usize) -> Result<(), Invalid> {
        match kind {
            Kind::Null | Kind::Undefined => self.text.push_str("null"),
            Kind::Bool(b) => self.text.push_str(if b { "true" } else { "false" }),
            // Rust prints a finite f64 as the shortest decimal that reads
            // back as it, without an exponent: integers as integers, as
            // `JSON.stringify` does below 1e21 (above, the text is a float
            // for serde either way). `-0` is `0`, as in JavaScript.
            Kind::Number(n) if n.is_finite() => {
                let _ = write!(self.text, "{}", if n == 0.0 { 0.0 } else { n });
            }
            Kind::Number(_) | Kind::Other => return Err(Invalid::JsonSyntax),
            Kind::String => self.string(value)?,
            Kind::Array | Kind::Object => {
                if depth >= MAX_JSON_DEPTH {
                    return Err(Invalid::JsonTooDeep);
                }
                // A `toJSON` that cannot even be read is refused too.
                if value.has_to_json().unwrap_or(true) {
                    return Err(Invalid::JsonSyntax);
                }
                if kind == Kind::Array {
                    self.array(value, depth + 1)?;
                } else {
                    self.object(value, depth + 1)?;
                }
            }
        }
        self.fits()
    }

    fn array<V: JsInput>(&mut self, value: &V, depth: usize) -> Result<(), Invalid> {
        let len = value.length().ok_or(Invalid::JsonSyntax)?;
        self.text.push('[');
        for i in 0..len {
            if i > 0 {
                self.text.push(',');
            }
            let item = value.at(i).ok_or(Invalid::JsonSyntax)?;
            self.value(&item, depth)?;
        }
        self.text.push(']');
        Ok(())
    }

    fn object<V: JsInput>(&mut self, value: &V, depth: usize) -> Result<(), Invalid> {
        let keys = value.keys().ok_or(Invalid::JsonSyntax)?;
        self.text.push('{');
        let mut first = true;
        for key in &keys {
            let item = value.get(key).ok_or(Invalid::JsonSyntax)?;
            let kind = item.kind();
            if kind == Kind::Undefined {
                continue;
            }
            if !first {
                self.text.push(',');
            }
            first = false;
            self.string(key)?;
            self.text.push(':');
            self.write(&item, kind, depth)?;
        }
        self.text.push('}');
        Ok(())
    }

    fn string<V: JsInput>(&mut self, value: &V) -> Result<(), Invalid> {
        let text = value.text().ok_or(Invalid::JsonSyntax)?;
        if self.text.len() + text.len() > self.limit {
            return Err(Invalid::JsonTooLarge);
        }
        if !well_formed(value, &text) {
            return Err(Invalid::JsonSyntax);
        }
        let quoted = serde_json::to_string(&text).map_err(|_| Invalid::JsonSyntax)?;
        self.text.push_str(&quoted);
        self.fits()
    }

    fn fits(&self) -> Result<(), Invalid> {
        if self.text.len() > self.limit {
            return Err(Invalid::JsonTooLarge);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    /// A JavaScript value: strings as UTF-16, objects as ordered properties.
    #[derive(Debug, Clone)]
    enum Js {
        Undefined,
        Null,
        Bool(bool),
        Number(f64),
        Str(Vec<u16>),
        Array(Vec<Js>),
        Object(Vec<(Js, Js)>),
        /// An object with these properties and a `toJSON` method.
        WithToJson(Vec<(Js, Js)>),
        /// A function, symbol or bigint.
        Other,
        /// An object with one getter, `x`, that throws.
        Throws,
        /// An object whose property `self` is itself.
        Cycle,
    }

    fn s(text: &str) -> Js {
        Js::Str(text.encode_utf16().collect())
    }

    /// A string of these UTF-16 code units.
    fn units(text: &[u16]) -> Js {
        Js::Str(text.to_vec())
    }

    fn obj(props: &[(&str, Js)]) -> Js {
        Js::Object(props.iter().map(|(k, v)| (s(k), v.clone())).collect())
    }

    impl JsInput for Js {
        fn kind(&self) -> Kind {
            match self {
                Js::Undefined => Kind::Undefined,
                Js::Null => Kind::Null,
                Js::Bool(b) => Kind::Bool(*b),
                Js::Number(n) => Kind::Number(*n),
                Js::Str(_) => Kind::String,
                Js::Array(_) => Kind::Array,
                Js::Object(_) | Js::WithToJson(_) | Js::Throws | Js::Cycle => Kind::Object,
                Js::Other => Kind::Other,
            }
        }
        fn text(&self) -> Option<String> {
            match self {
                Js::Str(u) => Some(String::from_utf16_lossy(u)),
                _ => None,
            }
        }
        fn is_well_formed(&self) -> bool {
            match self {
                Js::Str(u) => String::from_utf16(u).is_ok(),
                _ => panic!("not a string: {self:?}"),
            }
        }
        fn has_to_json(&self) -> Option<bool> {
            Some(matches!(self, Js::WithToJson(_)))
        }
        fn keys(&self) -> Option<Vec<Js>> {
            match self {
                Js::Object(props) | Js::WithToJson(props) => {
                    Some(props.iter().map(|(k, _)| k.clone()).collect())
                }
                Js::Throws => Some(vec![s("x")]),
                Js::Cycle => Some(vec![s("self")]),
                _ => panic!("not an object: {self:?}"),
            }
        }
        fn length(&self) -> Option<u32> {
            match self {
                Js::Array(items) => Some(items.len() as u32),
                _ => panic!("not an array: {self:?}"),
            }
        }
        fn get(&self, key: &Js) -> Option<Js> {
            let Js::Str(key) = key else {
                panic!("key {key:?}")
            };
            match self {
                Js::Object(props) | Js::WithToJson(props) => Some(
                    props
                        .iter()
                        .find(|(k, _)| matches!(k, Js::Str(k) if k == key))
                        .map_or(Js::Undefined, |(_, v)| v.clone()),
                ),
                Js::Throws => None,
                Js::Cycle => Some(Js::Cycle),
                _ => panic!("not an object: {self:?}"),
            }
        }
        fn at(&self, index: u32) -> Option<Js> {
            match self {
                Js::Array(items) => Some(items[index as usize].clone()),
                _ => panic!("not an array: {self:?}"),
            }
        }
    }

    const LONE_HIGH: u16 = 0xD800;
    const LONE_LOW: u16 = 0xDC00;

    fn network(host: Js, port: Js) -> Js {
        obj(&[("surface", s("network")), ("host", host), ("port", port)])
    }

    #[test]
    fn an_object_is_written_in_property_order_like_json_stringify() {
        let req = obj(&[
            ("surface", s("filesystem")),
            ("path", s("/w/\"q\"\\\u{1}é😀")),
            ("access", s("read")),
            ("skipped", Js::Undefined),
            ("context", obj(&[("roots", obj(&[("workspace", s("/w"))]))])),
            ("user", Js::Null),
            (
                "flags",
                Js::Array(vec![Js::Bool(true), Js::Undefined, Js::Bool(false)]),
            ),
        ]);
        assert_eq!(
            request_text(&req).unwrap(),
            r#"{"surface":"filesystem","path":"/w/\"q\"\\\u0001é😀","access":"read","context":{"roots":{"workspace":"/w"}},"user":null,"flags":[true,null,false]}"#
        );
    }

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (n, text) in [
            (443.0, "443"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (-1.0, "-1"),
            // 2^64: the shortest digits that read back, as in JavaScript.
            (18446744073709551616.0, "18446744073709552000"),
        ] {
            let req = obj(&[("port", Js::Number(n))]);
            assert_eq!(request_text(&req).unwrap(), format!(r#"{{"port":{text}}}"#));
        }
    }

    #[test]
    fn nan_and_infinities_are_refused_not_written_as_null() {
        for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let req = network(s("api.github.com"), Js::Number(n));
            assert_eq!(request_text(&req), Err(Invalid::JsonSyntax), "{n}");
            let req = network(Js::Number(n), Js::Number(443.0));
            assert_eq!(request_text(&req), Err(Invalid::JsonSyntax), "{n}");
            assert_eq!(request_text(&Js::Number(n)), Err(Invalid::JsonSyntax));
        }
    }

    #[test]
    fn a_lone_surrogate_is_refused_in_values_keys_and_string_requests() {
        let gh: Vec<u16> = "github.com".encode_utf16().collect();
        for bad in [
            [&[LONE_HIGH][..], &gh].concat(),
            [&gh[..], &[LONE_HIGH]].concat(),
            [&gh[..], &[LONE_LOW]].concat(),
            [&gh[..], &[LONE_LOW, LONE_HIGH]].concat(),
        ] {
            let req = network(units(&bad), Js::Number(443.0));
            assert_eq!(request_text(&req), Err(Invalid::JsonSyntax));
            let roots = Js::Object(vec![(units(&bad), s("/w"))]);
            let req = obj(&[("context", obj(&[("roots", roots)]))]);
            assert_eq!(request_text(&req), Err(Invalid::JsonSyntax));
            let text: Vec<u16> = [
                r#"{"surface":"network","host":""#.encode_utf16().collect(),
                bad,
                r#""}"#.encode_utf16().collect(),
            ]
            .concat();
            assert_eq!(string_text(&units(&text)), Err(Invalid::JsonSyntax));
            assert_eq!(request_text(&units(&text)), Err(Invalid::JsonSyntax));
        }
        // A pair is a character; U+FFFD itself is a character too.
        for good in ["😀", "\u{FFFD}"] {
            let text = format!(r#"{{"surface":"network","host":"{good}"}}"#);
            assert_eq!(string_text(&s(&text)).unwrap(), text);
            let req = obj(&[("host", s(good))]);
            assert_eq!(
                request_text(&req).unwrap(),
                format!(r#"{{"host":"{good}"}}"#)
            );
        }
    }

    #[test]
    fn to_json_is_refused_not_called() {
        // A valid request, but `JSON.stringify` would write what `toJSON`
        // returns instead.
        let Js::Object(props) = network(s("api.github.com"), Js::Number(443.0)) else {
            unreachable!()
        };
        let date = Js::WithToJson(Vec::new());
        assert_eq!(
            request_text(&Js::Object(props.clone())).unwrap(),
            r#"{"surface":"network","host":"api.github.com","port":443}"#
        );
        assert_eq!(
            request_text(&Js::WithToJson(props)),
            Err(Invalid::JsonSyntax)
        );
        let req = obj(&[("surface", s("network")), ("host", date.clone())]);
        assert_eq!(request_text(&req), Err(Invalid::JsonSyntax));
        let req = obj(&[("context", obj(&[("user", date.clone())]))]);
        assert_eq!(request_text(&req), Err(Invalid::JsonSyntax));
        let req = obj(&[("context", Js::Array(vec![date]))]);
        assert_eq!(request_text(&req), Err(Invalid::JsonSyntax));
    }

    #[test]
    fn functions_symbols_bigints_undefined_and_throwing_getters_are_refused() {
        assert_eq!(
            request_text(&obj(&[("host", Js::Other)])),
            Err(Invalid::JsonSyntax)
        );
        assert_eq!(
            request_text(&Js::Array(vec![Js::Other])),
            Err(Invalid::JsonSyntax)
        );
        assert_eq!(request_text(&Js::Other), Err(Invalid::JsonSyntax));
        assert_eq!(request_text(&Js::Undefined), Err(Invalid::JsonSyntax));
        assert_eq!(request_text(&Js::Throws), Err(Invalid::JsonSyntax));
        // Not strings: no JSON text for `decideJson`.
        for v in [Js::Null, Js::Number(1.0), obj(&[])] {
            assert_eq!(string_text(&v), Err(Invalid::JsonSyntax), "{v:?}");
        }
    }

    #[test]
    fn depth_and_size_are_limited_while_writing() {
        let mut nested = Js::Null;
        for _ in 0..MAX_JSON_DEPTH {
            nested = obj(&[("a", nested)]);
        }
        assert!(request_text(&nested).is_ok());
        assert_eq!(
            request_text(&obj(&[("a", nested)])),
            Err(Invalid::JsonTooDeep)
        );
        assert_eq!(request_text(&Js::Cycle), Err(Invalid::JsonTooDeep));
        // `{"host":"…"}` at the limit, then a byte over.
        let at_limit = "a".repeat(MAX_JSON_REQUEST_BYTES - r#"{"host":""}"#.len());
        assert_eq!(
            request_text(&obj(&[("host", s(&at_limit))])).unwrap().len(),
            MAX_JSON_REQUEST_BYTES
        );
        let over = format!("{at_limit}a");
        assert_eq!(
            request_text(&obj(&[("host", s(&over))])),
            Err(Invalid::JsonTooLarge)
        );
        let many = Js::Array(vec![Js::Null; MAX_JSON_REQUEST_BYTES / 4]);
        assert_eq!(request_text(&many), Err(Invalid::JsonTooLarge));
        // Size before surrogates, as the C ABI checks size before UTF-8.
        let big: Vec<u16> = [&[LONE_HIGH][..], &vec![b'a' as u16; MAX_JSON_REQUEST_BYTES]].concat();
        assert_eq!(
            request_text(&obj(&[("host", units(&big))])),
            Err(Invalid::JsonTooLarge)
        );
        assert_eq!(
            string_text(&units(&big)).unwrap().len(),
            MAX_JSON_REQUEST_BYTES + 3
        );
    }

    #[test]
    fn a_listing_is_written_within_its_own_size_limit() {
        use policy_eval::limits::MAX_JSON_LIST_BYTES;
        // 1,000 names of 200 bytes: over a request's 64 KiB, within 2 MiB.
        let tools = Js::Array(vec![s(&"a".repeat(200)); 1000]);
        let listing = obj(&[("server", s("github")), ("tools", tools.clone())]);
        let text = listing_text(&listing).unwrap();
        assert!(text.len() > MAX_JSON_REQUEST_BYTES);
        assert!(text.starts_with(r#"{"server":"github","tools":["aaa"#));
        assert_eq!(request_text(&listing), Err(Invalid::JsonTooLarge));
        let over = obj(&[("tools", s(&"a".repeat(MAX_JSON_LIST_BYTES)))]);
        assert_eq!(listing_text(&over), Err(Invalid::JsonTooLarge));
        assert_eq!(
            listing_text(&obj(&[("tools", units(&[0xD800]))])),
            Err(Invalid::JsonSyntax)
        );
    }
}
