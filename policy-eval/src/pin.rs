//! Pins on MCP tool definitions (`spec/pins.md`): the canonical JSON of a
//! tool's definition as `tools/list` serves it, and its digest. A host that
//! approved a tool records the digest; a definition whose digest differs
//! (a changed description, schema, anything) is an unapproved tool.
//!
//! ```text
//! bytes ──canonical_json──▶ RFC 8785 (JCS) text ──SHA-256──▶ "sha256:" + 64 hex
//! ```
//!
//! * **Canonical form**: RFC 8785 JSON Canonicalization Scheme. No
//!   whitespace; object members sorted by their keys' UTF-16 code units;
//!   strings with only `"`, `\` and control characters escaped (`\b \f \n
//!   \r \t`, else `\u00xx` in lower case); numbers as ECMAScript
//!   `Number.prototype.toString` writes the IEEE 754 double nearest to them.
//! * **Numbers** are doubles, as I-JSON and JCS require: an integer beyond
//!   2^53 is rounded to the nearest double (`9007199254740993` canonicalizes
//!   to `9007199254740992`), `-0` is `0`, `1e400` is refused.
//! * **Refused** ([`PinError`]): bytes that are not UTF-8, malformed JSON
//!   (trailing text, lone surrogate escapes, `NaN`), a key twice in one
//!   object, a top-level value that is not an object, input over
//!   [`MAX_TOOL_DEFINITION_BYTES`] or nesting deeper than
//!   [`MAX_TOOL_DEFINITION_DEPTH`]. Never a panic, on any input.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::json::nests_deeper_than;
use crate::limits::{MAX_TOOL_DEFINITION_BYTES, MAX_TOOL_DEFINITION_DEPTH};

/// The prefix of every digest [`tool_digest`] returns (then 64 lower-case
/// hex digits of SHA-256).
pub const DIGEST_PREFIX: &str = "sha256:";

/// Why a tool definition has no canonical form (and so no digest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Longer than [`MAX_TOOL_DEFINITION_BYTES`].
    #[error(
        "tool definition is {len} bytes, more than the limit of {MAX_TOOL_DEFINITION_BYTES} bytes"
    )]
    TooLarge {
        /// The input's length in bytes.
        len: usize,
    },
    /// Not UTF-8.
    #[error("tool definition is not UTF-8 (invalid byte at offset {offset}); send the JSON text as UTF-8")]
    NotUtf8 {
        /// Offset of the first byte that is not part of valid UTF-8.
        offset: usize,
    },
    /// Nested deeper than [`MAX_TOOL_DEFINITION_DEPTH`].
    #[error(
        "tool definition nests objects and arrays deeper than {MAX_TOOL_DEFINITION_DEPTH} levels"
    )]
    TooDeep,
    /// Not well-formed JSON (`message` is `serde_json`'s, with the place).
    #[error("tool definition is not well-formed JSON: {message} at line {line} column {column}")]
    Syntax {
        /// What is wrong.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// A number outside the range of a double (`1e400`).
    #[error("tool definition has a number out of the range of a double at line {line} column {column}; JSON numbers are doubles (RFC 8785)")]
    Number {
        /// 1-based line of the number.
        line: usize,
        /// 1-based column just after the number.
        column: usize,
    },
    /// One object has the key twice (after unescaping).
    #[error("tool definition has the key {key:?} twice in one object; each key may appear once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// The top-level value is not an object.
    #[error("tool definition must be a JSON object, not {found}")]
    NotObject {
        /// What it is: `an array`, `a string`, ...
        found: &'static str,
    },
}

impl PinError {
    /// The error's kind, a stable word used by the vectors
    /// (`tests/pins/tool-digest.jsonl`) and the WASM API: `too_large`,
    /// `utf8`, `too_deep`, `syntax`, `number`, `duplicate_key`, `not_object`.
    pub fn kind(&self) -> &'static str {
        match self {
            PinError::TooLarge { .. } => "too_large",
            PinError::NotUtf8 { .. } => "utf8",
            PinError::TooDeep => "too_deep",
            PinError::Syntax { .. } => "syntax",
            PinError::Number { .. } => "number",
            PinError::DuplicateKey { .. } => "duplicate_key",
            PinError::NotObject { .. } => "not_object",
        }
    }
}

