//! Structured decision events, one JSON object per line (`spec/events.md`).
//!
//! Events allocate; they are built after the decision, outside the hot path.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::approval::Approval;
use crate::decision::{Context, Decision, Reason, Request};
use crate::json::LifetimeJson;
use crate::limits::{MAX_HOST_LEN, MAX_NAME_LEN, MAX_PATH_LEN};
use crate::load::Policy;
use crate::normalize::{self, Host};
use crate::stack::{Stack, StackDecision};

/// Version of the event schema.
pub const EVENT_SCHEMA: u32 = 1;

/// Which policy decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    /// Policy name.
    pub name: String,
    /// Policy version ("" when absent).
    pub version: String,
    /// SHA-256 of the policy source, lower-case hex.
    pub hash: String,
}

/// The deciding rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Rule id.
    pub id: String,
    /// Rule index in the artifact.
    pub index: u32,
    /// 1-based source line.
    pub line: u32,
}

/// One decision event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Always [`EVENT_SCHEMA`].
    pub schema: u32,
    /// UTC time, RFC 3339 with milliseconds (`2026-11-23T20:00:00.123Z`).
    pub time: String,
    /// Which policy decided.
    pub policy: PolicyRef,
    /// `network`, `filesystem`, `credential`, `mcp`; null when the request
    /// could not be parsed.
    pub surface: Option<&'static str>,
    /// Request fields, normalized when valid (raw otherwise).
    pub request: Map<String, Value>,
    /// `allow`, `ask` or `deny`.
    pub decision: &'static str,
    /// The deciding rule, null for default and invalid decisions.
    pub rule: Option<RuleRef>,
    /// `rule`, `default` or `invalid`.
    pub reason: &'static str,
    /// For invalid requests: what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// For credential grants: `"session"` or seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<LifetimeJson>,
    /// For `ask` decisions: the rule's reason and the request digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// User from the context.
    pub user: Option<String>,
    /// Session from the context.
    pub session: Option<String>,
    /// Agent from the context.
    pub agent: Option<String>,
    /// A stack's decision (`spec/layers.md`): the deciding layer; `policy`
    /// and `rule` are that layer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// A stack's decision with its audit layers enforced, when stricter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would: Option<Would>,
}

/// What a stack's audit layers would have decided (`spec/events.md`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Would {
    /// `allow`, `ask` or `deny`.
    pub decision: &'static str,
    /// The layer that would decide.
    pub layer: String,
    /// Its deciding rule, null for its default.
    pub rule: Option<RuleRef>,
    /// `rule`, `default` or `invalid`.
    pub reason: &'static str,
    /// For credential grants: `"session"` or seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<LifetimeJson>,
}

impl Event {
    /// An event for a stack's decision `sd` on `req` (`spec/events.md`):
    /// the deciding layer's policy and rule, the layer's name, and `would`.
    pub fn for_stack(
        stack: &Stack,
        req: &Request<'_>,
        ctx: &Context<'_>,
        sd: &StackDecision,
        time: SystemTime,
    ) -> Option<Event> {
        let layers = stack.layers();
        let layer = layers.get(sd.layer)?;
        let mut e = Event::at(&layer.policy, req, ctx, &sd.decision, time);
        e.layer = Some(layer.name.clone());
        e.would = sd.would.and_then(|(d, i)| {
            let l = layers.get(i)?;
            Some(Would {
                decision: d.effect.as_str(),
                layer: l.name.clone(),
                rule: rule_ref(&l.policy, &d),
                reason: d.reason.as_str(),
                lifetime: d.lifetime.map(LifetimeJson::from),
            })
        });
        Some(e)
    }

    /// An event for `decision` on `req`, stamped with the current time.
    pub fn new(
        policy: &Policy,
        req: &Request<'_>,
        ctx: &Context<'_>,
        decision: &Decision,
    ) -> Event {
        Event::at(policy, req, ctx, decision, SystemTime::now())
    }

    /// As [`Event::new`] with an explicit time (for tests and replays).
    pub fn at(
        policy: &Policy,
        req: &Request<'_>,
        ctx: &Context<'_>,
        decision: &Decision,
        time: SystemTime,
    ) -> Event {
        let mut e = Event::base(policy, decision, time);
        e.surface = Some(req.surface().as_str());
        e.request = request_fields(req);
        e.approval = policy.approval(req, decision);
        e.user = ctx.user.map(str::to_owned);
        e.session = ctx.session.map(str::to_owned);
        e.agent = ctx.agent.map(str::to_owned);
        e
    }

    /// An event for input that could not be parsed into a request (surface
    /// null, empty request).
    pub fn unparsed(policy: &Policy, decision: &Decision, time: SystemTime) -> Event {
        Event::base(policy, decision, time)
    }

