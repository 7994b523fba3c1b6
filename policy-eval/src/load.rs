//! [`Policy`]: an [`Artifact`] validated and indexed for decisions.
//!
//! Loading runs each table's validation and index building (`table/*`) in
//! a fixed order: rules and candidate lists, network, filesystem,
//! credentials, MCP, HTTP. The first failure is the [`LoadError`].

use crate::artifact::{Artifact, Rule, Surface};
use crate::error::LoadError;
use crate::table::domain::DomainIndex;
use crate::table::http::HttpIndex;
use crate::table::ip::IpIndex;
use crate::table::name::{Keys, McpIndex, NameIndex};
use crate::table::path::RootIndex;
use crate::table::rules::{Checker, RuleIndex};
use crate::table::unique;

/// A loaded policy: the artifact plus hash indexes and parsed globs.
///
/// Immutable after loading and `Send + Sync`: share it between threads
/// behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) art: Artifact,
    /// Per-rule bits and credential destinations.
    pub(crate) rules: RuleIndex,
    /// Domain anchors.
    pub(crate) domains: DomainIndex,
    /// Address intervals.
    pub(crate) ips: IpIndex,
    /// Filesystem roots, in artifact order.
    pub(crate) roots: Vec<RootIndex>,
    /// Credential name tables.
    pub(crate) credentials: NameIndex,
    /// MCP servers and their tool tables.
    pub(crate) mcp: McpIndex,
    /// HTTP blocks.
    pub(crate) http: HttpIndex,
}

impl Policy {
    /// Decodes and validates an artifact (`spec/artifact.md`). Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, LoadError> {
        Policy::from_artifact(Artifact::from_bytes(bytes)?)
    }

    /// Validates every table and cross-reference of `art` and builds the
    /// indexes. Never panics; see `spec/artifact.md` for the checks.
    pub fn from_artifact(art: Artifact) -> Result<Policy, LoadError> {
        let ck = Checker::new(&art)?;
        let domains = DomainIndex::build(&art.network.domains, &art.rules, &ck)?;
        let ips = IpIndex::build(&art.network, &ck)?;
        unique(
            "filesystem",
            "root",
            art.filesystem.roots.iter().map(|r| r.name.as_str()),
        )?;
        let mut roots = Vec::with_capacity(art.filesystem.roots.len());
        for r in &art.filesystem.roots {
            roots.push(RootIndex::build(r, &art.rules, &ck)?);
        }
        let credentials = NameIndex::build(
            "credentials",
            &art.credentials,
            &art,
            Surface::Credential,
            Keys::Names,
            &ck,
        )?;
        let rules = RuleIndex::build(&art)?;
        let mcp = McpIndex::build(&art, &ck)?;
        let http = HttpIndex::build(&art.http, &art.rules, &ck)?;
        Ok(Policy {
            art,
            rules,
            domains,
            ips,
            roots,
            credentials,
            mcp,
            http,
        })
    }

    /// The validated artifact (rules, metadata, tables).
    pub fn artifact(&self) -> &Artifact {
        &self.art
    }

    /// The rule with index `index`, if any.
    pub fn rule(&self, index: u32) -> Option<&Rule> {
        self.art.rules.get(index as usize)
    }

    /// Root names the context must bind (every root but "").
    pub fn required_roots(&self) -> impl Iterator<Item = &str> {
        self.roots
            .iter()
            .map(|r| &*r.name)
            .filter(|n| !n.is_empty())
    }
}
