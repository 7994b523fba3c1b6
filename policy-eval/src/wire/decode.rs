//! The decoder of the artifact byte format (`spec/artifact.md`): framing
//! and the shape of every table.

use super::{crc32, FORMAT_VERSION, HEADER_LEN, MAGIC, MIN_FORMAT_VERSION, SECTIONS};
use crate::artifact::{
    Access, ArgConstraint, ArgTest, ArgValue, Artifact, Automata, Condition, CredentialCond,
    Destinations, Dfa, DomainEntry, DomainPattern, Effect, FsRoot, FsTables, HttpBlock, HttpTables,
    Lifetime, McpServer, McpTables, Meta, Methods, NameTables, NetworkTables, Rule, Surface,
    ToolPin,
};
use crate::error::LoadError;
use crate::limits::MAX_ARTIFACT_BYTES;

impl Artifact {
    /// Decodes an artifact: checks the framing and the shape of every table,
    /// but not the cross-references ([`crate::Policy::from_bytes`] does both).
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact, LoadError> {
        let (version, payload) = check_header(bytes)?;
        let mut outer = Reader::new(payload, "payload");
        let mut sections: [&[u8]; 9] = [&[]; 9];
        // Version 3 is version 4 without the `http` section (and without
        // HTTP rules) and without ask reasons: its artifacts load as
        // policies without `http` blocks or reasons.
        let present = if version == 3 { 8 } else { SECTIONS.len() };
        for (slot, &(tag, name)) in sections.iter_mut().zip(SECTIONS.iter()).take(present) {
            let found = outer.u32()?;
            if found != tag {
                return Err(LoadError::table(
                    name,
                    format!("expected section tag {tag}, found {found}"),
                ));
            }
            let len = outer.u32()? as usize;
            *slot = outer.bytes(len)?;
        }
        outer.finish()?;
        let [meta, rules, cands, defaults, network, fs, creds, mcp, http] = sections;
        let (d_effects, d_passes) =
            decode_defaults(&mut Reader::new(defaults, "defaults"), version)?;
        Ok(Artifact {
            meta: decode_meta(&mut Reader::new(meta, "meta"))?,
            rules: decode_rules(&mut Reader::new(rules, "rules"), version)?,
            candidates: decode_candidates(&mut Reader::new(cands, "candidates"))?,
            defaults: d_effects,
            passes: d_passes,
            network: decode_network(&mut Reader::new(network, "network"))?,
            filesystem: decode_fs(&mut Reader::new(fs, "filesystem"))?,
            credentials: {
                let mut r = Reader::new(creds, "credentials");
                let t = r.names()?;
                r.finish()?;
                t
            },
            mcp: decode_mcp(&mut Reader::new(mcp, "mcp"), version)?,
            http: if version == 3 {
                HttpTables::default()
            } else {
                decode_http(&mut Reader::new(http, "http"))?
            },
        })
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

/// Checks the header and returns the format version and the payload.
fn check_header(bytes: &[u8]) -> Result<(u32, &[u8]), LoadError> {
    let got = bytes.len() as u64;
    let limit = MAX_ARTIFACT_BYTES as u64;
    if got > limit {
        return Err(LoadError::TooLarge { size: got, limit });
    }
    let head = bytes.get(..bytes.len().min(MAGIC.len())).unwrap_or(&[]);
    if MAGIC.get(..head.len()) != Some(head) {
        return Err(LoadError::BadMagic);
    }
    if bytes.len() < 12 {
        return Err(LoadError::Truncated {
            expected: HEADER_LEN as u64,
            got,
        });
    }
    let version = le_u32(bytes, 8);
    if !(MIN_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(LoadError::UnsupportedVersion {
            found: version,
            supported: if version > FORMAT_VERSION {
                FORMAT_VERSION
            } else {
                MIN_FORMAT_VERSION
            },
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(LoadError::Truncated {
            expected: HEADER_LEN as u64,
            got,
        });
    }
    let flags = le_u32(bytes, 12);
    if flags != 0 {
        return Err(LoadError::UnsupportedFlags(flags));
    }
    let mut lenb = [0u8; 8];
    if let Some(s) = bytes.get(16..24) {
        lenb.copy_from_slice(s);
    }
    let payload_len = u64::from_le_bytes(lenb);
    let stored = le_u32(bytes, 24);
    if le_u32(bytes, 28) != 0 {
        return Err(LoadError::table("header", "reserved field is not zero"));
    }
    let expected = payload_len.saturating_add(HEADER_LEN as u64);
    if expected > limit {
        return Err(LoadError::TooLarge {
            size: expected,
            limit,
        });
    }
    if got < expected {
        return Err(LoadError::Truncated { expected, got });
    }
    if got > expected {
        return Err(LoadError::TrailingData { expected, got });
    }
    let payload = bytes.get(HEADER_LEN..).unwrap_or(&[]);
    let computed = crc32(payload);
    if computed != stored {
        return Err(LoadError::ChecksumMismatch { stored, computed });
    }
    Ok((version, payload))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    table: &'static str,
}

type R<T> = Result<T, LoadError>;

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], table: &'static str) -> Self {
        Reader { buf, pos: 0, table }
    }
    fn err(&self, problem: impl Into<String>) -> LoadError {
        LoadError::table(self.table, problem)
    }
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e).map(|s| (e, s))) {
            Some((e, s)) => {
                self.pos = e;
                Ok(s)
            }
            None => Err(self.err(format!(
                "truncated: needs {n} more bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            ))),
        }
    }
    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> R<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn u128(&mut self) -> R<u128> {
        Ok(u128::from_le_bytes(self.array()?))
    }
    fn bool(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.err(format!("boolean byte {v} is neither 0 nor 1"))),
        }
    }
    /// A count of elements each at least `min_size` bytes long; refuses
    /// counts the remaining bytes cannot hold (so no huge allocation).
    fn count(&mut self, min_size: usize) -> R<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.remaining() {
            return Err(self.err(format!(
                "count {n} exceeds the {} bytes left",
                self.remaining()
            )));
        }
        Ok(n)
    }
    fn string(&mut self) -> R<String> {
        let n = self.u32()? as usize;
        let b = self.bytes(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(self.err("string is not valid UTF-8")),
        }
    }
    fn strings(&mut self) -> R<Vec<String>> {
        let n = self.count(4)?;
        (0..n).map(|_| self.string()).collect()
    }
    fn pairs(&mut self) -> R<Vec<(String, u32)>> {
        let n = self.count(8)?;
        (0..n).map(|_| Ok((self.string()?, self.u32()?))).collect()
    }
    fn triples(&mut self) -> R<Vec<(String, String, u32)>> {
        let n = self.count(12)?;
        (0..n)
            .map(|_| Ok((self.string()?, self.string()?, self.u32()?)))
            .collect()
    }
    fn names(&mut self) -> R<NameTables> {
        Ok(NameTables {
            exact: self.pairs()?,
            prefix: self.pairs()?,
            automata: self.automata()?,
            globs: self.pairs()?,
        })
    }
    fn automata(&mut self) -> R<Automata> {
        let n = self.count(8)?;
        let mut dfas = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.u32()? as usize;
            let bytes = self.bytes(len)?.to_vec();
            let k = self.count(4)?;
            let mut rules = Vec::with_capacity(k);
            for _ in 0..k {
                rules.push(self.u32()?);
            }
            dfas.push(Dfa { bytes, rules });
        }
        Ok(Automata { dfas })
    }
    fn domain_pattern(&mut self) -> R<DomainPattern> {
        Ok(DomainPattern {
            prefix: self.strings()?,
            any_depth: self.bool()?,
            anchor: self.string()?,
        })
    }

    /// A path table: a filesystem root, or the paths of an `http` block.
    fn root(&mut self) -> R<FsRoot> {
        Ok(FsRoot {
            name: self.string()?,
            exact: self.pairs()?,
            prefix: self.pairs()?,
            extension: self.triples()?,
            globs: {
                let k = self.count(8)?;
                let mut globs = Vec::with_capacity(k);
                for _ in 0..k {
                    globs.push((self.string()?, self.automata()?));
                }
                globs
            },
        })
    }

    fn effect(&mut self) -> R<Effect> {
        match self.u8()? {
            0 => Ok(Effect::Deny),
            1 => Ok(Effect::Ask),
            2 => Ok(Effect::Allow),
            v => Err(self.err(format!("unknown effect {v}"))),
        }
    }
    fn surface(&mut self) -> R<Surface> {
        match self.u8()? {
            0 => Ok(Surface::Network),
            1 => Ok(Surface::Filesystem),
            2 => Ok(Surface::Credential),
            3 => Ok(Surface::Mcp),
            v => Err(self.err(format!("unknown surface {v}"))),
        }
    }
    fn finish(&self) -> R<()> {
        if self.remaining() != 0 {
            return Err(self.err(format!("{} unread bytes at the end", self.remaining())));
        }
        Ok(())
    }
}

