//! `polc check FILE...`: every diagnostic of each file, compile diagnostics
//! (E0006, E0008) included.

use std::io::Write;
use std::path::PathBuf;

use policy_lang::diag::Severity;

use crate::input::{build_file, read_policy};
use crate::render::print_diagnostics;
use crate::{Format, EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// `polc check`: prints the diagnostics of every file, then (human format)
/// a count on `err`.
pub(crate) fn check(
    files: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let mut code = EXIT_OK;
    let (mut errors, mut warnings) = (0usize, 0usize);
    for path in files {
        let Some(file) = read_policy(path, false, err) else {
            code = EXIT_USAGE;
            continue;
        };
        let mut build = build_file(&file);
        policy_lang::add_rule_lints(&mut build);
        let name = path.display().to_string();
        print_diagnostics(&name, &file.bytes, &build.diagnostics, format, color, out);
        for d in &build.diagnostics {
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    if format == Format::Human {
        let _ = writeln!(
            err,
            "checked {} file(s): {errors} error(s), {warnings} warning(s)",
            files.len()
        );
    }
    if code == EXIT_OK && (errors > 0 || (deny_warnings && warnings > 0)) {
        code = EXIT_FAIL;
    }
    code
}
