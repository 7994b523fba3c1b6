//! `polc digest tool [FILE|-] [--canonical]`: the pin of an MCP tool
//! definition (`spec/pins.md`).

use std::io::{BufRead, Read, Write};
use std::path::Path;

use policy_eval::limits::MAX_TOOL_DEFINITION_BYTES;
use policy_eval::pin::canonical_json;

use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// Prints the digest (or, with `canonical`, the canonical JSON) of the tool
/// definition in `file` (standard input when absent or `-`), one line.
/// A definition with no canonical form exits 1 with the reason.
pub(crate) fn tool(
    file: Option<&Path>,
    canonical: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let from_stdin = file.is_none_or(|f| f == Path::new("-"));
    let name = file
        .filter(|_| !from_stdin)
        .map_or("<stdin>".to_string(), |f| f.display().to_string());
    // One byte past the limit is enough to report it; never read more.
    let limit = MAX_TOOL_DEFINITION_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let read = match file.filter(|_| !from_stdin) {
        None => stdin.take(limit).read_to_end(&mut bytes),
        Some(f) => std::fs::File::open(f).and_then(|h| h.take(limit).read_to_end(&mut bytes)),
    };
    if let Err(e) = read {
        let _ = writeln!(err, "error: cannot read `{name}`: {e}");
        return EXIT_USAGE;
    }
    match canonical_json(&bytes) {
        Ok(c) => {
            let line = if canonical {
                c
            } else {
                policy_eval::pin::digest_of_canonical(&c)
            };
            let _ = writeln!(out, "{line}");
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: {name}: {e}");
            EXIT_FAIL
        }
    }
}
