//! Reading what commands take as input, in one place: a policy file (source
//! or artifact, told apart by the artifact's magic bytes), read only within
//! the size limit of its kind, and built with [`policy_lang::build()`].

use std::io::{Read, Write};
use std::path::Path;

use policy_eval::limits::{MAX_ARTIFACT_BYTES, MAX_POLICY_SOURCE_BYTES};
use policy_eval::wire::MAGIC;
use policy_eval::{LoadError, Policy};
use policy_lang::check::source_too_large;
use policy_lang::diag::Diagnostic;
use policy_lang::model::CheckedPolicy;
use policy_lang::{build_bytes, Build};

use crate::render::print_diagnostics;
use crate::{Format, EXIT_FAIL, EXIT_USAGE};

/// A policy source or artifact, read only when its size is within the limit
/// of its kind.
pub(crate) struct PolicyFile {
    /// The file starts with the artifact magic bytes (looked for only where
    /// an artifact is accepted).
    pub artifact: bool,
    /// Size from the file's metadata.
    pub size: u64,
    /// Over the limit of its kind (`MAX_ARTIFACT_BYTES` for an artifact,
    /// `MAX_POLICY_SOURCE_BYTES` otherwise), so not read.
    pub too_large: bool,
    /// The whole file; when `too_large`, only the start of its first line
    /// (at most `HEAD_BYTES`), for the snippet of the E0003 diagnostic.
    pub bytes: Vec<u8>,
}

/// How much of an oversized file is read: enough for the magic bytes and
/// the first line.
const HEAD_BYTES: u64 = 4096;

/// Reads a policy file, reporting I/O failure on `err`. The size comes from
/// the file's metadata, so a file over its limit is refused without being
/// read. Reading also stops one byte past the limit, for files that grow or
/// have no size (pipes, devices): the checker or `Policy::from_bytes` then
/// refuses the bytes read, as for any input over the limit.
pub(crate) fn read_policy(path: &Path, artifacts: bool, err: &mut dyn Write) -> Option<PolicyFile> {
    let read = || -> std::io::Result<PolicyFile> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let mut bytes = Vec::new();
        (&mut file).take(HEAD_BYTES).read_to_end(&mut bytes)?;
        let artifact = artifacts && bytes.starts_with(&MAGIC);
        let limit = if artifact {
            MAX_ARTIFACT_BYTES
        } else {
            MAX_POLICY_SOURCE_BYTES
        } as u64;
        let too_large = size > limit;
        if too_large {
            // Only a source's first line is ever shown.
            let line = bytes.iter().position(|&b| b == b'\n');
            let keep = if artifact {
                0
            } else {
                line.unwrap_or(bytes.len())
            };
            bytes.truncate(keep);
        } else {
            let expected = usize::try_from(size).unwrap_or(0);
            bytes.reserve(expected.saturating_sub(bytes.len()));
            let rest = (limit + 1).saturating_sub(bytes.len() as u64);
            file.take(rest).read_to_end(&mut bytes)?;
        }
        Ok(PolicyFile {
            artifact,
            size,
            too_large,
            bytes,
        })
    };
    match read() {
        Ok(f) => Some(f),
        Err(e) => {
            let _ = writeln!(err, "error: cannot read `{}`: {e}", path.display());
            None
        }
    }
}

/// Builds a policy source read by [`read_policy`]: E0003 without looking
/// at the text when the file is over the size limit.
pub(crate) fn build_file(file: &PolicyFile) -> Build {
    if !file.too_large {
        return build_bytes(&file.bytes);
    }
    Build::failed(source_too_large(file.size).diagnostics)
}

/// A policy built from source, with what explanations need.
pub(crate) struct FromSource {
    /// The source text.
    pub source: String,
    /// The checked policy.
    pub checked: CheckedPolicy,
    /// The policy loaded from `bytes`.
    pub policy: Policy,
    /// The artifact bytes.
    pub bytes: Vec<u8>,
    /// The build's diagnostics (warnings only: a build with errors is not
    /// a `FromSource`).
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and builds a policy source; diagnostics go to `err`.
pub(crate) fn from_source(path: &Path, err: &mut dyn Write) -> Result<FromSource, u8> {
    let file = read_policy(path, false, err).ok_or(EXIT_USAGE)?;
    build_source(path, &file, err)
}

/// Builds a policy source read by [`read_policy`]; when there are errors,
/// prints every diagnostic to `err`.
fn build_source(path: &Path, file: &PolicyFile, err: &mut dyn Write) -> Result<FromSource, u8> {
    let build = build_file(file);
    let (false, Some(checked), Some(policy), Some(bytes)) =
        (build.has_errors(), build.checked, build.policy, build.bytes)
    else {
        let name = path.display().to_string();
        print_diagnostics(
            &name,
            &file.bytes,
            &build.diagnostics,
            Format::Human,
            false,
            err,
        );
        return Err(EXIT_FAIL);
    };
    Ok(FromSource {
        source: String::from_utf8_lossy(&file.bytes).into_owned(),
        checked,
        policy,
        bytes,
        diagnostics: build.diagnostics,
    })
}

/// Loads an artifact (recognized by its magic bytes) or builds a source.
/// An artifact over `MAX_ARTIFACT_BYTES` is refused with the error
/// `Policy::from_bytes` gives, before it is read.
pub(crate) fn load_any(path: &Path, err: &mut dyn Write) -> Result<Policy, u8> {
    let file = read_policy(path, true, err).ok_or(EXIT_USAGE)?;
    if !file.artifact {
        return build_source(path, &file, err).map(|s| s.policy);
    }
    let loaded = if file.too_large {
        Err(LoadError::TooLarge {
            size: file.size,
            limit: MAX_ARTIFACT_BYTES as u64,
        })
    } else {
        Policy::from_bytes(&file.bytes)
    };
    loaded.map_err(|e| {
        let _ = writeln!(err, "error: {}: {e}", path.display());
        EXIT_FAIL
    })
}