    fn base(policy: &Policy, d: &Decision, time: SystemTime) -> Event {
        let meta = &policy.artifact().meta;
        let rule = rule_ref(policy, d);
        Event {
            schema: EVENT_SCHEMA,
            time: format_time(time),
            policy: PolicyRef {
                name: meta.name.clone(),
                version: meta.version.clone(),
                hash: meta
                    .source_hash
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            },
            surface: None,
            request: Map::new(),
            decision: d.effect.as_str(),
            rule,
            reason: d.reason.as_str(),
            message: match d.reason {
                Reason::Invalid(why) => Some(why.message()),
                _ => None,
            },
            lifetime: d.lifetime.map(LifetimeJson::from),
            approval: None,
            user: None,
            session: None,
            agent: None,
            layer: None,
            would: None,
        }
    }

    /// The event as one JSON line, newline included.
    pub fn to_json_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The deciding rule of `d` in `policy`.
fn rule_ref(policy: &Policy, d: &Decision) -> Option<RuleRef> {
    d.rule.and_then(|i| {
        policy.rule(i).map(|r| RuleRef {
            id: r.id.clone(),
            index: i,
            line: r.line,
        })
    })
}

fn put(m: &mut Map<String, Value>, k: &str, v: impl Into<Value>) {
    m.insert(k.to_owned(), v.into());
}

fn host_field(raw: &str) -> String {
    let mut buf = [0u8; MAX_HOST_LEN];
    match normalize::host(raw, &mut buf) {
        Ok(Host::Domain(d)) => d.to_owned(),
        Ok(Host::Ip(a)) => a.to_string(),
        Err(_) => raw.to_owned(),
    }
}

fn ip_field(raw: &str) -> String {
    normalize::ip(raw).map_or_else(|_| raw.to_owned(), |a| a.to_string())
}

fn name_field(raw: &str) -> String {
    let mut buf = [0u8; MAX_NAME_LEN];
    normalize::name(raw, &mut buf).map_or_else(|_| raw.to_owned(), str::to_owned)
}

/// The request's fields, normalized where they are valid.
pub(crate) fn request_fields(req: &Request<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    match *req {
        Request::Network {
            host,
            ip,
            port,
            http,
        } => {
            if let Some(h) = host {
                put(&mut m, "host", host_field(h));
            }
            if let Some(a) = ip {
                put(&mut m, "ip", ip_field(a));
            }
            if let Some(p) = port {
                put(&mut m, "port", p);
            }
            // Method and path are canonical or invalid: recorded as given.
            if let Some(h) = http {
                put(&mut m, "method", h.method);
                put(&mut m, "path", h.path);
            }
        }
        Request::Filesystem { path, access } => {
            let mut buf = [0u8; MAX_PATH_LEN];
            let p = normalize::path(path, &mut buf).map_or_else(|_| path.to_owned(), str::to_owned);
            put(&mut m, "path", p);
            put(&mut m, "access", access.event_str());
        }
        Request::Credential { name, host, ip } => {
            put(&mut m, "name", name_field(name));
            if let Some(h) = host {
                put(&mut m, "host", host_field(h));
            }
            if let Some(a) = ip {
                put(&mut m, "ip", ip_field(a));
            }
        }
        Request::Mcp {
            server,
            tool,
            source,
            arguments,
            definition,
            resource,
            prompt,
        } => {
            put(&mut m, "server", name_field(server));
            if let Some(t) = tool {
                put(&mut m, "tool", name_field(t));
            }
            if let Some(r) = resource {
                put(&mut m, "resource", r);
            }
            if let Some(p) = prompt {
                put(&mut m, "prompt", name_field(p));
            }
            if let Some(s) = source {
                put(&mut m, "source", s);
            }
            // The digest, not the values: arguments may be large or secret,
            // and the digest still binds an approval to exactly them.
            if let Some(a) = arguments {
                put(&mut m, "arguments_digest", crate::pin::value_digest(a));
            }
            if let Some(d) = definition {
                let d = crate::pin::parse_digest(d)
                    .map_or_else(|| d.to_owned(), |d| crate::pin::digest_text(&d));
                put(&mut m, "definition", d);
            }
        }
    }
    m
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Formats a time as RFC 3339 UTC with milliseconds:
/// `2026-11-23T20:00:00.123Z`. Times before 1970 are clamped to the epoch.
pub fn format_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, da) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{da:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_epoch_and_known_dates() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_464_000_123);
        assert_eq!(format_time(t), "2026-11-23T20:00:00.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(format_time(leap), "2000-02-29T00:00:00.000Z");
        let end = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
        assert_eq!(format_time(end), "9999-12-31T23:59:59.000Z");
    }

    #[test]
    fn civil_matches_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
