//! Approvals that carry context (`spec/requests.md`, "Approvals"): an `ask`
//! decision comes with the reason of the asking rule, shown to the human,
//! and a digest of the normalized request, so a host can bind the human's
//! approval to exactly that request.
//!
//! Built after the decision (it allocates and hashes), only for `ask`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::artifact::Effect;
use crate::decision::{Decision, Request};
use crate::event::request_fields;
use crate::load::Policy;
use crate::pin::{canonical_json, digest_of_canonical};

/// What an `ask` decision carries for the human and the host. Its keys
/// serialize in sorted order (`digest`, `reason`), as every JSON object of
/// the vectors is compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    /// [`request_digest`] of the request decided.
    pub digest: String,
    /// The asking rule's `reason`; absent for a rule without one and for
    /// an `ask` by the surface default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The digest of a request: `sha256:` and the lower-case hex SHA-256 of the
/// RFC 8785 canonical JSON of `{"request": FIELDS, "surface": SURFACE}`,
/// where FIELDS are the request's fields normalized as in decision events
/// (`spec/events.md`: host lower-case A-labels or the canonical IP, names
/// lower-case, the path normalized; method and HTTP path as given). Two
/// spellings of one request (`API.GitHub.com.` and `api.github.com`) have
/// one digest; any difference that can change a decision gives another.
/// The context is not part of it (user, session and agent never change a
/// decision; a request path is absolute).
pub fn request_digest(req: &Request<'_>) -> String {
    let mut top = Map::new();
    top.insert("request".into(), Value::Object(request_fields(req)));
    top.insert("surface".into(), Value::from(req.surface().as_str()));
    let text = Value::Object(top).to_string();
    // serde_json's output is valid JSON of depth 2, far below the limits:
    // canonicalizing it cannot fail; the text itself is the fallback.
    let canonical = canonical_json(text.as_bytes()).unwrap_or(text);
    digest_of_canonical(&canonical)
}

impl Policy {
    /// The [`Approval`] of an `ask` decision of `req`; `None` for `allow`
    /// and `deny`.
    pub fn approval(&self, req: &Request<'_>, d: &Decision) -> Option<Approval> {
        if d.effect != Effect::Ask {
            return None;
        }
        let reason = d
            .rule
            .and_then(|i| self.rule(i))
            .map(|r| r.ask_reason.as_str())
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        Some(Approval {
            digest: request_digest(req),
            reason,
        })
    }
}
