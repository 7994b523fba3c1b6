//! The encoder of the artifact byte format (`spec/artifact.md`).

use super::{crc32, FORMAT_VERSION, HEADER_LEN, MAGIC};
use crate::artifact::{
    ArgTest, ArgValue, Artifact, Automata, Condition, DomainPattern, FsRoot, Lifetime, NameTables,
    Rule,
};

struct Writer {
    out: Vec<u8>,
}

/// Lengths beyond `u32` cannot occur within the compiler's limits; they are
/// saturated, which produces an artifact the decoder refuses.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn count(&mut self, n: usize) {
        self.u32(len32(n));
    }
    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }
    fn bool(&mut self, b: bool) {
        self.u8(u8::from(b));
    }
    fn pairs(&mut self, v: &[(String, u32)]) {
        self.count(v.len());
        for (s, c) in v {
            self.str(s);
            self.u32(*c);
        }
    }
    fn triples(&mut self, v: &[(String, String, u32)]) {
        self.count(v.len());
        for (a, b, c) in v {
            self.str(a);
            self.str(b);
            self.u32(*c);
        }
    }
    fn names(&mut self, t: &NameTables) {
        self.pairs(&t.exact);
        self.pairs(&t.prefix);
        self.automata(&t.automata);
        self.pairs(&t.globs);
    }
    fn automata(&mut self, a: &Automata) {
        self.count(a.dfas.len());
        for d in &a.dfas {
            self.count(d.bytes.len());
            self.out.extend_from_slice(&d.bytes);
            self.count(d.rules.len());
            for &r in &d.rules {
                self.u32(r);
            }
        }
    }
    fn domain_pattern(&mut self, p: &DomainPattern) {
        self.strings(&p.prefix);
        self.bool(p.any_depth);
        self.str(&p.anchor);
    }

    /// A path table: a filesystem root, or the paths of an `http` block.
    fn root(&mut self, r: &FsRoot) {
        self.str(&r.name);
        self.pairs(&r.exact);
        self.pairs(&r.prefix);
        self.triples(&r.extension);
        self.count(r.globs.len());
        for (dir, a) in &r.globs {
            self.str(dir);
            self.automata(a);
        }
    }

    fn strings(&mut self, v: &[String]) {
        self.count(v.len());
        for s in v {
            self.str(s);
        }
    }
    fn section(&mut self, tag: u32, body: impl FnOnce(&mut Writer)) {
        self.u32(tag);
        let at = self.out.len();
        self.u32(0);
        body(self);
        let len = len32(self.out.len() - at - 4);
        if let Some(slot) = self.out.get_mut(at..at + 4) {
            slot.copy_from_slice(&len.to_le_bytes());
        }
    }
}

