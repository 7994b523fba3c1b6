//! [`Policy::list_tools`]: which tools of a server the agent may see
//! (`spec/requests.md`, "Listing tools").
//!
//! A tool is **hidden** only when every call of it would be denied, and
//! **listed** otherwise: when the call without arguments gets `allow` or
//! `ask`, or when an allow or ask rule with argument constraints names the
//! tool and no deny rule without constraints matches it (some call, with
//! the right arguments, may be allowed).
//!
//! Server and source are normalized and the server is resolved once per
//! listing, not once per tool; each tool then costs one probe of the
//! server's tool table, as a call does. The result is the same as deciding
//! each tool alone, which the tests check.

use crate::decide::{Call, Definition};
use crate::decision::{Decision, Invalid};
use crate::limits::{MAX_LISTED_TOOLS, MAX_NAME_LEN};
use crate::load::Policy;
use crate::normalize;
use crate::Effect;

/// One tool of a listing: whether the agent may see it, and the decision a
/// call of it gets (effect, deciding rule, reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// Shown to the agent: some call of the tool may be allowed or asked.
    /// `false` means every call is denied.
    pub listed: bool,
    /// The decision of a call of the tool (without arguments), as
    /// [`Policy::decide`] gives it.
    pub decision: Decision,
}

impl Listed {
    fn from_decision(decision: Decision) -> Listed {
        Listed {
            listed: decision.effect != Effect::Deny,
            decision,
        }
    }
}

/// Why a listing was refused as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// More tools than [`MAX_LISTED_TOOLS`]: an error, never a truncated
    /// listing.
    #[error("listing has {given} tools, more than the limit of {max}")]
    TooManyTools {
        /// Tools given.
        given: usize,
        /// [`MAX_LISTED_TOOLS`].
        max: usize,
    },
}

impl Policy {
    /// Whether some call of tool `t` of server `si` with arguments may be
    /// allowed or asked although the call without arguments, `decision`,
    /// is denied by no rule without constraints (that one denies every
    /// call, whatever its arguments), and a rule without constraints allows
    /// or asks it (only denies with constraints stood in the way) or an
    /// allow or ask rule with argument constraints names it.
    fn reachable_under_constraints(&self, si: u32, t: &str, decision: &Decision) -> bool {
        if decision.effect != Effect::Deny {
            return false;
        }
        match self.unconstrained_tool_effect(si, t) {
            Some(Effect::Deny) => false,
            // Only denies with constraints stood in its way: a call whose
            // arguments fail them gets this allow or ask.
            Some(_) => true,
            None => self
                .mcp
                .constrained(si)
                .iter()
                .any(|c| c.effect != Effect::Deny && c.names(t)),
        }
    }

    /// Which of `tools`, offered by MCP server `server` (from `source`), the
    /// agent may see: one [`Listed`] per tool, in input order, duplicates
    /// kept. Allocates the result only; [`Policy::list_tools_into`] reuses a
    /// buffer instead.
    ///
    /// An invalid server name, invalid source or unapproved server hides
    /// every tool (each entry carries that decision); an invalid tool name
    /// hides that tool only. More than [`MAX_LISTED_TOOLS`] tools is
    /// [`ListError::TooManyTools`]. Never panics.
    pub fn list_tools(
        &self,
        server: &str,
        source: Option<&str>,
        tools: &[&str],
    ) -> Result<Vec<Listed>, ListError> {
        let mut out = Vec::new();
        self.list_tools_into(server, source, tools.iter().copied(), &mut out)?;
        Ok(out)
    }

    /// [`Policy::list_tools`] into `out` (cleared first), for callers that
    /// list often and keep the buffer, or whose names are not in a slice.
    /// `tools` must report its exact length (`ExactSizeIterator`), which is
    /// checked against [`MAX_LISTED_TOOLS`] before any tool is decided; on
    /// an error `out` is left empty.
    pub fn list_tools_into<'t>(
        &self,
        server: &str,
        source: Option<&str>,
        tools: impl ExactSizeIterator<Item = &'t str>,
        out: &mut Vec<Listed>,
    ) -> Result<(), ListError> {
        out.clear();
        if tools.len() > MAX_LISTED_TOOLS {
            return Err(ListError::TooManyTools {
                given: tools.len(),
                max: MAX_LISTED_TOOLS,
            });
        }
        out.reserve_exact(tools.len());
        // The checks run in the order `decide` runs them (server, tool,
        // source, approval), so each entry is the decision of that call.
        let mut sb = [0u8; MAX_NAME_LEN];
        let server: Result<&str, Invalid> = normalize::name(server, &mut sb);
        let source: Result<Option<&str>, Invalid> = source.map(normalize::source).transpose();
        let approved = match (&server, &source) {
            (Ok(s), Ok(src)) => self.approved_server(s, *src),
            _ => None,
        };
        let mut tb = [0u8; MAX_NAME_LEN];
        for tool in tools {
            let decision = match (server, normalize::name(tool, &mut tb), source, approved) {
                (Err(why), _, _, _) | (_, Err(why), _, _) | (_, _, Err(why), _) => {
                    Decision::invalid(why)
                }
                (_, Ok(t), _, Some(si)) => {
                    let call = Call {
                        arguments: None,
                        definition: Definition::Pinned,
                        ctx: &crate::Context::default(),
                    };
                    let decision = self.decide_tool(si, t, call);
                    out.push(Listed {
                        listed: decision.effect != Effect::Deny
                            || self.reachable_under_constraints(si, t, &decision),
                        decision,
                    });
                    continue;
                }
                (_, Ok(_), _, None) => self.mcp_default(),
            };
            out.push(Listed::from_decision(decision));
        }
        Ok(())
    }
}