fn decode_meta(r: &mut Reader) -> R<Meta> {
    let m = Meta {
        name: r.string()?,
        version: r.string()?,
        description: r.string()?,
        owner: r.string()?,
        source_hash: r.array()?,
    };
    r.finish()?;
    Ok(m)
}

/// The rule table; version 3 rules have no ask reason.
fn decode_rules(r: &mut Reader, version: u32) -> R<Vec<Rule>> {
    let n = r.count(15)?;
    let mut rules = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.string()?;
        let surface = r.surface()?;
        let effect = r.effect()?;
        let line = r.u32()?;
        let column = r.u32()?;
        let cond = match r.u8()? {
            0 => Condition::None,
            1 => {
                let k = r.count(4)?;
                let mut ports = Vec::with_capacity(k);
                for _ in 0..k {
                    ports.push((r.u16()?, r.u16()?));
                }
                Condition::Ports(ports)
            }
            2 => Condition::Access(Access(r.u8()?)),
            3 => {
                let destinations = if r.bool()? {
                    let k = r.count(9)?;
                    let mut domains = Vec::with_capacity(k);
                    for _ in 0..k {
                        domains.push(r.domain_pattern()?);
                    }
                    let k = r.count(8)?;
                    let mut v4 = Vec::with_capacity(k);
                    for _ in 0..k {
                        v4.push((r.u32()?, r.u32()?));
                    }
                    let k = r.count(32)?;
                    let mut v6 = Vec::with_capacity(k);
                    for _ in 0..k {
                        v6.push((r.u128()?, r.u128()?));
                    }
                    Some(Destinations { domains, v4, v6 })
                } else {
                    None
                };
                let lifetime = match r.u8()? {
                    0 => Lifetime::Session,
                    1 => Lifetime::Seconds(r.u32()?),
                    v => return Err(r.err(format!("unknown lifetime tag {v}"))),
                };
                Condition::Credential(CredentialCond {
                    destinations,
                    lifetime,
                })
            }
            4 => Condition::Methods(Methods(r.u16()?)),
            5 if version >= 5 => Condition::Arguments(decode_constraints(r)?),
            v => return Err(r.err(format!("unknown condition tag {v}"))),
        };
        let ask_reason = if version == 3 {
            String::new()
        } else {
            r.string()?
        };
        rules.push(Rule {
            id,
            surface,
            effect,
            line,
            column,
            cond,
            ask_reason,
        });
    }
    r.finish()?;
    Ok(rules)
}

