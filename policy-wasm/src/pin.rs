//! `toolDigest` (`spec/pins.md`): the pin of an MCP tool definition, as a
//! result object shaped for JavaScript.

use policy_eval::pin::{canonical_json, digest_of_canonical};
use serde::Serialize;

/// `{ok: true, digest, canonical}` or `{ok: false, error, kind}` (the
/// absent fields are `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolDigest {
    /// Whether the definition has a canonical form.
    pub ok: bool,
    /// `sha256:` and 64 lower-case hex digits.
    pub digest: Option<String>,
    /// The RFC 8785 canonical JSON the digest is of.
    pub canonical: Option<String>,
    /// Why there is no digest (the `PinError` message).
    pub error: Option<String>,
    /// The error's kind (`PinError::kind`, as in the vectors).
    pub kind: Option<String>,
}

/// The pin of the definition's bytes.
pub fn tool_digest(definition: &[u8]) -> ToolDigest {
    match canonical_json(definition) {
        Ok(c) => ToolDigest {
            ok: true,
            digest: Some(digest_of_canonical(&c)),
            canonical: Some(c),
            error: None,
            kind: None,
        },
        Err(e) => refused(e.to_string(), e.kind()),
    }
}

/// A JS string with a lone surrogate has no UTF-8 form, so no digest.
pub fn lone_surrogate() -> ToolDigest {
    refused(
        "tool definition holds a lone surrogate (a JS string that is not well-formed UTF-16); it has no UTF-8 form".into(),
        "utf8",
    )
}

fn refused(error: String, kind: &str) -> ToolDigest {
    ToolDigest {
        ok: false,
        digest: None,
        canonical: None,
        error: Some(error),
        kind: Some(kind.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn results_carry_digest_and_canonical_or_error_and_kind() {
        let r = tool_digest(b"{ \"b\": 1, \"a\": 2 }");
        assert!(r.ok);
        assert_eq!(r.canonical.as_deref(), Some("{\"a\":2,\"b\":1}"));
        assert_eq!(r.digest, Some(digest_of_canonical("{\"a\":2,\"b\":1}")));
        let r = tool_digest(b"[]");
        assert_eq!(
            (r.ok, r.kind.as_deref(), r.digest),
            (false, Some("not_object"), None)
        );
        let json = serde_json::to_string(&lone_surrogate()).unwrap();
        assert!(
            json.starts_with(r#"{"ok":false,"digest":null,"canonical":null,"error":"tool definition holds a lone surrogate"#),
            "{json}"
        );
        assert!(json.ends_with(r#","kind":"utf8"}"#), "{json}");
    }
}
