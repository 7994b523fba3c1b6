//! The workloads and the rule and request files `benches/gen_data.py` writes.

use std::path::PathBuf;

/// Where `gen_data.py` wrote the rule sets: `$PEERS_DATA`, or
/// `target/bench-data` at the repository root.
pub fn data_dir() -> PathBuf {
    std::env::var_os("PEERS_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    Domain,
    Cidr,
    Path,
    Mcp,
    Secret,
}

impl Workload {
    pub const ALL: [Workload; 5] = [
        Workload::Domain,
        Workload::Cidr,
        Workload::Path,
        Workload::Mcp,
        Workload::Secret,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Workload::Domain => "domain",
            Workload::Cidr => "cidr",
            Workload::Path => "path",
            Workload::Mcp => "mcp",
            Workload::Secret => "secret",
        }
    }
}

/// `<data>/<workload>/<what>-<n>.txt`, one rule or request a line.
pub fn read_lines(w: Workload, what: &str, n: usize) -> Vec<String> {
    let p = data_dir().join(w.name()).join(format!("{what}-{n}.txt"));
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run `python3 benches/gen_data.py`)", p.display()));
    text.lines().map(str::to_owned).collect()
}
