//! The artifact byte format (`spec/artifact.md`): encoder and decoder.
//!
//! Architecture invariant: the format is defined here and in the spec, never
//! by a serde derive. Decoding checks the framing (magic, version, flags,
//! length, CRC-32) and the shape of every table; the semantic validation is
//! [`crate::Policy::from_artifact`].

mod decode;
mod encode;

/// The 8 magic bytes opening every artifact.
pub const MAGIC: [u8; 8] = *b"\x89APOL\r\n\x1a";
/// The format version this runtime writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 7;
/// The oldest format version this runtime reads: version 3 artifacts (no
/// `http` section) load as policies without `http` blocks.
pub const MIN_FORMAT_VERSION: u32 = 3;
/// Size of the fixed header in bytes.
pub const HEADER_LEN: usize = 32;

const SECTIONS: [(u32, &str); 9] = [
    (1, "meta"),
    (2, "rules"),
    (3, "candidates"),
    (4, "defaults"),
    (5, "network"),
    (6, "filesystem"),
    (7, "credentials"),
    (8, "mcp"),
    (9, "http"),
];

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320: the zlib / PNG /
/// Ethernet checksum) of `data`, by `crc32fast` (SIMD where the CPU has it).
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}
