//! Address tables: IPv4 and IPv6 elementary intervals, each with a candidate
//! list, and the bucket index that bounds an IPv4 search.

use std::net::IpAddr;

use super::rules::{Best, Checker, Scan};
use crate::addr;
use crate::artifact::{Candidates, Effect, NetworkTables, Surface};
use crate::error::LoadError;

/// Bits of an IPv4 address that pick its bucket in [`IpIndex`].
pub(crate) const V4_BUCKET_BITS: u32 = 12;

/// The indexed address intervals (`art.network.v4` and `v6`).
#[derive(Debug, Clone, Default)]
pub(crate) struct IpIndex {
    /// Per value of an IPv4 address's top 12 bits: the index of the
    /// interval holding the first address with those bits (4,097 entries,
    /// the last one the final interval), so a lookup binary-searches only
    /// the few intervals of its bucket instead of the whole table.
    v4_buckets: Vec<u32>,
}

impl IpIndex {
    /// Validates the interval tables and builds the IPv4 buckets.
    pub(crate) fn build(net: &NetworkTables, ck: &Checker) -> Result<IpIndex, LoadError> {
        check_intervals("network", &net.v4, ck)?;
        check_intervals("network", &net.v6, ck)?;
        Ok(IpIndex {
            v4_buckets: v4_buckets(&net.v4),
        })
    }

    /// Probes the interval holding `ip`.
    pub(crate) fn probe(&self, net: &NetworkTables, ip: IpAddr, scan: &Scan, best: &mut Best) {
        let list = match ip {
            IpAddr::V4(a) => self.v4_interval(net, u32::from(a)),
            IpAddr::V6(a) => interval(&net.v6, u128::from(a)),
        };
        if let Some(list) = list {
            scan.consider(best, list);
        }
    }

    /// Probes the IPv4 addresses embedded in `ip` (NAT64, 6to4, ...) with
    /// only deny and ask rules counting: they make a decision stricter,
    /// never grant it.
    pub(crate) fn probe_embedded(
        &self,
        net: &NetworkTables,
        ip: IpAddr,
        scan: &Scan,
        best: &mut Best,
    ) {
        let IpAddr::V6(v6) = ip else {
            return;
        };
        let weakest = best.weakest;
        best.weakest = Effect::Ask;
        for a in addr::embedded_v4(v6).as_slice() {
            if let Some(list) = self.v4_interval(net, *a) {
                scan.consider(best, list);
            }
        }
        best.weakest = weakest;
    }

    /// The candidates of the IPv4 interval holding `x`: the bucket of its
    /// top bits bounds the binary search.
    fn v4_interval(&self, net: &NetworkTables, x: u32) -> Option<Candidates> {
        bucketed_interval(&net.v4, &self.v4_buckets, x)
    }
}

fn check_intervals<T: Copy + Ord + Default + std::fmt::Display>(
    table: &'static str,
    iv: &[(T, u32)],
    ck: &Checker,
) -> Result<(), LoadError> {
    if let Some(&(first, _)) = iv.first() {
        if first != T::default() {
            return Err(LoadError::table(
                table,
                "first address interval must start at 0",
            ));
        }
    }
    for w in iv.windows(2) {
        if let [(a, _), (b, _)] = w {
            if a >= b {
                return Err(LoadError::table(
                    table,
                    format!("address intervals not strictly ascending at {b}"),
                ));
            }
        }
    }
    for &(_, c) in iv {
        ck.list(table, c, Surface::Network)?;
    }
    Ok(())
}

/// The candidate list of the elementary interval containing `x`.
/// Per value of the top [`V4_BUCKET_BITS`] bits, the index of the interval
/// holding the first address with those bits; one more entry at the end.
fn v4_buckets(iv: &[(u32, Candidates)]) -> Vec<u32> {
    (0..=(1u32 << V4_BUCKET_BITS))
        .map(|b| {
            let first = u64::from(b) << (32 - V4_BUCKET_BITS);
            let after = iv.partition_point(|&(s, _)| u64::from(s) <= first);
            u32::try_from(after.saturating_sub(1)).unwrap_or(u32::MAX)
        })
        .collect()
}

/// [`interval`] searching only the intervals of `x`'s bucket: the answer
/// lies between the intervals holding the first address of its bucket and
/// of the next one.
fn bucketed_interval(iv: &[(u32, Candidates)], buckets: &[u32], x: u32) -> Option<Candidates> {
    let b = (x >> (32 - V4_BUCKET_BITS)) as usize;
    let lo = buckets.get(b).map_or(0, |&i| i as usize);
    let hi = buckets.get(b + 1).map_or(usize::MAX, |&i| i as usize);
    let slice = iv.get(lo..=hi.min(iv.len().saturating_sub(1)))?;
    interval(slice, x)
}

fn interval<T: Ord + Copy>(iv: &[(T, Candidates)], x: T) -> Option<Candidates> {
    let pp = iv.partition_point(|&(s, _)| s <= x);
    pp.checked_sub(1).and_then(|i| iv.get(i)).map(|&(_, c)| c)
}

#[cfg(test)]
mod bucket_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bucketed_search_equals_plain_search(
            mut starts in prop::collection::vec(any::<u32>(), 0..300),
            near in prop::collection::vec(any::<u32>(), 1..64),
            probes in prop::collection::vec(any::<u32>(), 1..64),
        ) {
            // Intervals start at 0 and ascend; probes land near and on bounds.
            starts.push(0);
            starts.sort_unstable();
            starts.dedup();
            let iv: Vec<(u32, Candidates)> = starts.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();
            let buckets = v4_buckets(&iv);
            let mut xs = probes;
            for (k, n) in near.iter().enumerate() {
                if let Some(&(s, _)) = iv.get(*n as usize % iv.len()) {
                    xs.extend([s, s.wrapping_sub(1), s.wrapping_add(1), s.wrapping_add(k as u32)]);
                }
            }
            xs.extend([0, u32::MAX, 1 << 20, (1 << 20) - 1]);
            for x in xs {
                prop_assert_eq!(bucketed_interval(&iv, &buckets, x), interval(&iv, x), "x = {}", x);
            }
        }
    }
}
