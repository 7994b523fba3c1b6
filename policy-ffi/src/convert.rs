//! Results back to C: `policy_eval` effects, surfaces and decisions as
//! their `apol_*` types. The strings a decision points to are owned by the
//! policy (rule ids) or static (messages), never allocated here.

use std::ptr;

use policy_eval::{Decision, Effect, Lifetime, Policy, Reason, Surface};

use crate::types::*;

pub(crate) fn effect_c(e: Effect) -> apol_effect {
    match e {
        Effect::Deny => APOL_EFFECT_DENY,
        Effect::Ask => APOL_EFFECT_ASK,
        Effect::Allow => APOL_EFFECT_ALLOW,
    }
}

pub(crate) fn surface_c(s: Surface) -> apol_surface {
    match s {
        Surface::Network => APOL_SURFACE_NETWORK,
        Surface::Filesystem => APOL_SURFACE_FILESYSTEM,
        Surface::Credential => APOL_SURFACE_CREDENTIAL,
        Surface::Mcp => APOL_SURFACE_MCP,
    }
}

pub(crate) fn decision_c(policy: &Policy, d: &Decision) -> apol_decision {
    let rule = d
        .rule
        .and_then(|i| policy.rule(i).map(|r| (i, r.id.as_str())));
    let (lifetime, lifetime_seconds) = match d.lifetime {
        None => (APOL_LIFETIME_NONE, 0),
        Some(Lifetime::Session) => (APOL_LIFETIME_SESSION, 0),
        Some(Lifetime::Seconds(s)) => (APOL_LIFETIME_SECONDS, s),
    };
    let (reason, message) = match d.reason {
        Reason::Rule => (APOL_REASON_RULE, None),
        Reason::Default => (APOL_REASON_DEFAULT, None),
        Reason::Invalid(why) => (APOL_REASON_INVALID, Some(why.message())),
    };
    apol_decision {
        effect: effect_c(d.effect),
        reason,
        has_rule: rule.is_some(),
        rule: rule.map_or(0, |(i, _)| i),
        rule_id: rule.map_or(ptr::null(), |(_, id)| id.as_ptr().cast()),
        rule_id_len: rule.map_or(0, |(_, id)| id.len()),
        lifetime,
        lifetime_seconds,
        message: message.map_or(ptr::null(), |m| m.as_ptr().cast()),
        message_len: message.map_or(0, str::len),
    }
}
