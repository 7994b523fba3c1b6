//! The `artifact_load` target: the loader on arbitrary and mutated
//! artifacts, and what every decision of a loaded policy satisfies.

use std::time::UNIX_EPOCH;

use arbitrary::{Arbitrary, Unstructured};
use policy_eval::event::Event;
use policy_eval::wire::{crc32, HEADER_LEN, MAGIC};
use policy_eval::{Context, Decision, Policy, Reason, Request};

use super::json::check_event;
use super::probe::for_each_probe;
use crate::fixed::fixed;
#[cfg(doc)]
use crate::fixed::FIXED_POLICIES;

/// [`Policy::from_bytes`] on the input, and on mutated valid artifacts.
///
/// * Input starting with the artifact magic is loaded as it is, then again
///   with its header's payload length and CRC-32 recomputed, so mutations of
///   the artifact seeds reach the tables instead of stopping at the checksum.
/// * Any other input is loaded as it is (arbitrary bytes), then read as a
///   mutation program over one of [`FIXED_POLICIES`]' artifacts: overwrite,
///   flip, insert, delete, truncate, write a `u32` (counts, lengths, list
///   references), then fix the header (usually).
///
/// Whatever loads must decide every probe request without panicking, name
/// only rules of the request's surface, and re-encode to the bytes it was
/// loaded from.
pub fn artifact_load(data: &[u8]) {
    exercise_bytes(data);
    if data.starts_with(&MAGIC) {
        let mut fixed = data.to_vec();
        fix_header(&mut fixed, true, true);
        exercise_bytes(&fixed);
        return;
    }
    let mut u = Unstructured::new(data);
    if let Ok(mutated) = mutate_fixed(&mut u) {
        exercise_bytes(&mutated);
    }
}

fn mutate_fixed(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let fixed = fixed();
    let base = u.choose(fixed)?;
    let mut buf = base.bytes.clone();
    let ops = u.int_in_range(1..=8u8)?;
    for _ in 0..ops {
        let len = buf.len();
        // Offsets mostly in the payload, where the tables are.
        let offset = |u: &mut Unstructured<'_>| -> arbitrary::Result<usize> {
            if len == 0 {
                Ok(0)
            } else if len > HEADER_LEN && u.ratio(7, 8)? {
                u.int_in_range(HEADER_LEN..=len - 1)
            } else {
                u.int_in_range(0..=len - 1)
            }
        };
        match u.int_in_range(0..=6u8)? {
            0 => {
                let at = offset(u)?;
                let v = u8::arbitrary(u)?;
                if let Some(b) = buf.get_mut(at) {
                    *b = v;
                }
            }
            1 => {
                let at = offset(u)?;
                let bit = u.int_in_range(0..=7u8)?;
                if let Some(b) = buf.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            2 => {
                let at = offset(u)?;
                buf.truncate(at);
            }
            3 => {
                let at = offset(u)?.min(buf.len());
                let n = u.int_in_range(1..=16usize)?;
                let bytes = u.bytes(n.min(u.len()))?;
                buf.splice(at..at, bytes.iter().copied());
            }
            4 => {
                let at = offset(u)?.min(buf.len());
                let n = u.int_in_range(1..=64usize)?;
                buf.drain(at..(at + n).min(buf.len()));
            }
            5 => {
                let at = offset(u)?;
                let v = match u.int_in_range(0..=5u8)? {
                    0 => 0,
                    1 => 1,
                    2 => u32::MAX,
                    3 => u32::try_from(len).unwrap_or(u32::MAX),
                    4 => u.int_in_range(0..=64u32)?,
                    _ => u32::arbitrary(u)?,
                };
                for (i, b) in v.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = buf.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            _ => {
                // Copy a chunk over another place (duplicated strings, counts).
                let from = offset(u)?;
                let to = offset(u)?;
                let n = u.int_in_range(1..=32usize)?;
                let chunk: Vec<u8> = buf.iter().skip(from).take(n).copied().collect();
                for (i, b) in chunk.into_iter().enumerate() {
                    if let Some(slot) = buf.get_mut(to + i) {
                        *slot = b;
                    }
                }
            }
        }
    }
    let (length, crc) = match u.int_in_range(0..=7u8)? {
        0 => (false, false),
        1 => (false, true),
        _ => (true, true),
    };
    fix_header(&mut buf, length, crc);
    Ok(buf)
}

/// Rewrites the header's payload length and CRC-32 to match the bytes after
/// it (when the buffer holds a whole header).
fn fix_header(buf: &mut [u8], length: bool, crc: bool) {
    if buf.len() < HEADER_LEN {
        return;
    }
    let (header, payload) = buf.split_at_mut(HEADER_LEN);
    if length {
        if let Some(slot) = header.get_mut(16..24) {
            slot.copy_from_slice(&(payload.len() as u64).to_le_bytes());
        }
    }
    if crc {
        if let Some(slot) = header.get_mut(24..28) {
            slot.copy_from_slice(&crc32(payload).to_le_bytes());
        }
    }
}

/// Loads `bytes`; if they load, decides every probe request and checks what
/// can be checked without a source.
fn exercise_bytes(bytes: &[u8]) {
    let Ok(policy) = Policy::from_bytes(bytes) else {
        return;
    };
    assert!(
        policy.artifact().to_bytes() == bytes,
        "an accepted artifact does not re-encode to its bytes"
    );
    let roots: Vec<(String, String)> = policy
        .required_roots()
        .map(|n| (n.to_string(), format!("/r/{n}")))
        .collect();
    let bound: Vec<(&str, &str)> = roots
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    let bound_ctx = Context {
        roots: &bound,
        ..Context::default()
    };
    let mut first = true;
    for_each_probe(|req, ctx| {
        for ctx in [ctx, &bound_ctx] {
            let d = policy.decide(req, ctx);
            check_decision(&policy, req, &d);
            let json = policy.decision_json(&d);
            assert!(json.starts_with("{\"decision\":"), "{json}");
            if std::mem::take(&mut first) {
                check_event(&Event::at(&policy, req, ctx, &d, UNIX_EPOCH));
            }
        }
    });
}

/// What every decision of a loaded policy satisfies, whatever its tables.
pub(crate) fn check_decision(policy: &Policy, req: &Request<'_>, d: &Decision) {
    match (d.reason, d.rule) {
        (Reason::Rule, Some(i)) => {
            let Some(rule) = policy.rule(i) else {
                panic!("decision names rule {i}, which does not exist: {req:?}");
            };
            assert_eq!(rule.surface, req.surface(), "rule {i} decided {req:?}");
            assert_eq!(rule.effect, d.effect, "rule {i} decided {req:?}");
        }
        (Reason::Rule, None) => panic!("decision by a rule names none: {req:?} {d:?}"),
        (_, Some(_)) => panic!("decision names a rule without reason rule: {req:?} {d:?}"),
        (Reason::Invalid(_), None) => assert_eq!(d.effect, policy_eval::Effect::Deny),
        // A send to a local address that no rule names is denied whatever
        // the credentials default (spec/language.md section 9).
        (Reason::Default, None)
            if d.effect == policy_eval::Effect::Deny
                && matches!(req, Request::Credential { host, ip, .. } if host.is_some() || ip.is_some()) =>
            {}
        (Reason::Default, None) => {
            let want = policy.artifact().defaults.get(req.surface() as usize);
            assert_eq!(Some(&d.effect), want, "default for {req:?}");
        }
    }
}
