//! Layered policies (`spec/layers.md`): a [`Stack`] of loaded policies from
//! several authorities, decided as the strictest of its enforcing layers.
//!
//! Each layer decides on its own ([`Policy::decide`]); the stack takes the
//! strictest decision (effect, then the shorter credential lifetime), the
//! first such layer from the top deciding, and skips a layer whose `pass`
//! default decided ([`abstains`]). A deny ends the walk early.
//! Audit layers never change the enforced decision; [`StackDecision::would`]
//! says what the stack would decide with them enforced.

use crate::artifact::{Access, Effect, Lifetime};
use crate::cost::Cost;
use crate::decision::{Context, Decision, Invalid, Reason, Request};
use crate::limits::{MAX_LAYERS, MAX_LAYER_NAME_LEN};
use crate::load::Policy;

/// One layer of a [`Stack`]: a loaded policy and where it sits.
#[derive(Debug)]
pub struct Layer {
    /// The layer's name in decisions and events (`org`, `team`, `local`):
    /// 1 to [`MAX_LAYER_NAME_LEN`] bytes of printable ASCII without space,
    /// unique in the stack.
    pub name: String,
    /// 0 for the top level; each level below one more. Layers sharing a
    /// level are peers (independent authorities).
    pub level: u8,
    /// An audit layer never changes the enforced decision.
    pub audit: bool,
    /// The layer's policy.
    pub policy: Policy,
}

/// Why layers do not form a stack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// No enforcing layer (every layer is an audit layer, or none given).
    #[error("a stack needs at least one layer that is not an audit layer")]
    NoEnforcingLayer,
    /// More layers than [`MAX_LAYERS`].
    #[error("a stack has {0} layers, more than the limit of {MAX_LAYERS}")]
    TooManyLayers(usize),
    /// A name that is empty, too long or not printable ASCII.
    #[error("layer name `{0}` must be 1 to {MAX_LAYER_NAME_LEN} bytes of printable ASCII without spaces")]
    Name(String),
    /// Two layers with one name.
    #[error("two layers are named `{0}`")]
    DuplicateName(String),
    /// A level that skips one or goes back up.
    #[error("layer `{name}` has level {level}: the first layer has level 0, each next one the level before it or one more")]
    Level {
        /// The layer.
        name: String,
        /// Its level.
        level: u8,
    },
}

/// A stack's decision: the enforced decision, the layer that made it, and
/// what audit layers would have made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackDecision {
    /// The enforced decision; its rule is one of `layer`'s rules.
    pub decision: Decision,
    /// Index of the deciding layer in [`Stack::layers`].
    pub layer: usize,
    /// With every audit layer enforced, the decision and its layer, when
    /// it is stricter than the enforced one (effect or lifetime).
    pub would: Option<(Decision, usize)>,
}

/// Layers composed in order, top first (`spec/layers.md`).
#[derive(Debug)]
pub struct Stack {
    layers: Vec<Layer>,
}

/// How strict a decision with `effect` and `lifetime` is, as a stack
/// orders decisions (`spec/layers.md`): lower is stricter. The effect
/// first (deny, ask, allow), then the lifetime of a credential grant: a
/// number of seconds, then `session`, then none (a default's grant, which
/// states no limit).
pub fn strictness(effect: Effect, lifetime: Option<Lifetime>) -> (Effect, u64) {
    let span = match lifetime {
        Some(Lifetime::Seconds(s)) => u64::from(s),
        Some(Lifetime::Session) => u64::MAX - 1,
        None if effect == Effect::Deny => 0,
        None => u64::MAX,
    };
    (effect, span)
}

fn rank(d: &Decision) -> (Effect, u64) {
    strictness(d.effect, d.lifetime)
}