/// The constraints of a tool rule's `where` clause (condition tag 5).
fn decode_constraints(r: &mut Reader) -> R<Vec<ArgConstraint>> {
    let n = r.count(6)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let pointer = r.string()?;
        let test = match r.u8()? {
            0 => ArgTest::Glob(r.string()?),
            1 => {
                let k = r.count(2)?;
                let mut vs = Vec::with_capacity(k);
                for _ in 0..k {
                    vs.push(match r.u8()? {
                        0 => ArgValue::Str(r.string()?),
                        1 => ArgValue::Int(r.i64()?),
                        2 => ArgValue::Bool(r.bool()?),
                        v => return Err(r.err(format!("unknown argument value tag {v}"))),
                    });
                }
                ArgTest::OneOf(vs)
            }
            2 => ArgTest::Range(r.i64()?, r.i64()?),
            3 => ArgTest::Path(Access(r.u8()?)),
            v => return Err(r.err(format!("unknown argument test tag {v}"))),
        };
        out.push(ArgConstraint { pointer, test });
    }
    Ok(out)
}

fn decode_candidates(r: &mut Reader) -> R<Vec<Vec<u32>>> {
    let n = r.count(4)?;
    let mut lists = Vec::with_capacity(n);
    for _ in 0..n {
        let k = r.count(4)?;
        let mut list = Vec::with_capacity(k);
        for _ in 0..k {
            list.push(r.u32()?);
        }
        lists.push(list);
    }
    r.finish()?;
    Ok(lists)
}

