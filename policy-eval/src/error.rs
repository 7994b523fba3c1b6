//! Errors raised while loading an artifact.

/// Why an artifact was refused. Loading never panics; every problem is one of
/// these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The first 8 bytes are not the artifact magic.
    #[error(
        "not a policy artifact: bad magic bytes (is this a policy source file? compile it first)"
    )]
    BadMagic,
    /// The input ends before the header or payload does.
    #[error("artifact truncated: expected {expected} bytes, got {got}")]
    Truncated {
        /// Bytes the header announces (or the header size).
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// Bytes follow the payload.
    #[error("artifact has trailing data: expected {expected} bytes, got {got}")]
    TrailingData {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// The payload CRC-32 does not match: the file is corrupted.
    #[error("artifact checksum mismatch: header says {stored:#010x}, payload has {computed:#010x} (file corrupted)")]
    ChecksumMismatch {
        /// CRC-32 stored in the header.
        stored: u32,
        /// CRC-32 computed over the payload.
        computed: u32,
    },
    /// The format version is outside the range this runtime reads.
    #[error("{}", version_message(*found, *supported))]
    UnsupportedVersion {
        /// Version in the artifact.
        found: u32,
        /// The newest version this runtime reads (for a newer artifact) or
        /// the oldest (for an older one).
        supported: u32,
    },
    /// Unknown header flags are set.
    #[error("artifact uses unsupported flags {0:#x}")]
    UnsupportedFlags(u32),
    /// The artifact exceeds [`crate::limits::MAX_ARTIFACT_BYTES`].
    #[error("artifact too large: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input or announced size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A table is malformed or inconsistent.
    #[error("invalid artifact table `{table}`: {problem}")]
    InvalidTable {
        /// Which table or section.
        table: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn version_message(found: u32, supported: u32) -> String {
    if found > supported {
        format!(
            "artifact format version {found} is newer than this runtime supports (version {supported}); upgrade the runtime or compile with a matching compiler"
        )
    } else {
        format!(
            "artifact format version {found} is older than this runtime supports (oldest: version {supported}); recompile the policy"
        )
    }
}

impl LoadError {
    /// Shorthand for [`LoadError::InvalidTable`].
    pub(crate) fn table(table: &'static str, problem: impl Into<String>) -> LoadError {
        LoadError::InvalidTable {
            table,
            problem: problem.into(),
        }
    }
}