/// Whether a layer name is 1 to [`MAX_LAYER_NAME_LEN`] bytes of printable
/// ASCII without space.
pub fn valid_layer_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LAYER_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `policy`, deciding `req` as `d`, makes no decision in a stack:
/// `d` is its `pass` default (`spec/layers.md`, "Delegation"). A combined
/// request passes only when every part of it does: a read-write request
/// when the read and the write alone fall to the default, a send when
/// seeing the secret alone does (an allow or ask of a send also applies to
/// seeing). Otherwise the layer's decision stands, a deny.
pub fn abstains(policy: &Policy, req: &Request<'_>, ctx: &Context<'_>, d: &Decision) -> bool {
    let surface = req.surface() as usize;
    if d.reason != Reason::Default
        || !policy
            .artifact()
            .passes
            .get(surface)
            .copied()
            .unwrap_or(false)
    {
        return false;
    }
    let falls = |r: &Request<'_>| policy.decide(r, ctx).reason == Reason::Default;
    match *req {
        Request::Filesystem { path, access } if access == Access::READ_WRITE => {
            [Access::WRITE, Access::READ]
                .into_iter()
                .all(|access| falls(&Request::Filesystem { path, access }))
        }
        Request::Credential { name, host, ip } if host.is_some() || ip.is_some() => {
            falls(&Request::Credential {
                name,
                host: None,
                ip: None,
            })
        }
        _ => true,
    }
}

impl Stack {
    /// Composes `layers`, top first. Checks their number, names and levels.
    pub fn new(layers: Vec<Layer>) -> Result<Stack, StackError> {
        if layers.len() > MAX_LAYERS {
            return Err(StackError::TooManyLayers(layers.len()));
        }
        if layers.iter().all(|l| l.audit) {
            return Err(StackError::NoEnforcingLayer);
        }
        let mut previous: Option<u8> = None;
        for (i, l) in layers.iter().enumerate() {
            if !valid_layer_name(&l.name) {
                return Err(StackError::Name(l.name.clone()));
            }
            if layers[..i].iter().any(|o| o.name == l.name) {
                return Err(StackError::DuplicateName(l.name.clone()));
            }
            let fits = match previous {
                None => l.level == 0,
                Some(p) => l.level == p || Some(l.level) == p.checked_add(1),
            };
            if !fits {
                return Err(StackError::Level {
                    name: l.name.clone(),
                    level: l.level,
                });
            }
            previous = Some(l.level);
        }
        Ok(Stack { layers })
    }

    /// The layers, top first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The worst case of one stacked decision: the sum of its layers'
    /// ([`Cost::of`]), audit layers included, per surface (no heaviest
    /// rules: they belong to each layer).
    pub fn cost(&self) -> Cost {
        let mut total = Cost::default();
        for l in &self.layers {
            let c = Cost::of(l.policy.artifact());
            for (t, s) in total.surfaces.iter_mut().zip(c.surfaces) {
                t.lookups += s.lookups;
                t.automaton_steps += s.automaton_steps;
                t.glob_matches += s.glob_matches;
            }
        }
        total
    }

    /// The decision of a request that could not be parsed (invalid in every
    /// layer): deny, named by the first enforcing layer.
    pub fn invalid(&self, why: Invalid) -> StackDecision {
        StackDecision {
            decision: Decision::invalid(why),
            layer: self.layers.iter().position(|l| !l.audit).unwrap_or(0),
            would: None,
        }
    }

    /// Decides `req` in `ctx`: every enforcing layer decides, the strictest
    /// decision applies (`spec/layers.md`). Never panics; at most one
    /// decision per layer, and none after an enforced deny.
    pub fn decide(&self, req: &Request<'_>, ctx: &Context<'_>) -> StackDecision {
        let mut enforced: Option<(Decision, usize)> = None;
        let mut with_audit: Option<(Decision, usize)> = None;
        for (i, l) in self.layers.iter().enumerate() {
            // Nothing is stricter than a deny, enforced or would-be.
            if enforced.is_some_and(|(d, _)| d.effect == Effect::Deny) {
                break;
            }
            let d = l.policy.decide(req, ctx);
            if abstains(&l.policy, req, ctx, &d) {
                continue;
            }
            let stricter = |best: Option<(Decision, usize)>| match best {
                Some((b, _)) if rank(&b) <= rank(&d) => best,
                _ => Some((d, i)),
            };
            with_audit = stricter(with_audit);
            if !l.audit {
                enforced = stricter(enforced);
            }
        }
        // Every enforcing layer passed (or, impossible since `new` checks
        // it, there is none): denied, named by the first enforcing layer.
        let (decision, layer) = enforced.unwrap_or_else(|| {
            let first = self.layers.iter().position(|l| !l.audit).unwrap_or(0);
            (Decision::default_effect(Effect::Deny), first)
        });
        let would = with_audit
            .filter(|(d, _)| rank(d) < rank(&decision))
            .filter(|_| self.layers.iter().any(|l| l.audit));
        StackDecision {
            decision,
            layer,
            would,
        }
    }
}