/// The default of each surface; from version 7, the byte 3 is `pass`
/// (deny, and no decision in a stack).
fn decode_defaults(r: &mut Reader, version: u32) -> R<([Effect; 4], [bool; 4])> {
    let mut effects = [Effect::Deny; 4];
    let mut passes = [false; 4];
    for (e, p) in effects.iter_mut().zip(&mut passes) {
        match r.u8()? {
            0 => *e = Effect::Deny,
            1 => *e = Effect::Ask,
            2 => *e = Effect::Allow,
            3 if version >= 7 => *p = true,
            v => return Err(r.err(format!("unknown default {v}"))),
        }
    }
    r.finish()?;
    Ok((effects, passes))
}

fn decode_network(r: &mut Reader) -> R<NetworkTables> {
    let n = r.count(20)?;
    let mut domains = Vec::with_capacity(n);
    for _ in 0..n {
        let anchor = r.string()?;
        let exact = r.u32()?;
        let one_label = r.u32()?;
        let any_depth = r.u32()?;
        let globs = r.automata()?;
        domains.push(DomainEntry {
            anchor,
            exact,
            one_label,
            any_depth,
            globs,
        });
    }
    let k = r.count(8)?;
    let mut v4 = Vec::with_capacity(k);
    for _ in 0..k {
        v4.push((r.u32()?, r.u32()?));
    }
    let k = r.count(20)?;
    let mut v6 = Vec::with_capacity(k);
    for _ in 0..k {
        v6.push((r.u128()?, r.u32()?));
    }
    r.finish()?;
    Ok(NetworkTables { domains, v4, v6 })
}

fn decode_fs(r: &mut Reader) -> R<FsTables> {
    let n = r.count(20)?;
    let mut roots = Vec::with_capacity(n);
    for _ in 0..n {
        roots.push(r.root()?);
    }
    r.finish()?;
    Ok(FsTables { roots })
}

/// The MCP servers; version 3 and 4 servers have no constrained rules, and
/// version 3 to 5 servers no pins, resource or prompt rules.
fn decode_mcp(r: &mut Reader, version: u32) -> R<McpTables> {
    let n = r.count(25)?;
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        let source = if r.bool()? { Some(r.string()?) } else { None };
        let rule = r.u32()?;
        let tools = r.names()?;
        let mut constrained = Vec::new();
        let mut pins = Vec::new();
        let (mut resources, mut prompts) = (NameTables::default(), NameTables::default());
        if version >= 5 {
            let k = r.count(8)?;
            constrained.reserve(k);
            for _ in 0..k {
                let rule = r.u32()?;
                let names = r.strings()?;
                constrained.push((names, rule));
            }
        }
        if version >= 6 {
            let k = r.count(12)?;
            pins.reserve(k);
            for _ in 0..k {
                let tool = r.string()?;
                let rule = r.u32()?;
                let d = r.count(32)?;
                let digests = (0..d).map(|_| r.array::<32>()).collect::<R<Vec<_>>>()?;
                pins.push(ToolPin {
                    tool,
                    rule,
                    digests,
                });
            }
            resources = r.names()?;
            prompts = r.names()?;
        }
        servers.push(McpServer {
            name,
            source,
            rule,
            tools,
            constrained,
            pins,
            resources,
            prompts,
        });
    }
    r.finish()?;
    Ok(McpTables { servers })
}

fn decode_http(r: &mut Reader) -> R<HttpTables> {
    let n = r.count(28)?;
    let mut blocks = Vec::with_capacity(n);
    for _ in 0..n {
        let rule = r.u32()?;
        let k = r.count(9)?;
        let mut hosts = Vec::with_capacity(k);
        for _ in 0..k {
            hosts.push(r.domain_pattern()?);
        }
        let paths = r.root()?;
        blocks.push(HttpBlock { rule, hosts, paths });
    }
    r.finish()?;
    Ok(HttpTables { blocks })
}
