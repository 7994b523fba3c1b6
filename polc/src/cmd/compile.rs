//! `polc compile POLICY -o ARTIFACT`.

use std::io::Write;
use std::path::Path;

use policy_eval::limits::MAX_ARTIFACT_BYTES;

use crate::input::from_source;
use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// `polc compile POLICY -o ARTIFACT`.
pub(crate) fn compile(path: &Path, output: &Path, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    compile_within(path, output, MAX_ARTIFACT_BYTES, out, err)
}

/// [`compile`], refusing to write an artifact over `limit` bytes (no runtime
/// would load it). The limit is a parameter for tests: a policy whose
/// artifact exceeds `MAX_ARTIFACT_BYTES` is too slow and large to build in
/// one.
fn compile_within(
    path: &Path,
    output: &Path,
    limit: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let loaded = match from_source(path, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let bytes = &loaded.bytes;
    if bytes.len() > limit {
        let _ = writeln!(
            err,
            "error: {}: {}; split the policy into several",
            path.display(),
            policy_lang::build::artifact_too_large(bytes.len(), limit)
        );
        return EXIT_FAIL;
    }
    if let Err(e) = std::fs::write(output, bytes) {
        let _ = writeln!(err, "error: cannot write `{}`: {e}", output.display());
        return EXIT_USAGE;
    }
    let _ = writeln!(
        out,
        "compiled `{}` ({} rules) to `{}` ({} bytes)",
        path.display(),
        loaded.checked.rules.len(),
        output.display(),
        bytes.len()
    );
    let _ = write!(
        out,
        "{}",
        crate::render::cost(&policy_eval::cost::Cost::of(loaded.policy.artifact()))
    );
    EXIT_OK
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn compile_refuses_to_write_an_artifact_over_the_limit() {
        let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/coding-agent.policy");
        let dir = std::env::temp_dir().join(format!("polc-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let output = dir.join("over-limit.art");
        let _ = std::fs::remove_file(&output);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        // The real size of the example's artifact: written at that limit.
        assert_eq!(compile(&policy, &output, &mut out, &mut err), EXIT_OK);
        let printed = String::from_utf8(out.clone()).unwrap();
        assert!(
            printed.contains("worst case per decision")
                && printed.contains("network:")
                && printed.contains("automaton steps"),
            "{printed}"
        );
        let size = std::fs::metadata(&output).unwrap().len() as usize;
        std::fs::remove_file(&output).unwrap();
        let code = compile_within(&policy, &output, size, &mut out, &mut err);
        assert_eq!(code, EXIT_OK);
        assert_eq!(std::fs::metadata(&output).unwrap().len() as usize, size);
        std::fs::remove_file(&output).unwrap();
        // One byte less: refused, nothing written.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = compile_within(&policy, &output, size - 1, &mut out, &mut err);
        assert_eq!(code, EXIT_FAIL);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert_eq!(
            err,
            format!(
                "error: {}: compiled artifact is {size} bytes, more than the limit of {} bytes \
                 that runtimes load; split the policy into several\n",
                policy.display(),
                size - 1
            )
        );
        assert!(!output.exists());
    }
}
