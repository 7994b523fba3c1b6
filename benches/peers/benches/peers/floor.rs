//! `floor`: one hand-written data structure per workload (none for paths).

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use crate::data::Workload;
use crate::engine::Engine;

/// The hand-written floor: the best special-purpose check per workload.
pub enum Floor {
    /// Walk the host's parent suffixes in a HashSet.
    Domain(HashSet<Box<str>>, Vec<String>),
    /// Merged sorted intervals, binary search.
    Cidr(Vec<(u32, u32)>, Vec<String>),
    /// Exact names in a HashMap (name -> allow).
    Mcp(HashMap<Box<str>, bool>, Vec<String>),
    /// Upper-case names in a HashSet; the request is upper-cased into a
    /// stack buffer first (secret names compare case-insensitively).
    Secret(HashSet<Box<[u8]>>, Vec<String>),
}

impl Floor {
    pub fn new(w: Workload, rules: &[String], reqs: Vec<String>) -> Option<Floor> {
        Some(match w {
            Workload::Domain => {
                Floor::Domain(rules.iter().map(|r| r.as_str().into()).collect(), reqs)
            }
            Workload::Cidr => {
                let mut iv: Vec<(u32, u32)> = rules
                    .iter()
                    .map(|r| {
                        let net: ipnet::Ipv4Net = r.parse().unwrap();
                        (u32::from(net.network()), u32::from(net.broadcast()))
                    })
                    .collect();
                iv.sort_unstable();
                let mut merged: Vec<(u32, u32)> = Vec::with_capacity(iv.len());
                for (lo, hi) in iv {
                    match merged.last_mut() {
                        Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                        _ => merged.push((lo, hi)),
                    }
                }
                Floor::Cidr(merged, reqs)
            }
            Workload::Mcp => Floor::Mcp(
                rules.iter().map(|r| (r.as_str().into(), true)).collect(),
                reqs,
            ),
            Workload::Secret => Floor::Secret(
                rules
                    .iter()
                    .map(|r| r.to_ascii_uppercase().into_bytes().into())
                    .collect(),
                reqs,
            ),
            Workload::Path => return None,
        })
    }
}

impl Engine for Floor {
    fn decide(&mut self, i: usize) -> bool {
        match self {
            Floor::Domain(set, reqs) => {
                let mut h = reqs[i].as_str();
                loop {
                    if set.contains(h) {
                        return true;
                    }
                    match h.find('.') {
                        Some(p) => h = &h[p + 1..],
                        None => return false,
                    }
                }
            }
            Floor::Cidr(iv, reqs) => {
                let Ok(ip) = reqs[i].parse::<Ipv4Addr>() else {
                    return false;
                };
                let ip = u32::from(ip);
                let k = iv.partition_point(|&(lo, _)| lo <= ip);
                k > 0 && iv[k - 1].1 >= ip
            }
            Floor::Mcp(map, reqs) => map.get(reqs[i].as_str()).copied().unwrap_or(false),
            Floor::Secret(set, reqs) => {
                let r = reqs[i].as_bytes();
                let mut buf = [0u8; 128];
                let Some(b) = buf.get_mut(..r.len()) else {
                    return false;
                };
                b.copy_from_slice(r);
                b.make_ascii_uppercase();
                set.contains(&*b)
            }
        }
    }
}
