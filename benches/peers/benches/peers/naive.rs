//! `naive` and `globset`: a loop over the rules with one matcher each, and
//! for paths one `GlobSet`.

use std::net::Ipv4Addr;

use crate::data::Workload;
use crate::engine::Engine;

/// Largest rule count of the naive path matchers (one regex per glob).
const NAIVE_GLOB_CAP: usize = 10_000;

/// The naive baseline: a loop over the rules, one matcher each.
enum Naive {
    Domain(Vec<(String, String)>, Vec<String>),
    Cidr(Vec<ipnet::Ipv4Net>, Vec<String>),
    PathLoop(Vec<globset::GlobMatcher>, Vec<String>),
    PathSet(globset::GlobSet, Vec<String>),
    Mcp(Vec<String>, Vec<String>),
    Secret(Vec<String>, Vec<String>),
}

fn glob(r: &str) -> globset::Glob {
    globset::GlobBuilder::new(r)
        .literal_separator(true)
        .build()
        .unwrap()
}

/// The naive engines for one workload and size, by name: `naive`, and for
/// paths also `globset` (neither past `NAIVE_GLOB_CAP` path rules).
pub fn engines(
    w: Workload,
    n: usize,
    rules: &[String],
    reqs: &[String],
) -> Vec<(&'static str, Box<dyn Engine>)> {
    let reqs = reqs.to_vec();
    let naive = match w {
        Workload::Domain => Naive::Domain(
            rules.iter().map(|r| (r.clone(), format!(".{r}"))).collect(),
            reqs,
        ),
        Workload::Cidr => Naive::Cidr(rules.iter().map(|r| r.parse().unwrap()).collect(), reqs),
        Workload::Mcp => Naive::Mcp(rules.to_vec(), reqs),
        Workload::Secret => Naive::Secret(rules.to_vec(), reqs),
        Workload::Path if n <= NAIVE_GLOB_CAP => {
            let each = Naive::PathLoop(
                rules.iter().map(|r| glob(r).compile_matcher()).collect(),
                reqs.clone(),
            );
            let mut b = globset::GlobSetBuilder::new();
            for r in rules {
                b.add(glob(r));
            }
            let set = Naive::PathSet(b.build().unwrap(), reqs);
            return vec![("naive", Box::new(each)), ("globset", Box::new(set))];
        }
        Workload::Path => return Vec::new(),
    };
    vec![("naive", Box::new(naive))]
}

impl Engine for Naive {
    fn decide(&mut self, i: usize) -> bool {
        match self {
            Naive::Domain(rules, reqs) => {
                let h = reqs[i].as_str();
                rules
                    .iter()
                    .any(|(d, dot)| h == d || h.ends_with(dot.as_str()))
            }
            Naive::Cidr(nets, reqs) => {
                let Ok(ip) = reqs[i].parse::<Ipv4Addr>() else {
                    return false;
                };
                nets.iter().any(|n| n.contains(&ip))
            }
            Naive::PathLoop(globs, reqs) => {
                let p = reqs[i].as_str();
                globs.iter().any(|g| g.is_match(p))
            }
            Naive::PathSet(set, reqs) => set.is_match(reqs[i].as_str()),
            Naive::Mcp(names, reqs) => names.iter().any(|n| n == &reqs[i]),
            Naive::Secret(names, reqs) => names.iter().any(|n| n.eq_ignore_ascii_case(&reqs[i])),
        }
    }
}