impl Artifact {
    /// Encodes the artifact in the format of `spec/artifact.md` (format
    /// version [`FORMAT_VERSION`]). Deterministic: equal artifacts give equal
    /// bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer { out: Vec::new() };
        w.section(1, |w| {
            let m = &self.meta;
            w.str(&m.name);
            w.str(&m.version);
            w.str(&m.description);
            w.str(&m.owner);
            w.out.extend_from_slice(&m.source_hash);
        });
        w.section(2, |w| {
            w.count(self.rules.len());
            for r in &self.rules {
                encode_rule(w, r);
            }
        });
        w.section(3, |w| {
            w.count(self.candidates.len());
            for list in &self.candidates {
                w.count(list.len());
                for &i in list {
                    w.u32(i);
                }
            }
        });
        w.section(4, |w| {
            for (e, pass) in self.defaults.iter().zip(self.passes) {
                // A pass default is written as 3 (its effect is deny).
                w.u8(if pass { 3 } else { *e as u8 });
            }
        });
        w.section(5, |w| {
            let n = &self.network;
            w.count(n.domains.len());
            for d in &n.domains {
                w.str(&d.anchor);
                w.u32(d.exact);
                w.u32(d.one_label);
                w.u32(d.any_depth);
                w.automata(&d.globs);
            }
            w.count(n.v4.len());
            for &(s, c) in &n.v4 {
                w.u32(s);
                w.u32(c);
            }
            w.count(n.v6.len());
            for &(s, c) in &n.v6 {
                w.u128(s);
                w.u32(c);
            }
        });
        w.section(6, |w| {
            w.count(self.filesystem.roots.len());
            for r in &self.filesystem.roots {
                w.root(r);
            }
        });
        w.section(7, |w| w.names(&self.credentials));
        w.section(8, |w| {
            w.count(self.mcp.servers.len());
            for s in &self.mcp.servers {
                w.str(&s.name);
                match &s.source {
                    None => w.u8(0),
                    Some(src) => {
                        w.u8(1);
                        w.str(src);
                    }
                }
                w.u32(s.rule);
                w.names(&s.tools);
                w.count(s.constrained.len());
                for (tools, rule) in &s.constrained {
                    w.u32(*rule);
                    w.count(tools.len());
                    for t in tools {
                        w.str(t);
                    }
                }
                w.count(s.pins.len());
                for p in &s.pins {
                    w.str(&p.tool);
                    w.u32(p.rule);
                    w.count(p.digests.len());
                    for d in &p.digests {
                        w.out.extend_from_slice(d);
                    }
                }
                w.names(&s.resources);
                w.names(&s.prompts);
            }
        });
        w.section(9, |w| {
            w.count(self.http.blocks.len());
            for b in &self.http.blocks {
                w.u32(b.rule);
                w.count(b.hosts.len());
                for p in &b.hosts {
                    w.domain_pattern(p);
                }
                w.root(&b.paths);
            }
        });
        let payload = w.out;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32(&payload).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }
}

fn encode_rule(w: &mut Writer, r: &Rule) {
    encode_rule_head(w, r);
    w.str(&r.ask_reason);
}

fn encode_rule_head(w: &mut Writer, r: &Rule) {
    w.str(&r.id);
    w.u8(r.surface as u8);
    w.u8(r.effect as u8);
    w.u32(r.line);
    w.u32(r.column);
    match &r.cond {
        Condition::None => w.u8(0),
        Condition::Ports(ports) => {
            w.u8(1);
            w.count(ports.len());
            for &(a, b) in ports {
                w.u16(a);
                w.u16(b);
            }
        }
        Condition::Access(a) => {
            w.u8(2);
            w.u8(a.0);
        }
        Condition::Methods(m) => {
            w.u8(4);
            w.u16(m.0);
        }
        Condition::Arguments(cs) => {
            w.u8(5);
            w.count(cs.len());
            for c in cs {
                w.str(&c.pointer);
                match &c.test {
                    ArgTest::Glob(g) => {
                        w.u8(0);
                        w.str(g);
                    }
                    ArgTest::OneOf(vs) => {
                        w.u8(1);
                        w.count(vs.len());
                        for v in vs {
                            match v {
                                ArgValue::Str(s) => {
                                    w.u8(0);
                                    w.str(s);
                                }
                                ArgValue::Int(i) => {
                                    w.u8(1);
                                    w.i64(*i);
                                }
                                ArgValue::Bool(b) => {
                                    w.u8(2);
                                    w.bool(*b);
                                }
                            }
                        }
                    }
                    ArgTest::Range(a, b) => {
                        w.u8(2);
                        w.i64(*a);
                        w.i64(*b);
                    }
                    ArgTest::Path(a) => {
                        w.u8(3);
                        w.u8(a.0);
                    }
                }
            }
        }
        Condition::Credential(c) => {
            w.u8(3);
            match &c.destinations {
                None => w.u8(0),
                Some(d) => {
                    w.u8(1);
                    w.count(d.domains.len());
                    for p in &d.domains {
                        w.domain_pattern(p);
                    }
                    w.count(d.v4.len());
                    for &(a, b) in &d.v4 {
                        w.u32(a);
                        w.u32(b);
                    }
                    w.count(d.v6.len());
                    for &(a, b) in &d.v6 {
                        w.u128(a);
                        w.u128(b);
                    }
                }
            }
            match c.lifetime {
                Lifetime::Session => w.u8(0),
                Lifetime::Seconds(s) => {
                    w.u8(1);
                    w.u32(s);
                }
            }
        }
    }
}