/// The RFC 8785 canonical JSON of a tool definition (a JSON object).
pub fn canonical_json(definition: &[u8]) -> Result<String, PinError> {
    if definition.len() > MAX_TOOL_DEFINITION_BYTES {
        return Err(PinError::TooLarge {
            len: definition.len(),
        });
    }
    let text = std::str::from_utf8(definition).map_err(|e| PinError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if nests_deeper_than(definition, MAX_TOOL_DEFINITION_DEPTH) {
        return Err(PinError::TooDeep);
    }
    let value = parse(text)?;
    if !matches!(value, Value::Object(_)) {
        return Err(PinError::NotObject {
            found: value.article(),
        });
    }
    let mut out = String::with_capacity(text.len());
    write_value(&value, &mut out);
    Ok(out)
}

/// The digest of a tool definition: [`DIGEST_PREFIX`] followed by the
/// lower-case hex SHA-256 of its [`canonical_json`].
pub fn tool_digest(definition: &[u8]) -> Result<String, PinError> {
    canonical_json(definition).map(|c| digest_of_canonical(&c))
}

/// The digest of a JSON value's canonical form: events record a call's
/// `arguments` by it. A value beyond the canonicalizer's limits (only a
/// host's typed request can build one) is digested in serde_json's compact
/// form instead.
pub fn value_digest(v: &serde_json::Value) -> String {
    let text = v.to_string();
    let canonical = canonical_json(text.as_bytes()).unwrap_or(text);
    digest_of_canonical(&canonical)
}

/// A SHA-256 digest of a tool definition, as pinned by a tool rule
/// (`pinned "sha256:..."`) and carried by a request (`definition`).
pub type DefinitionDigest = [u8; 32];

/// Parses a digest as written in a policy or a request: [`DIGEST_PREFIX`]
/// then exactly 64 hex digits, the hex in either case (a digest copied
/// through a tool that upper-cases it is the same pin); the prefix is
/// lower case. `None` for anything else: another length, another
/// prefix, a non-hex digit, whitespace.
pub fn parse_digest(text: &str) -> Option<DefinitionDigest> {
    let hex = text.strip_prefix(DIGEST_PREFIX)?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// A digest as [`tool_digest`] writes it: [`DIGEST_PREFIX`] and lower-case
/// hex.
pub fn digest_text(d: &DefinitionDigest) -> String {
    let mut s = String::with_capacity(DIGEST_PREFIX.len() + 64);
    s.push_str(DIGEST_PREFIX);
    for b in d {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The digest of text already in canonical form (no check that it is).
pub fn digest_of_canonical(canonical: &str) -> String {
    digest_text(&Sha256::digest(canonical.as_bytes()).into())
}

// ---------------------------------------------------------------------------
// Parsing: serde_json tokens into a tree that keeps member order and refuses
// duplicate keys (serde_json::Value keeps the last of two silently).
// ---------------------------------------------------------------------------

enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    fn article(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

fn parse(text: &str) -> Result<Value, PinError> {
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Seed(&duplicate)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| {
        if let Some(key) = duplicate.into_inner() {
            return PinError::DuplicateKey { key };
        }
        let (line, column) = (e.line(), e.column());
        let message = e.to_string();
        // serde_json's message ends with " at line L column C": keep the rest.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        if message == "number out of range" {
            PinError::Number { line, column }
        } else {
            PinError::Syntax {
                message,
                line,
                column,
            }
        }
    })
}

/// Deserializes one value; records the first duplicate key it meets.
#[derive(Clone, Copy)]
struct Seed<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    // Integers become doubles (I-JSON): `as` rounds to nearest, ties to even,
    // as ECMAScript's parse of the same decimal does.
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let message = format!("duplicate key {key:?}");
                *self.0.borrow_mut() = Some(key);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(self)?;
            members.push((key, value));
        }
        Ok(Value::Object(members))
    }
}

// ---------------------------------------------------------------------------
// Writing: RFC 8785 section 3.2.
// ---------------------------------------------------------------------------

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(*n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<&(String, Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

/// ECMAScript `Number.prototype.toString` (RFC 8785 section 3.2.2.3); the
/// parser never yields a non-finite number, and `-0` writes `0`.
fn write_number(n: f64, out: &mut String) {
    if n == 0.0 {
        out.push('0');
    } else {
        out.push_str(ryu_js::Buffer::new().format(n));
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
