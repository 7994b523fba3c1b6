//! Peer-engine benchmarks; see `benches/peers.rs`.
